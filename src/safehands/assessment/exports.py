"""Exports of an assessment: CSV report and FHIR R4 Questionnaire / QuestionnaireResponse.

The FHIR resources are built by the pure `assessment.fhir` module from the database rows, so
an instrument edited by a programme administrator exports as edited.
"""

from __future__ import annotations

import io
from typing import Any

from safehands.assessment import fhir
from safehands.assessment import instruments as packaged
from safehands.assessment.models import Assessment, Consensus
from safehands.assessment.models import Instrument as InstrumentRow
from safehands.assessment.queries import assessment_report, element_list, instrument_areas
from safehands.assessment.scoring import SCORE_COLUMNS, number_text
from safehands.core.tables import csv_writer

REPORT_COLUMNS = (*SCORE_COLUMNS, "name", "spread", "agreed", "agreed_note")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _pure(instrument: InstrumentRow) -> tuple[packaged.Instrument, list[packaged.Area]]:
    """The database instrument in the shape the pure FHIR builder takes."""
    areas = instrument_areas(instrument=instrument)
    elements = list(element_list(instrument=instrument))
    spec = packaged.Instrument(
        format_version=1, code=instrument.code, version=instrument.version,
        name=instrument.name, name_nb=instrument.name_nb or instrument.name,
        action_plan=instrument.action_plan.code, description=instrument.description,
        source=instrument.source, confidence=instrument.confidence,
        scale=[packaged.ScaleStep(**step) for step in instrument.scale],
        scale_source=instrument.source, scale_confidence=instrument.confidence,
        unsure_label=instrument.unsure_label, unsure_label_nb=instrument.unsure_label_nb,
        elements=[packaged.Element(
            code=e.code, area=e.area.code, name=e.name, name_nb=e.name_nb or e.name,
            criteria=_lines(e.criteria) or [e.name], criteria_nb=_lines(e.criteria_nb),
            recommendations=[r.code for r in e.recommendations.all()],
            source=e.source, confidence=e.confidence) for e in elements],
    )
    return spec, [packaged.Area(a.code, a.number, a.name, a.name_nb) for a in areas]


def questionnaire_json(*, instrument: InstrumentRow, language: str = "en") -> dict[str, Any]:
    spec, areas = _pure(instrument)
    return fhir.questionnaire(spec, areas, language=language)


def response_json(*, assessment: Assessment) -> dict[str, Any]:
    """The team's agreed answers as one QuestionnaireResponse (completed once closed)."""
    spec, areas = _pure(assessment.instrument)
    answers = {c.element.code: (c.value, c.note) for c in Consensus.objects.filter(
        assessment=assessment).select_related("element")}
    stamp = assessment.closed_at or assessment.started_at
    return fhir.questionnaire_response(
        spec, areas, answers=answers, response_id=f"safehands-assessment-{assessment.pk}",
        subject=assessment.org_unit.code, authored=stamp.isoformat(),
        author=assessment.closed_by.get_username() if assessment.closed_by else "",
        completed=not assessment.is_open)


def report_csv(*, assessment: Assessment) -> str:
    """The SCORES.csv columns plus the element name, spread and the agreed score and note."""
    report = assessment_report(assessment=assessment)
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for area in report.areas:
        for line in area.elements:
            s = line.scores
            writer.writerow([s.area, s.element, s.raters, number_text(s.mean_rating),
                             number_text(s.min_rating), number_text(s.max_rating), s.unsure,
                             line.element.name, number_text(s.spread),
                             "unsure" if line.agreed_unsure else number_text(line.agreed),
                             line.note])
        s = area.scores
        writer.writerow([s.area, "", s.raters, number_text(s.mean_rating),
                         number_text(s.min_rating), number_text(s.max_rating), s.unsure,
                         area.area.name, number_text(s.spread), number_text(area.agreed_mean),
                         ""])
    return out.getvalue()


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def report_text(*, assessment: Assessment) -> str:
    """The where-to-start report as plain text, for the command line and e-mail."""
    report = assessment_report(assessment=assessment)
    a = assessment
    lines = [f"Where to start: {a.title} — {a.org_unit.name} ({a.org_unit.code})",
             f"Instrument: {a.instrument.name}; status {a.status}"
             + (f", closed {a.closed_at:%Y-%m-%d}" if a.closed_at else ""),
             f"Raters: {len({m.user_id for m in a.members.all()})}"
             + (f"; compared with {report.previous.title!r}" if report.previous else
                "; first assessment, no change to show"),
             "", "Profile by area (team mean of element means | agreed mean | change):"]
    for area in report.areas:
        change = area.change
        lines.append(f"  {area.area.number}. {area.area.name}: {_fmt(area.scores.mean_rating)} | "
                     f"{_fmt(area.agreed_mean)} | "
                     + ("–" if change is None else f"{change:+.2f}"))
    if report.lowest_area:
        lines.append(f"Lowest area: {report.lowest_area.area.name}")
    for title, items in (("Lowest elements", report.lowest),
                         ("Most disputed elements", report.disputed)):
        lines += ["", f"{title}:"]
        for line in items or []:
            s = line.scores
            agreed = "unsure" if line.agreed_unsure else (line.agreed or "–")
            lines.append(f"  {line.element.code} {line.element.name}: agreed {agreed}, "
                         f"mean {_fmt(s.mean_rating)}, range {s.min_rating}–{s.max_rating}")
            recs = ", ".join(str(r.number) for r in line.element.recommendations.all())
            if recs:
                lines.append(f"    recommendations: {recs}")
            for tactic in report.tactics.get(line.element.pk, []):
                lines.append(f"    tactic: {tactic.name} ({', '.join(tactic.level_labels)})")
        if not items:
            lines.append("  none")
    actions = list(a.actions.all())
    if actions:
        lines += ["", "Actions from this assessment:"]
        lines += [f"  [{x.status}] {x.what} — {x.owner}, due {x.due_date or '–'}"
                  for x in actions]
    return "\n".join(lines) + "\n"
