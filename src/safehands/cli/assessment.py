"""`safehands assessment`: score team ratings and write FHIR Questionnaires.

Both commands read only the packaged instrument YAML (and the catalogue YAML it refers to):
no Django, no database. Bad input names the file, row and field and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from safehands.assessment.fhir import questionnaire as build_questionnaire
from safehands.assessment.instruments import Bundle, InstrumentsInvalid, read_instruments
from safehands.assessment.scoring import RatingsInvalid, ratings_read, score, scores_csv
from safehands.cli._files import read_text
from safehands.core.errors import DomainError

INSTRUMENT_HELP = "Instrument code: safer-together or nap-2019-2023."


def _bundle() -> Bundle:
    try:
        return read_instruments()
    except InstrumentsInvalid as error:
        raise click.ClickException(error.message) from None


def _instrument(bundle: Bundle, code: str):
    try:
        return bundle.instrument(code)
    except DomainError as error:
        raise click.ClickException(error.message) from None


@click.group()
def assessment() -> None:
    """Self-assessment: score ratings, export the questionnaire."""


@assessment.command("score")
@click.argument("ratings", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "instrument_code", required=True, help=INSTRUMENT_HELP)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write SCORES.csv.")
def score_command(ratings: Path, instrument_code: str, out: Path) -> None:
    """Score RATINGS.csv (rater, element, rating 1-4 or unsure) per element and area."""
    bundle = _bundle()
    instrument = _instrument(bundle, instrument_code)
    text = read_text(ratings)
    try:
        rows = ratings_read(text, elements=[e.code for e in instrument.elements],
                            instrument=instrument.code, file=str(ratings))
    except RatingsInvalid as error:
        raise click.ClickException(error.message) from None
    areas = [(a.code, [e.code for e in instrument.elements if e.area == a.code])
             for a in bundle.areas[instrument.code]]
    out.write_text(scores_csv(score(rows, areas=areas)), encoding="utf-8")
    raters = len({r.rater for r in rows})
    click.echo(f"Scored {len(rows)} ratings from {raters} raters on "
               f"{len(instrument.elements)} elements; wrote {out}.")



@assessment.command()
@click.option("--instrument", "instrument_code", required=True, help=INSTRUMENT_HELP)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the Questionnaire JSON.")
@click.option("--language", type=click.Choice(["en", "nb"]), default="en", show_default=True)
def questionnaire(instrument_code: str, out: Path, language: str) -> None:
    """Write the instrument as a FHIR R4 Questionnaire, one group per area."""
    bundle = _bundle()
    instrument = _instrument(bundle, instrument_code)
    resource = build_questionnaire(instrument, bundle.areas[instrument.code], language=language)
    out.write_text(json.dumps(resource, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    click.echo(f"Wrote {out}: {len(resource['item'])} groups, "
               f"{len(instrument.elements)} questions.")


@assessment.command()
@click.option("--force", is_flag=True, help="Overwrite items edited by a programme administrator.")
def load(force: bool) -> None:
    """Load the packaged instruments and resource guide into the database (after the catalogue)."""
    from safehands.cli._django import django_setup

    django_setup()
    from safehands.assessment.services import instruments_load

    try:
        summary = instruments_load(actor=None, source="cli", force=force)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {sum(summary.created.values())}, updated "
               f"{sum(summary.updated.values())}, kept {summary.kept_local} local edit(s).")


@assessment.command()
@click.argument("assessment_id", type=int)
def report(assessment_id: int) -> None:
    """Print the where-to-start report of one assessment as text."""
    from safehands.cli._django import django_setup

    django_setup()
    from safehands.assessment.exports import report_text
    from safehands.assessment.queries import assessment_get

    try:
        found = assessment_get(pk=assessment_id)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(report_text(assessment=found), nl=False)
