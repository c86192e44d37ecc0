"""Every write of the culture app: instruments, rounds, invitations, responses, plans.

Each service is keyword-only, checks access with the one permission function, validates,
runs in one transaction and writes its audit row, with one deliberate exception: a survey
answer is never audited one by one, because an audit row (who, when) next to an anonymous
response is exactly the link anonymity forbids. See `response_submit`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from safehands.audit.services import audit_record, snapshot
from safehands.core.csvtext import csv_open, csv_unreadable
from safehands.core.errors import DomainError
from safehands.culture import instruments as schema
from safehands.culture.models import (
    ActionNote,
    Instrument,
    Invitation,
    Item,
    ProgrammeSurveySettings,
    Response,
    ResponseScale,
    RoundStatus,
    RoundUnit,
    Scale,
    SurveyRound,
)
from safehands.culture.responses_csv import OVERALL, ResponsesInvalid, read_responses
from safehands.culture.scoring import check_answer
from safehands.orgs.access import authorize
from safehands.orgs.models import OrgUnit

DEFAULT_MIN_RESPONDENTS = 5
JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely

ROUND_CLOSED = gettext_noop("This survey round is closed; answers can no longer be given.")
ROUND_NOT_STARTED = "This survey round opens on {date}."
ROUND_ALREADY_CLOSED = "This survey round is already closed."
ROUND_DATES = "The round must close on or after the day it opens."
ROUND_TITLE = "Give the round a title."
INVITATION_UNKNOWN = gettext_noop("This survey link is not valid. Check that you copied all of it.")
INVITATION_USED = gettext_noop(
    "This survey link has already been used; each link counts one answer.")
JOIN_CODE_UNKNOWN = "There is no unit with the code {code!r} in this survey round."
UNIT_NOT_IN_ROUND = "{unit} is not part of this survey round."
ANSWER_INVALID = "Answer to {item}: {reason}"
NO_ANSWERS = gettext_noop("Answer at least one question before sending.")
NO_RECIPIENTS = "Give at least one e-mail address, or a number of links to print."
RECIPIENT_INVALID = "Line {line}: {value!r} is not an e-mail address."
INSTRUMENT_EXISTS = "There is already an instrument with the code {code!r}."
WORDING_UNKNOWN_ITEM = "{where}: {code!r} is not an item of {instrument}."
WORDING_EMPTY = "{where}: the text for {code} is empty."
WORDING_FORMAT = "The file is not a valid {fmt} file: {reason}"
WORDING_NOTHING = "The file names no items of {instrument}."
MIN_RESPONDENTS_INVALID = "The minimum number of respondents must be at least 1."
IMPORT_UNIT_UNKNOWN = "Unit {code!r} is not part of this survey round."
IMPORT_NOTHING = "The file holds no answers."
IMPORT_UNIT_COLUMN = "unit"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- instruments -----------------------------------------------------------------------------

def _store_instrument(data: schema.InstrumentIn, *, origin: str) -> Instrument:
    instrument = Instrument.objects.create(
        code=data.code, version=data.version, name=data.name, name_nb=data.name_nb,
        method=data.method, wording=data.wording, origin=origin, source=data.source,
        confidence=data.confidence, positive_threshold=data.scoring.positive_threshold,
        mature_pct=data.scoring.mature_pct, positive_values=list(data.scoring.positive),
        negative_values=list(data.scoring.negative))
    response_scales = {
        code: ResponseScale.objects.create(
            instrument=instrument, code=code,
            options=[o.model_dump() for o in rs.options], not_applicable=rs.not_applicable,
            not_applicable_label=rs.not_applicable_label,
            not_applicable_label_nb=rs.not_applicable_label_nb)
        for code, rs in data.response_scales.items()}
    scales = {s.code: Scale.objects.create(instrument=instrument, code=s.code, name=s.name,
                                           name_nb=s.name_nb, order=n)
              for n, s in enumerate(data.scales)}
    default = next(iter(data.response_scales))
    Item.objects.bulk_create([
        Item(instrument=instrument, code=i.code, scale=scales.get(i.scale) if i.scale else None,
             response_scale=response_scales[i.response_scale or default], reverse=i.reverse,
             text=i.text, text_nb=i.text_nb, order=n)
        for n, i in enumerate(data.items)])
    return instrument


@transaction.atomic
def instruments_load_packaged(*, actor: Any = None, source: str = "system") -> dict[str, int]:
    """Store the packaged instruments that are not in the database yet (idempotent).

    An instrument already stored is left alone: its wording may have been replaced by the
    licensed official text, which a reload must never undo.
    """
    created = 0
    for code, data in schema.packaged().items():
        if Instrument.objects.filter(code=code).exists():
            continue
        instrument = _store_instrument(data, origin="package")
        audit_record(actor=actor, action="culture.instrument.load", target=instrument,
                     after={"code": code, "version": data.version}, source=source)
        created += 1
    return {"instruments_created": created}


@transaction.atomic
def instrument_define(*, text: str, actor: Any, source: str = "web") -> Instrument:
    """A local instrument from YAML in the packaged format (programme administrators)."""
    authorize(actor, "catalogue.edit")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise DomainError(WORDING_FORMAT.format(fmt="YAML", reason=err)) from None
    data = schema.validate(raw, origin="instrument")
    if Instrument.objects.filter(code=data.code).exists():
        raise DomainError(INSTRUMENT_EXISTS.format(code=data.code), {"code": data.code})
    instrument = _store_instrument(data.model_copy(update={"wording": "local"}), origin="local")
    audit_record(actor=actor, action="culture.instrument.define", target=instrument,
                 after={"code": data.code, "items": len(data.items)}, source=source)
    return instrument


def _wording_rows(text: str, fmt: str) -> list[tuple[str, str, str, str]]:
    """(where, code, text, text_nb) from a CSV (code,text[,text_nb]) or FHIR Questionnaire."""
    rows: list[tuple[str, str, str, str]] = []
    if fmt == "csv":
        reader = csv.DictReader(csv_open(text))
        try:
            if not reader.fieldnames or not {"code", "text"} <= set(reader.fieldnames):
                raise DomainError(WORDING_FORMAT.format(
                    fmt="CSV", reason="the header needs the columns code and text"))
            for line, row in enumerate(reader, start=2):
                rows.append((f"row {line}", (row.get("code") or "").strip(),
                             (row.get("text") or "").strip(),
                             (row.get("text_nb") or "").strip()))
        except csv.Error as error:
            raise DomainError(WORDING_FORMAT.format(
                fmt="CSV", reason=csv_unreadable(error, reader.line_num))) from None
        return rows
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise DomainError(WORDING_FORMAT.format(fmt="FHIR Questionnaire", reason=err)) from None
    if not isinstance(doc, dict) or doc.get("resourceType") != "Questionnaire":
        raise DomainError(WORDING_FORMAT.format(
            fmt="FHIR Questionnaire", reason="resourceType is not Questionnaire"))

    def walk(items: list, trail: str) -> None:
        for n, item in enumerate(items):
            where = f"{trail}.item[{n}]"
            walk(item.get("item", []), where)
            if item.get("type") in ("group", "display"):
                continue
            rows.append((f"{where} (linkId)", str(item.get("linkId", "")),
                         str(item.get("text", "")).strip(), ""))

    walk(doc.get("item", []), "Questionnaire")
    return rows


@transaction.atomic
def instrument_wording_import(*, instrument: Instrument, text: str, fmt: str, actor: Any,
                              source: str = "web") -> int:
    """Replace item texts with a licensed organisation's official wording; all or nothing."""
    authorize(actor, "catalogue.edit")
    if fmt not in ("csv", "fhir"):
        raise DomainError(WORDING_FORMAT.format(fmt=fmt, reason="use csv or fhir"))
    items = {i.code: i for i in instrument.items.all()}
    problems, changes = [], []
    for where, code, en, nb in _wording_rows(text, fmt):
        if code not in items:
            problems.append(WORDING_UNKNOWN_ITEM.format(where=where, code=code,
                                                        instrument=instrument.code))
        elif not en:
            problems.append(WORDING_EMPTY.format(where=where, code=code))
        else:
            changes.append((items[code], en, nb))
    if problems:
        raise DomainError("; ".join(problems[:10]), {"problems": problems})
    if not changes:
        raise DomainError(WORDING_NOTHING.format(instrument=instrument.code))
    for item, en, nb in changes:
        item.text = en
        if nb:
            item.text_nb = nb
        item.save(update_fields=["text", "text_nb"])
    before = {"wording": instrument.wording}
    instrument.wording = "official"
    instrument.save(update_fields=["wording"])
    audit_record(actor=actor, action="culture.instrument.wording_import", target=instrument,
                 before=before, after={"wording": "official", "items": len(changes),
                                       "format": fmt}, source=source)
    return len(changes)


