"""Demo patient-safety events: two years of reports up to today for ten units of Oslo
University Hospital, Akershus and an Oslo nursing home and home-care service.

The history is drawn from a seeded generator (the same structure on every machine, dated
relative to today so it always looks current) and written with `bulk_create`: reports, their
workflow steps, deadlines, contributing factors and the reviews of the serious ones. Most
reports did no or low harm, a few moderate and very few severe or fatal; about one in six
is a near miss. A report's life is drawn in full (triage, review, approval, closing with
feedback) and cut at today, so old reports are closed and recent ones are still open.

A handful of worked cases then go through the real services, so that their audit trail is
real: a severe fall with the statutory notification, an investigation with its timeline,
causal statements, factors and actions in the ward's action plan, a medication error under
investigation, a closed fall with its feedback, and an anonymous near miss in a nursing
home whose reporter asked a question through the follow-up link and got an answer. That
link is printed with the demo logins.

No person's name appears anywhere: reporters are staff accounts named after their unit.
Idempotent: when the anonymous demo report exists, nothing is created again.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safehands.catalogue.models import TargetArea
from safehands.events import investigation as inv
from safehands.events import services
from safehands.events.content import taxonomy
from safehands.events.demo_content import (
    CAUSES,
    DEMO_FOLLOWUP_TOKEN,
    DEMO_UNITS,
    FACTORS,
    FEEDBACK,
    MAX_PER_MONTH,
    MEDICINES,
    MIN_PER_MONTH,
    MONTHS,
    NEAR_MISS,
    OUTCOME_WEIGHTS,
    OUTCOMES,
    PROFILES,
    REJECT_REASON,
    SEED,
    SUMMARY,
    TEXTS,
    WHAT_CHANGED,
    DemoUnit,
)
from safehands.events.models import (
    Event,
    EventDeadline,
    EventFactor,
    EventSource,
    EventTransition,
    FactorStage,
    Investigation,
    ReporterKind,
)
from safehands.orgs.models import OrgUnit


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method (Knuth, TAOCP vol. 2, §3.4.1): fine for the small means used here."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _month_starts(today: date) -> list[date]:
    first = today.replace(day=1)
    months = []
    for back in range(MONTHS, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append(date(year, month + 1, 1))
    return months


def _month_end(start: date) -> date:
    year, month = divmod(start.year * 12 + start.month, 12)
    return date(year, month + 1, 1)


def _reference(rng: random.Random, used: set[str]) -> str:
    while True:
        reference = "".join(rng.choice(services.REFERENCE_ALPHABET) for _ in range(8))
        if reference not in used:
            used.add(reference)
            return reference


def _text(rng: random.Random, event_type: str) -> tuple[str, str]:
    language, template = rng.choice(TEXTS[event_type])
    return language, template.format(t=f"{rng.randrange(24):02d}:{rng.randrange(0, 60, 5):02d}",
                                     r=rng.randrange(1, 25), d=rng.choice(MEDICINES))


@dataclass
class _Life:
    """One report's drawn life: the steps with their times, cut at now."""

    steps: list[tuple[str, datetime]]
    notified_at: datetime | None


def _life(rng: random.Random, *, outcome: str, reported: datetime, now: datetime,
          slow: bool) -> _Life:
    serious = outcome in ("moderate", "severe", "death")
    scale = 4.0 if slow else 1.0
    at = reported
    steps: list[tuple[str, datetime]] = [("submitted", at)]
    triage_hours = rng.expovariate(1 / (6 if outcome in ("severe", "death") else 30))
    at = at + timedelta(hours=triage_hours * scale + 0.5)
    roll = rng.random()
    if roll < 0.02:
        steps.append(("rejected", at))
    elif roll < 0.05:
        steps.append(("duplicate", at))
    else:
        steps.append(("triaged", at))
        if serious:
            at += timedelta(days=rng.uniform(0.5, 4) * scale)
            steps.append(("investigating", at))
            at += timedelta(days=rng.uniform(14, 60) * scale)
        else:
            at += timedelta(days=rng.uniform(3, 35) * scale)
        steps.append(("awaiting_approval", at))
        at += timedelta(days=rng.uniform(1, 10) * scale)
        steps.append(("closed", at))
    notified = None
    if outcome in ("severe", "death"):
        notified = reported + timedelta(hours=rng.uniform(1, 6))
    cut = [(status, when) for status, when in steps if when <= now]
    return _Life(steps=cut, notified_at=notified if notified and notified <= now else None)