@transaction.atomic
def programme_min_respondents_set(*, programme: Any, value: int, actor: Any,
                                  source: str = "web") -> ProgrammeSurveySettings:
    authorize(actor, "catalogue.edit")
    if value < 1:
        raise DomainError(MIN_RESPONDENTS_INVALID)
    settings_row, _ = ProgrammeSurveySettings.objects.get_or_create(programme=programme)
    before = snapshot(settings_row, ["min_respondents"])
    settings_row.min_respondents = value
    settings_row.full_clean()
    settings_row.save()
    audit_record(actor=actor, action="culture.settings.update", target=settings_row,
                 before=before, after=snapshot(settings_row, ["min_respondents"]), source=source)
    return settings_row


# --- rounds ------------------------------------------------------------------------------------

def _join_code(existing: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(6))
        if code not in existing:
            existing.add(code)
            return code


@transaction.atomic
def round_open(*, root: OrgUnit, instrument: Instrument, title: str, opens_on: date,
               closes_on: date, actor: Any, programme: Any = None,
               source: str = "web") -> SurveyRound:
    """Open a round for a subtree: every active unit in it gets its own join code."""
    authorize(actor, "survey.manage", root)
    if not title.strip():
        raise DomainError(ROUND_TITLE, {"field": "title"})
    if closes_on < opens_on:
        raise DomainError(ROUND_DATES, {"field": "closes_on"})
    minimum = DEFAULT_MIN_RESPONDENTS
    if programme is not None:
        row = ProgrammeSurveySettings.objects.filter(programme=programme).first()
        minimum = row.min_respondents if row else minimum
    survey_round = SurveyRound(
        title=title.strip(), instrument=instrument, root=root, programme=programme,
        opens_on=opens_on, closes_on=closes_on, min_respondents=minimum,
        link_token=secrets.token_urlsafe(18),
        created_by=actor if getattr(actor, "is_authenticated", False) else None)
    survey_round.full_clean()
    survey_round.save()
    codes: set[str] = set()
    RoundUnit.objects.bulk_create([
        RoundUnit(survey_round=survey_round, org_unit=unit, join_code=_join_code(codes))
        for unit in OrgUnit.objects.filter(path__startswith=root.path, is_active=True)])
    audit_record(actor=actor, action="culture.round.open", target=survey_round,
                 org_path=root.path, after=snapshot(survey_round, [
                     "title", "instrument", "root", "opens_on", "closes_on",
                     "min_respondents"]), source=source)
    return survey_round


@transaction.atomic
def round_close(*, survey_round: SurveyRound, actor: Any, source: str = "web") -> SurveyRound:
    """Close and freeze: no more answers, invitations or reminders."""
    authorize(actor, "survey.manage", survey_round.root)
    survey_round = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
    if not survey_round.is_open:
        raise DomainError(ROUND_ALREADY_CLOSED)
    survey_round.status = RoundStatus.CLOSED
    survey_round.save(update_fields=["status"])
    audit_record(actor=actor, action="culture.round.close", target=survey_round,
                 org_path=survey_round.root.path, before={"status": "open"},
                 after={"status": "closed"}, source=source)
    return survey_round


def _require_open(survey_round: SurveyRound, today: date | None = None) -> None:
    today = today or timezone.localdate()
    survey_round.refresh_from_db(fields=["status", "opens_on", "closes_on"])
    if not survey_round.is_open or today > survey_round.closes_on:
        raise DomainError(ROUND_CLOSED, {"round": survey_round.pk})
    if today < survey_round.opens_on:
        raise DomainError(ROUND_NOT_STARTED.format(date=survey_round.opens_on.isoformat()))


def _require_in_round(survey_round: SurveyRound, unit: OrgUnit) -> None:
    if not RoundUnit.objects.filter(survey_round=survey_round, org_unit=unit).exists():
        raise DomainError(UNIT_NOT_IN_ROUND.format(unit=unit.name), {"unit": unit.code})


@dataclass(frozen=True)
class IssuedLink:
    recipient: str
    token: str      # shown or sent once; only its hash is stored