def _staff_users(units: list[DemoUnit]) -> dict[str, list[Any]]:
    """Three reporting staff accounts per unit, named after the unit, that cannot sign in:
    they only stand for the ward's staff as reporters of the history."""
    User = get_user_model()
    wanted = {u.code: [f"{u.code.lower()}.staff{n}" for n in (1, 2, 3)] for u in units}
    names = [name for group in wanted.values() for name in group]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    new = []
    for name in names:
        if name not in existing:
            user = User(username=name)
            user.set_unusable_password()
            new.append(user)
    User.objects.bulk_create(new)
    users = User.objects.in_bulk(names, field_name="username")
    return {code: [users[n] for n in group] for code, group in wanted.items()}


@transaction.atomic
def _history(now: datetime, units: dict[str, OrgUnit],
             handlers: dict[str, Any]) -> dict[str, int]:
    """The bulk of the demo: every report's row and its steps, deadlines, factors, reviews."""
    rng = random.Random(SEED)
    terms = taxonomy()
    areas = {a.code: a for a in TargetArea.objects.all()}
    type_area = {code: areas.get(t.target_area) for code, t in terms.event_types.items()}
    demo_units = [u for u in DEMO_UNITS if u.code in units]
    staff = _staff_users(demo_units)
    logins = {u.username: u for u in get_user_model().objects.filter(
        username__in={u.login for u in demo_units if u.login})}
    months = _month_starts(timezone.localdate(now))
    tz = timezone.get_current_timezone()
    events: list[Event] = []
    lives: list[_Life] = []
    languages: list[str] = []
    rules: list[list[Any]] = []
    duplicates: list[tuple[int, int]] = []  # (index, index of the report it repeats)
    for spec in demo_units:
        unit = units[spec.code]
        kinds = services.kinds_above(unit)
        used: set[str] = set()
        first_index = len(events)
        for month in months:
            months_ago = (months[-1].year - month.year) * 12 + months[-1].month - month.month
            end = min(datetime.combine(_month_end(month), datetime.min.time(), tzinfo=tz), now)
            start = datetime.combine(month, datetime.min.time(), tzinfo=tz)
            share = (end - start) / (datetime.combine(_month_end(month), datetime.min.time(),
                                                      tzinfo=tz) - start)
            seasonal = 1 + 0.12 * math.cos((month.month - 1) / 12 * 2 * math.pi)  # winter
            count = _poisson(rng, spec.per_month * seasonal)
            if spec.code == DEMO_UNITS[0].code and months_ago:
                count = min(MAX_PER_MONTH, max(MIN_PER_MONTH, count))
            count = round(count * share)
            weights = dict(PROFILES[spec.profile])
            if spec.falls_better_from is not None and months_ago <= spec.falls_better_from:
                weights["fall"] *= 0.65
            for _ in range(count):
                event_type = rng.choices(list(weights), weights=list(weights.values()))[0]
                term = terms.event_types[event_type]
                staff_event = term.group == "staff"
                key = "staff" if staff_event else event_type
                outcome = rng.choices(OUTCOMES, weights=OUTCOME_WEIGHTS.get(
                    key, OUTCOME_WEIGHTS["default"]))[0]
                occurred = start + (end - start) * rng.random()
                if occurred > now - timedelta(minutes=30):
                    occurred = now - timedelta(minutes=30 + rng.randrange(600))
                    if occurred < start:
                        continue
                delay = timedelta(hours=rng.expovariate(1 / 10) + 0.2)
                reported = min(occurred + delay, now - timedelta(minutes=5))
                reported = max(reported, occurred)
                reached: bool | None = None if staff_event else True
                if outcome == "none" and not staff_event and rng.random() < NEAR_MISS.get(
                        event_type, NEAR_MISS["default"]):
                    reached = False
                language, description = _text(rng, event_type)
                roll = rng.random()
                public = not staff_event and roll < 0.03
                anonymous = public or roll < 0.12
                reporter = None
                if not anonymous:
                    login = logins.get(spec.login)
                    reporter = login if login and rng.random() < 0.3 else rng.choice(
                        staff[spec.code])
                life = _life(rng, outcome=outcome, reported=reported, now=now,
                             slow=rng.random() < 0.04)
                status, last = life.steps[-1]
                dates = dict(life.steps)
                feedback = ""
                if "awaiting_approval" in dates:
                    what = WHAT_CHANGED[language].get(event_type, WHAT_CHANGED[language][
                        "default"])
                    feedback = rng.choice(FEEDBACK[language]).format(what=what)
                handler = handlers.get(spec.handler) if status != "submitted" else None
                if status == "duplicate" and len(events) > first_index:
                    duplicates.append((len(events), rng.randrange(first_index, len(events))))
                elif status == "duplicate":  # the unit's first report repeats nothing
                    status = "rejected"
                    life.steps[-1] = ("rejected", last)
                events.append(Event(
                    org_unit=unit, reference=_reference(rng, used), category=term.group,
                    event_type=event_type, target_area=type_area[event_type],
                    occurred_at=occurred, reported_at=reported, description=description,
                    outcome=outcome, outcome_reported=outcome, reached_patient=reached,
                    reporter_kind=(rng.choice((ReporterKind.PATIENT, ReporterKind.RELATIVE))
                                   if public else ReporterKind.STAFF),
                    reporter=reporter, anonymous=anonymous, status=status, handler=handler,
                    reason=REJECT_REASON if status == "rejected" else "",
                    feedback=feedback, feedback_sent_at=dates.get("closed"),
                    notified_at=life.notified_at,
                    notification_reference=(f"Varsel {life.notified_at:%Y}/"
                                            f"{rng.randrange(1000, 99999):05d}"
                                            if life.notified_at else ""),
                    triaged_at=dates.get("triaged"), closed_at=dates.get("closed"),
                    source=EventSource.PUBLIC if public else EventSource.FORM,
                    version=len(life.steps) + (1 if life.notified_at else 0)
                    + (2 if "awaiting_approval" in dates and "investigating" in dates else 0)))
                lives.append(life)
                languages.append(language)
                rules.append([r for r in terms.deadlines
                              if r.applies(outcome=outcome, kinds_above=kinds)])
    Event.objects.bulk_create(events, batch_size=500)
    for index, original in duplicates:
        events[index].duplicate_of_id = events[original].pk
    Event.objects.bulk_update([events[i] for i, _ in duplicates], ["duplicate_of"])

    transitions, deadlines, factors, reviews = [], [], [], []
    met_by_status = {"triaged": ("triaged", "rejected", "duplicate"), "closed": ("closed",)}
    for event, life, language, event_rules in zip(events, lives, languages, rules,
                                                  strict=True):
        dates = dict(life.steps)
        previous = ""
        for status, when in life.steps:
            actor = event.reporter if status == "submitted" else event.handler
            transitions.append(EventTransition(
                event=event, from_status=previous, to_status=status, actor=actor, at=when,
                note=event.reason if status == "rejected" else ""))
            previous = status
        for rule in event_rules:
            if rule.met_by == "notified":
                met = event.notified_at
            else:
                met = next((dates[s] for s in met_by_status[rule.met_by] if s in dates), None)
            deadlines.append(EventDeadline(
                event=event, code=rule.code, met_at=met,
                due_at=event.reported_at + timedelta(hours=rule.within_hours)))
        choices = FACTORS.get(event.event_type, FACTORS["default"])
        if rng.random() < 0.45:
            for code in rng.sample(choices, k=rng.choice((1, 1, 2))):
                factors.append(EventFactor(event=event, code=code, stage=FactorStage.REPORTED))
        if "investigating" in dates:
            done = "awaiting_approval" in dates
            reviews.append(Investigation(
                event=event, lead=event.handler, started_at=dates["investigating"],
                summary=SUMMARY[language].format(cause=rng.choice(CAUSES[language]))
                if done else "",
                went_well="" if not done else (
                    "Rask tilkalling av lege." if language == "nb"
                    else "The doctor was called quickly.")))
            if done:
                for code in rng.sample(choices, k=rng.choice((1, 2, 3))):
                    factors.append(EventFactor(event=event, code=code,
                                               stage=FactorStage.INVESTIGATION))
    EventTransition.objects.bulk_create(transitions, batch_size=1000)
    EventDeadline.objects.bulk_create(deadlines, batch_size=1000)
    EventFactor.objects.bulk_create(factors, batch_size=1000, ignore_conflicts=True)
    Investigation.objects.bulk_create(reviews, batch_size=500)
    return {"events_created": len(events), "investigations_created": len(reviews)}


def _days_ago(now: datetime, days: float, hour: int = 0) -> datetime:
    moment = now - timedelta(days=days)
    return moment.replace(hour=hour, minute=10) if hour else moment


def _cases(now: datetime, units: dict[str, OrgUnit], people: dict[str, Any]) -> dict[str, int]:
    """The worked cases, through the real services (and so the audit trail)."""
    counts = {"cases_created": 0, "actions_created": 0}
    coordinator = people.get("ous.coordinator")
    nurse = people.get("rh.med.reporter")
    ward = units.get("OUS-RH-MED")
    if coordinator and nurse and ward:
        # 1. A severe fall: notified at once, investigated, actions in the ward's plan.
        occurred = _days_ago(now, 18, hour=3)
        reported = occurred + timedelta(hours=1, minutes=20)
        fall = services.event_report(
            org_unit=ward, event_type="fall", outcome="severe", reached_patient=True,
            occurred_at=occurred, reported_at=reported, actor=nurse,
            factors=["patient.cognition", "environment.staffing"],
            description=("Eldre pasient med delir ble funnet på gulvet ved sengen kl. 03:10. "
                         "Smerter og feilstilling i venstre hofte; røntgen viste "
                         "lårhalsbrudd. Operert neste dag."),
            immediate_actions="Lege tilkalt, smertelindring, pårørende varslet.").event
        fall = services.event_step(event=fall, step="triage", actor=coordinator,
                                   at=reported + timedelta(hours=2))
        fall = services.event_notify(event=fall, actor=coordinator,
                                     reference=f"Varsel {reported:%Y}/04512",
                                     at=reported + timedelta(hours=3))
        fall = services.event_step(event=fall, step="investigate", actor=coordinator,
                                   at=reported + timedelta(days=1))
        inv.investigation_update(
            event=fall, actor=coordinator,
            summary=("Pasienten hadde høy fallrisiko, men fallrisikovurderingen ble ikke gjort "
                     "ved innleggelsen. Natten hadde to sykepleiere på 24 pasienter, og "
                     "sengealarmen var ikke i bruk."),
            went_well="Rask tilkalling av lege og god smertelindring.",
            factors=["patient.cognition", "environment.staffing", "task.procedure"])
        for hours, what in ((-20, "Innlagt fra akuttmottaket med urinveisinfeksjon og delir."),
                            (-6, "Kveldsvakt noterer at pasienten er urolig; ingen "
                                 "fallrisikovurdering i journalen."),
                            (0, "Funnet på gulvet ved sengen; lege tilkalt."),
                            (5, "Røntgen: lårhalsbrudd venstre side.")):
            inv.timeline_add(event=fall, actor=coordinator, at=occurred + timedelta(hours=hours),
                             what=what)
        inv.causal_statement_add(
            event=fall, actor=coordinator, factor="task.procedure",
            cause="Fallrisikovurderingen var ikke en del av innkomstsjekklisten",
            effect="tiltak som sengealarm og lav seng ble ikke satt inn")
        inv.causal_statement_add(
            event=fall, actor=coordinator, factor="environment.staffing",
            cause="Nattbemanningen var to sykepleiere på 24 pasienter",
            effect="den urolige pasienten ble sett til sjeldnere enn hver time")
        today = timezone.localdate(now)
        for what, owner, days, strength in (
                ("Sengealarm og lav seng for alle pasienter med høy fallrisiko",
                 "Avdelingssykepleier", 30, "strong"),
                ("Fallrisikovurdering innen 24 timer i innkomstsjekklisten",
                 "Fagutviklingssykepleier", 45, "intermediate")):
            inv.event_action_add(event=fall, actor=coordinator, what=what, owner=owner,
                                 due_date=today + timedelta(days=days), strength=strength)
            counts["actions_created"] += 1
        fall.refresh_from_db()
        services.event_step(event=fall, step="open_actions", actor=coordinator,
                            at=reported + timedelta(days=9))
        counts["cases_created"] += 1

        # 2. A medication error under investigation.
        occurred = _days_ago(now, 9, hour=21)
        dose = services.event_report(
            org_unit=ward, event_type="medication", outcome="moderate", reached_patient=True,
            occurred_at=occurred, reported_at=occurred + timedelta(hours=2), actor=nurse,
            description=("Pasienten fikk enoksaparin to ganger samme kveld: dosen var gitt av "
                         "dagvakten, men ikke kvittert i kurven. Blødning fra stikkstedet, "
                         "lege tilkalt."),
            factors=["task.it"]).event
        dose = services.event_step(event=dose, step="triage", actor=coordinator,
                                   at=occurred + timedelta(hours=14))
        dose = services.event_step(event=dose, step="investigate", actor=coordinator,
                                   at=occurred + timedelta(days=2))
        inv.timeline_add(event=dose, actor=coordinator, at=occurred - timedelta(hours=5),
                         what="Dagvakten gir kveldsdosen tidlig før et akutt oppdrag.")
        inv.timeline_add(event=dose, actor=coordinator, at=occurred,
                         what="Kveldsvakten gir dosen igjen; kurven viser den som ikke gitt.")
        inv.causal_statement_add(
            event=dose, actor=coordinator, factor="task.it",
            cause="Den elektroniske kurven krevde kvittering i et eget skjermbilde",
            effect="en gitt dose så ut som ikke gitt for neste vakt")
        inv.event_action_add(event=dose, actor=coordinator,
                             what="Dobbeltkontroll av antikoagulasjon på medisinrommet",
                             owner="Avdelingssykepleier", strength="intermediate",
                             due_date=timezone.localdate(now) + timedelta(days=21))
        counts["actions_created"] += 1
        counts["cases_created"] += 1

    geriatric = units.get("OUS-RH-GER")
    if coordinator and geriatric:
        # 3. A low-harm fall, closed with feedback to the reporter.
        occurred = _days_ago(now, 40, hour=14)
        closed = services.event_report(
            org_unit=geriatric, event_type="fall", outcome="low", reached_patient=True,
            occurred_at=occurred, reported_at=occurred + timedelta(hours=3),
            actor=coordinator,
            description=("Pasienten snublet i en ledning ved sengen under mobilisering. "
                         "Skrubbsår på kneet, ellers uskadd.")).event
        closed = services.event_step(event=closed, step="triage", actor=coordinator,
                                     at=occurred + timedelta(days=1))
        closed = services.event_step(
            event=closed, step="request_approval", actor=coordinator,
            at=occurred + timedelta(days=6),
            feedback=("Takk for meldingen. Ledninger ved sengene samles nå i kabelkanal, og "
                      "dette sjekkes ved morgenrunden."))
        services.event_step(event=closed, step="close", actor=coordinator,
                            at=occurred + timedelta(days=8))
        counts["cases_created"] += 1

    home = units.get("K0301-NH1-LT")
    oslo = people.get("oslo.coordinator")
    home_nurse = people.get("lilleborg.reporter")
    if home and oslo and home_nurse:
        # 4. An anonymous near miss with a conversation through the follow-up link.
        occurred = _days_ago(now, 6, hour=8)
        reported = occurred + timedelta(hours=4)
        near = services.event_report(
            org_unit=home, event_type="medication", outcome="none", reached_patient=False,
            occurred_at=occurred, reported_at=reported, actor=home_nurse, anonymous=True,
            factors=["environment.staffing", "task.procedure"],
            description=("Under morgenutdelingen ble dosetten til en beboer nesten gitt til "
                         "beboeren på nabo-rommet. Oppdaget fordi navnet på dosetten ikke "
                         "stemte. Ingen tabletter gitt.")).event
        Event.objects.filter(pk=near.pk).update(
            followup_token_hash=services.followup_token_hash(DEMO_FOLLOWUP_TOKEN))
        near.refresh_from_db()
        services.message_add(event=near, token=DEMO_FOLLOWUP_TOKEN,
                             at=reported + timedelta(hours=20),
                             text=("Blir det innført navnekontroll ved utdeling? Vi er ofte "
                                   "bare to på morgenvakten."))
        near = services.event_step(event=near, step="triage", actor=oslo,
                                   at=reported + timedelta(days=1))
        services.message_add(event=near, actor=oslo, at=reported + timedelta(days=1, hours=2),
                             text=("Takk for at du meldte. Fra neste uke leser vi navn og "
                                   "fødselsdato høyt ved hver utdeling, og vi ser på "
                                   "bemanningen om morgenen."))
        counts["cases_created"] += 1
    return counts