def _send(recipient: str, token: str, survey_round: SurveyRound, reminder: bool) -> bool:
    subject = ("Reminder: " if reminder else "") + f"Safety-culture survey: {survey_round.title}"
    body = (f"You are invited to answer the survey '{survey_round.title}' "
            f"by {survey_round.closes_on.isoformat()}. Your answers are anonymous.\n\n"
            f"/culture/answer/{token}/\n")
    try:
        send_mail(subject, body, None, [recipient])
    except OSError:
        return False
    return True


@transaction.atomic
def invitations_create(*, survey_round: SurveyRound, org_unit: OrgUnit, actor: Any,
                       recipients: list[str] | None = None, count: int = 0,
                       send: bool = True, source: str = "web") -> list[IssuedLink]:
    """Single-use links for a unit: one per e-mail address (sent), or `count` to print."""
    authorize(actor, "survey.manage", org_unit)
    _require_open(survey_round)
    _require_in_round(survey_round, org_unit)
    recipients = [r.strip() for r in (recipients or []) if r.strip()]
    for line, value in enumerate(recipients, start=1):
        if "@" not in value or " " in value:
            raise DomainError(RECIPIENT_INVALID.format(line=line, value=value))
    if not recipients and count < 1:
        raise DomainError(NO_RECIPIENTS)
    issued = [IssuedLink(r, secrets.token_urlsafe(24)) for r in recipients]
    issued += [IssuedLink("", secrets.token_urlsafe(24)) for _ in range(count)]
    Invitation.objects.bulk_create([
        Invitation(survey_round=survey_round, org_unit=org_unit, token_hash=_hash(i.token),
                   recipient=i.recipient) for i in issued])
    if send:
        for link in issued:
            if link.recipient:
                _send(link.recipient, link.token, survey_round, reminder=False)
    audit_record(actor=actor, action="culture.invitation.create", target=survey_round,
                 org_path=org_unit.path, after={"unit": org_unit.code, "links": len(issued),
                                                "e_mailed": len(recipients)}, source=source)
    return issued


@transaction.atomic
def reminders_send(*, survey_round: SurveyRound, actor: Any, source: str = "web") -> int:
    """Remind only the invitations not used yet, each with a fresh link (the old one ends)."""
    authorize(actor, "survey.manage", survey_round.root)
    _require_open(survey_round)
    sent = 0
    for invitation in survey_round.invitations.filter(used=False).exclude(recipient=""):
        token = secrets.token_urlsafe(24)
        invitation.token_hash = _hash(token)
        invitation.save(update_fields=["token_hash"])
        sent += _send(invitation.recipient, token, survey_round, reminder=True)
    SurveyRound.objects.filter(pk=survey_round.pk).update(
        reminders_sent=F("reminders_sent") + sent)
    audit_record(actor=actor, action="culture.invitation.remind", target=survey_round,
                 org_path=survey_round.root.path, after={"reminders": sent}, source=source)
    return sent


# --- answering ---------------------------------------------------------------------------------

def invitation_find(*, token: str) -> Invitation:
    invitation = Invitation.objects.select_related("survey_round", "org_unit").filter(
        token_hash=_hash(token)).first()
    if invitation is None:
        raise DomainError(INVITATION_UNKNOWN)
    return invitation


def round_unit_find(*, survey_round: SurveyRound, join_code: str) -> RoundUnit:
    found = RoundUnit.objects.select_related("org_unit").filter(
        survey_round=survey_round, join_code=join_code.strip().upper()).first()
    if found is None:
        raise DomainError(JOIN_CODE_UNKNOWN.format(code=join_code.strip()))
    return found


def _clean_answers(survey_round: SurveyRound, answers: dict[str, Any]) -> dict[str, int]:
    spec = survey_round.instrument.spec()
    cleaned: dict[str, int] = {}
    problems = []
    for code, raw in answers.items():
        if raw in (None, ""):
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError):
            problems.append(ANSWER_INVALID.format(item=code, reason=f"{raw!r} is not a number"))
            continue
        reason = check_answer(spec, code, value)
        if reason:
            problems.append(ANSWER_INVALID.format(item=code, reason=reason))
        else:
            cleaned[code] = value
    if problems:
        raise DomainError("; ".join(problems[:10]), {"problems": problems})
    if not cleaned:
        raise DomainError(NO_ANSWERS)
    return cleaned