def followup_link(token: str = DEMO_FOLLOWUP_TOKEN) -> str:
    """The path of the demo's follow-up page (as the demo output prints it)."""
    try:
        return reverse("events:followup", kwargs={"token": token})
    except NoReverseMatch:  # the page is not installed: the token is what the reporter has
        return token


def _links() -> list[str]:
    event = Event.objects.select_related("org_unit").filter(
        followup_token_hash=services.followup_token_hash(DEMO_FOLLOWUP_TOKEN)).first()
    if event is None:
        return []
    return [f"{followup_link()}  (follow-up link of the anonymous report {event.reference} "
            f"at {event.org_unit.name}: the reporter's question and the answer)"]


@transaction.atomic
def demo_load(now: datetime | None = None) -> dict[str, Any]:
    """Create the demo reports; nothing when they exist already. Returns counts, and the
    follow-up link to print under `links`."""
    now = now or timezone.now()
    counts: dict[str, Any] = {"events_created": 0, "investigations_created": 0,
                              "cases_created": 0, "actions_created": 0}
    if Event.objects.filter(
            followup_token_hash=services.followup_token_hash(DEMO_FOLLOWUP_TOKEN)).exists():
        return {**counts, "links": _links()}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[d.code for d in DEMO_UNITS])}
    people = get_user_model().objects.in_bulk(
        {d.handler for d in DEMO_UNITS} | {d.login for d in DEMO_UNITS if d.login},
        field_name="username")
    if not units:
        return {**counts, "links": []}
    counts.update(_history(now, units, people))
    cases = _cases(now, units, people)
    counts["events_created"] += cases["cases_created"]
    counts.update(cases_created=cases["cases_created"], actions_created=cases["actions_created"])
    return {**counts, "links": _links()}