@transaction.atomic
def response_submit(*, survey_round: SurveyRound, answers: dict[str, Any],
                    invitation_token: str | None = None,
                    join_code: str | None = None) -> None:
    """Store one anonymous response. Returns nothing that could identify it.

    Through an invitation: the invitation is locked, checked unused, marked used (no date)
    and the response stored, all in one transaction, so a link counts once and a failure
    stores nothing. The response keeps the round and the unit only: no user, no invitation,
    no time, a random key. Every invitation of the round is rewritten in the same transaction
    so that database bookkeeping (e.g. PostgreSQL's row transaction ids) cannot tell which
    one was just used. Not audited one by one: see the module docstring.
    """
    if invitation_token is not None:
        invitation = Invitation.objects.select_for_update().filter(
            token_hash=_hash(invitation_token), survey_round=survey_round).first()
        if invitation is None:
            raise DomainError(INVITATION_UNKNOWN)
        if invitation.used:
            raise DomainError(INVITATION_USED)
        unit = invitation.org_unit
    elif join_code is not None:
        invitation = None
        unit = round_unit_find(survey_round=survey_round, join_code=join_code).org_unit
    else:
        raise DomainError(INVITATION_UNKNOWN)
    survey_round = SurveyRound.objects.select_for_update().get(pk=survey_round.pk)
    _require_open(survey_round)
    cleaned = _clean_answers(survey_round, answers)
    Response.objects.create(survey_round=survey_round, org_unit=unit, answers=cleaned)
    if invitation is not None:
        Invitation.objects.filter(pk=invitation.pk).update(used=True)
        Invitation.objects.filter(survey_round=survey_round).update(used=F("used"))


@transaction.atomic
def responses_import(*, survey_round: SurveyRound, text: str, actor: Any,
                     source: str = "web") -> dict[str, int]:
    """Paper questionnaires typed into a CSV: a `unit` column (unit codes) and item columns.

    All or nothing; the same checks as the answer form. Rows without any answer are left
    out. Responses are stored in random order with random keys, like answers on the web;
    the audit event records the counts per unit, never the rows.
    """
    authorize(actor, "survey.manage", survey_round.root)
    _require_open(survey_round)
    try:
        groups = read_responses(text, survey_round.instrument.spec(), by=IMPORT_UNIT_COLUMN)
    except ResponsesInvalid as err:
        raise DomainError(str(err), {"problems": err.problems}) from None
    units = {ru.org_unit.code: ru.org_unit for ru in RoundUnit.objects.filter(
        survey_round=survey_round).select_related("org_unit")}
    unknown = sorted(code for code in groups if code != OVERALL and code not in units)
    if unknown:
        raise DomainError("; ".join(IMPORT_UNIT_UNKNOWN.format(code=c) for c in unknown[:10]),
                          {"units": unknown})
    rows = [Response(survey_round=survey_round, org_unit=units[code],
                     answers={k: v for k, v in answers.items() if v is not None})
            for code, group in groups.items() if code != OVERALL for answers in group]
    rows = [r for r in rows if r.answers]
    if not rows:
        raise DomainError(IMPORT_NOTHING)
    secrets.SystemRandom().shuffle(rows)
    Response.objects.bulk_create(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.org_unit.code] = counts.get(r.org_unit.code, 0) + 1
    audit_record(actor=actor, action="culture.response.import", target=survey_round,
                 org_path=survey_round.root.path, after={"responses": len(rows),
                                                         "units": counts}, source=source)
    return counts


# --- action plans ------------------------------------------------------------------------------

@transaction.atomic
def action_note_save(*, survey_round: SurveyRound, org_unit: OrgUnit, keep: str, improve: str,
                     actor: Any, source: str = "web") -> ActionNote:
    """The unit's plan after the round: what to keep doing and what to improve."""
    authorize(actor, "survey.plan", org_unit)
    _require_in_round(survey_round, org_unit)
    note, created = ActionNote.objects.get_or_create(survey_round=survey_round,
                                                     org_unit=org_unit)
    before = None if created else snapshot(note, ["keep", "improve"])
    note.keep, note.improve = keep.strip(), improve.strip()
    note.updated_by = actor
    note.save()
    audit_record(actor=actor, action="culture.action_note.save", target=note,
                 org_path=org_unit.path, before=before,
                 after=snapshot(note, ["keep", "improve"]), source=source)
    return note
