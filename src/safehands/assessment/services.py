"""Every write of the assessment app: keyword-only, authorised, validated, atomic, audited.

Content (instruments, elements, tactics) loads from the packaged YAML and is edited by
programme administrators; assessments, ratings, consensus and actions are the teams' work.
A closed assessment is read-only: any write to it raises ASSESSMENT_CLOSED and changes
nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from safehands.assessment import instruments as packaged
from safehands.assessment import scoring
from safehands.assessment.models import (
    Action,
    Assessment,
    Consensus,
    ContentItem,
    Element,
    Instrument,
    Rating,
    Resource,
    Tactic,
    TeamMember,
)
from safehands.audit.services import audit_record, snapshot
from safehands.catalogue.models import (
    ActionPlan,
    ActionPlanArea,
    Measure,
    Recommendation,
    TargetArea,
)
from safehands.core.errors import Conflict, DomainError, NotFound
from safehands.orgs.access import authorize, can
from safehands.orgs.models import OrgUnit

ASSESSMENT_CLOSED = "This assessment is closed; it can no longer be changed."
NOT_A_MEMBER = "Only members of the assessment team can rate; ask the coordinator to invite you."
ALREADY_MEMBER = "{user} is already on the team."
MEMBER_HAS_NO_ACCESS = "{user} has no access to {unit}; grant them a role there first."
UNKNOWN_USER = "There is no user {username!r}."
OFF_SCALE = "{value!r} is not on the scale; use 1, 2, 3, 4 or unsure."
ELEMENT_NOT_IN_INSTRUMENT = "Element {code!r} is not part of this assessment's instrument."
CONSENSUS_MISSING = ("Record an agreed score for every element before closing; "
                     "{count} element(s) have none: {codes}.")
RETIRED_INSTRUMENT = "The instrument {code!r} is retired; choose another."
TITLE_REQUIRED = "Give the assessment a title."
WHAT_REQUIRED = "Say what the action is."
OWNER_REQUIRED = "Name the owner of the action."
UNKNOWN_LINK = "Unknown {kind} {code!r}."
UNKNOWN_STATUS = "Unknown status {status!r}; use one of {allowed}."
NOTHING_TO_IMPORT = "The instruments are not in the catalogue yet; run `safehands catalogue load`."


def _check_open(assessment: Assessment) -> None:
    if not assessment.is_open:
        raise Conflict(ASSESSMENT_CLOSED, {"assessment": assessment.pk})


def parse_value(value: Any) -> int | None:
    """1-4 -> int; 'unsure', '' or None -> None (unsure); anything else is refused."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("unsure", "")):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(OFF_SCALE.format(value=value), {"field": "value"}) from None
    if number not in (1, 2, 3, 4) or str(value).strip() not in ("1", "2", "3", "4"):
        raise DomainError(OFF_SCALE.format(value=value), {"field": "value"})
    return number


# --------------------------------------------------------------------------- content


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept_local: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "kept_local": self.kept_local}


def _sync(model: type[ContentItem], code: str, values: dict[str, Any], summary: LoadSummary, *,
          actor: Any, source: str, force: bool) -> ContentItem:
    item = model.objects.filter(code=code).first()
    kind = model.KIND  # type: ignore[attr-defined]
    if item is None:
        item = model(code=code, **values)
        item.save()
        summary.created[kind] = summary.created.get(kind, 0) + 1
        audit_record(actor=actor, action=f"assessment.{kind}.created", target=item,
                     after=snapshot(item), source=source)
        return item
    if item.locally_edited and not force:
        summary.kept_local += 1
        return item
    before = snapshot(item)
    for name, value in values.items():
        setattr(item, name, value)
    item.locally_edited = False
    item.is_retired = False
    after = snapshot(item)
    if {k: v for k, v in before.items() if k != "updated_at"} != {
            k: v for k, v in after.items() if k != "updated_at"}:
        item.save()
        summary.updated[kind] = summary.updated.get(kind, 0) + 1
        audit_record(actor=actor, action=f"assessment.{kind}.updated", target=item,
                     before=before, after=snapshot(item), source=source)
    return item


def instruments_load(*, actor: Any = None, source: str = "system", force: bool = False,
                     bundle: packaged.Bundle | None = None) -> LoadSummary:
    """Load the packaged instruments and resource guide; keep local edits unless `force`.

    Needs the catalogue loaded (areas and recommendations are linked by code). Idempotent:
    a second load changes nothing and audits nothing.
    """
    if actor is not None:
        authorize(actor, "catalogue.edit")
    bundle = bundle or packaged.read_instruments()
    summary = LoadSummary()
    options = {"actor": actor, "source": source, "force": force}
    with transaction.atomic():
        plans = {p.code: p for p in ActionPlan.objects.all()}
        areas = {a.code: a for a in ActionPlanArea.objects.all()}
        recommendations = {r.code: r for r in Recommendation.objects.all()}
        if not all(i.action_plan in plans for i in bundle.instruments.values()):
            raise DomainError(NOTHING_TO_IMPORT)
        for position, spec in enumerate(bundle.instruments.values()):
            instrument = _sync(Instrument, spec.code, {
                "name": spec.name, "name_nb": spec.name_nb, "source": spec.source,
                "confidence": spec.confidence, "position": position,
                "action_plan": plans[spec.action_plan], "version": spec.version,
                "description": spec.description,
                "scale": [s.model_dump() for s in spec.scale],
                "unsure_label": spec.unsure_label, "unsure_label_nb": spec.unsure_label_nb,
            }, summary, **options)
            for i, e in enumerate(spec.elements):
                element = _sync(Element, e.code, {
                    "instrument": instrument, "area": areas[e.area], "name": e.name,
                    "name_nb": e.name_nb, "criteria": "\n".join(e.criteria),
                    "criteria_nb": "\n".join(e.criteria_nb),
                    "source": e.source, "confidence": e.confidence, "position": i,
                }, summary, **options)
                if not element.locally_edited or force:
                    wanted = {recommendations[c].pk for c in e.recommendations}
                    if set(element.recommendations.values_list("pk", flat=True)) != wanted:
                        element.recommendations.set(wanted)
        for i, t in enumerate(bundle.guide.tactics):
            tactic = _sync(Tactic, t.code, {
                "recommendation": recommendations.get(t.recommendation or ""),
                "area": areas.get(t.area or ""), "name": t.name, "name_nb": t.name_nb,
                "description": t.description, "levels": list(t.levels),
                "source": t.source, "confidence": t.confidence, "position": i,
            }, summary, **options)
            if not tactic.locally_edited or force:
                wanted_resources = [(r.title, r.kind, r.link, r.note) for r in t.resources]
                stored = [(r.title, r.kind, r.link, r.note) for r in tactic.resources.all()]
                if stored != wanted_resources:
                    tactic.resources.all().delete()
                    Resource.objects.bulk_create([
                        Resource(tactic=tactic, title=r.title, kind=r.kind, link=r.link,
                                 note=r.note, position=j) for j, r in enumerate(t.resources)])
        if summary.created or summary.updated:
            audit_record(actor=actor, action="assessment.instruments.loaded",
                         object_type="assessment.instruments",
                         object_repr=", ".join(bundle.instruments), after=summary.as_dict(),
                         source=source)
    return summary


def content_item_save(*, actor: Any, item: ContentItem, source: str = "web") -> ContentItem:
    """A programme administrator's edit in the admin: marked as local and audited."""
    authorize(actor, "catalogue.edit")
    model = type(item)
    kind = model.KIND  # type: ignore[attr-defined]
    with transaction.atomic():
        before = snapshot(model.objects.get(pk=item.pk)) if item.pk else None
        item.locally_edited = True
        item.full_clean()
        item.save()
        audit_record(actor=actor, action=f"assessment.{kind}.edited", target=item,
                     before=before, after=snapshot(item), source=source)
    return item


# --------------------------------------------------------------------------- assessments


@transaction.atomic
def assessment_start(*, org_unit: OrgUnit, instrument: Instrument, title: str, actor: Any,
                     source: str = "web") -> Assessment:
    """Start an assessment; the coordinator who starts it is its first team member."""
    authorize(actor, "assessment.manage", org_unit)
    if instrument.is_retired:
        raise DomainError(RETIRED_INSTRUMENT.format(code=instrument.code))
    if not title.strip():
        raise DomainError(TITLE_REQUIRED, {"field": "title"})
    assessment = Assessment(org_unit=org_unit, instrument=instrument, title=title.strip(),
                            started_by=actor)
    assessment.full_clean()
    assessment.save()
    TeamMember.objects.create(assessment=assessment, user=actor, profession="coordinator")
    audit_record(actor=actor, action="assessment.assessment.started", target=assessment,
                 org_path=org_unit.path, after=snapshot(assessment), source=source)
    return assessment


@transaction.atomic
def team_member_invite(*, assessment: Assessment, username: str, profession: str = "",
                       actor: Any, source: str = "web") -> TeamMember:
    """Invite a user who can rate on the unit (reporter or higher) to the team."""
    unit = assessment.org_unit
    authorize(actor, "assessment.manage", unit)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_open(assessment)
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None:
        raise DomainError(UNKNOWN_USER.format(username=username), {"field": "username"})
    if not can(user, "assessment.rate", unit):
        raise DomainError(MEMBER_HAS_NO_ACCESS.format(user=user.get_username(), unit=unit.name),
                          {"field": "username"})
    if TeamMember.objects.filter(assessment=assessment, user=user).exists():
        raise DomainError(ALREADY_MEMBER.format(user=user.get_username()), {"field": "username"})
    member = TeamMember.objects.create(assessment=assessment, user=user,
                                       profession=profession.strip())
    audit_record(actor=actor, action="assessment.member.invited", target=member,
                 org_path=unit.path, after=snapshot(member), source=source)
    return member


def _elements(assessment: Assessment, codes: Mapping[str, Any]) -> dict[str, Element]:
    known = {e.code: e for e in assessment.instrument.elements.all()}
    for code in codes:
        if code not in known:
            raise DomainError(ELEMENT_NOT_IN_INSTRUMENT.format(code=code), {"element": code})
    return known


@transaction.atomic
def ratings_save(*, assessment: Assessment, ratings: Mapping[str, tuple[Any, str]], actor: Any,
                 source: str = "web") -> int:
    """Save one member's own ratings: element code -> (value 1-4 or unsure, comment).

    All or nothing: a bad value or unknown element anywhere changes nothing. Returns the
    number of ratings created or changed.
    """
    unit = assessment.org_unit
    authorize(actor, "assessment.rate", unit)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_open(assessment)
    if not TeamMember.objects.filter(assessment=assessment, user=actor).exists():
        raise DomainError(NOT_A_MEMBER)
    elements = _elements(assessment, ratings)
    parsed = {}
    for code, (value, comment) in ratings.items():
        try:
            parsed[code] = (parse_value(value), (comment or "").strip())
        except DomainError as error:
            raise DomainError(error.message, {"element": code, "field": "value"}) from None
    existing = {r.element.code: r for r in Rating.objects.filter(
        assessment=assessment, rater=actor).select_related("element")}
    changed = 0
    for code, (value, comment) in parsed.items():
        rating = existing.get(code)
        if rating is not None and (rating.value, rating.comment) == (value, comment):
            continue
        before = snapshot(rating, ["value", "comment"]) if rating else None
        if rating is None:
            rating = Rating(assessment=assessment, element=elements[code], rater=actor)
        rating.value, rating.comment = value, comment
        rating.save()
        changed += 1
        audit_record(actor=actor, action="assessment.rating.saved", target=rating,
                     object_repr=f"{assessment.pk}/{code}", org_path=unit.path, before=before,
                     after=snapshot(rating, ["value", "comment"]), source=source)
    return changed


NOT_ON_TEAM = "{rater!r} is not on this assessment's team (use their username)"


@transaction.atomic
def ratings_import(*, assessment: Assessment, text: str, actor: Any, file: str = "RATINGS.csv",
                   source: str = "import") -> int:
    """A coordinator loads a team's ratings made on paper or in a spreadsheet: RATINGS.csv
    (`rater, element, rating[, comment]`, rater = a team member's username), the same format
    as `safehands assessment score`. All or nothing; every problem names its row and field.
    Returns the number of ratings created or changed.
    """
    unit = assessment.org_unit
    authorize(actor, "assessment.manage", unit)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_open(assessment)
    elements = {e.code: e for e in assessment.instrument.elements.filter(is_retired=False)}
    try:
        rows = scoring.ratings_read(text, elements=elements, instrument=assessment.instrument.code,
                                    file=file)
    except scoring.RatingsInvalid as error:
        raise DomainError(error.message, error.extra) from None
    members = {m.user.get_username(): m.user for m in assessment.members.select_related("user")}
    problems = [scoring.Problem(r.row, "rater", NOT_ON_TEAM.format(rater=r.rater))
                for r in rows if r.rater not in members]
    if problems:
        error = scoring.RatingsInvalid(file, problems)
        raise DomainError(error.message, error.extra)
    comments = scoring.comments_read(text)
    existing = {(r.rater_id, r.element_id): r for r in Rating.objects.filter(
        assessment=assessment)}
    changed = 0
    for row in rows:
        user, element = members[row.rater], elements[row.element]
        comment = comments.get(row.row, "")
        rating = existing.get((user.pk, element.pk))
        if rating is not None and (rating.value, rating.comment) == (row.value, comment):
            continue
        before = snapshot(rating, ["value", "comment"]) if rating else None
        if rating is None:
            rating = Rating(assessment=assessment, element=element, rater=user)
        rating.value, rating.comment = row.value, comment
        rating.save()
        changed += 1
        audit_record(actor=actor, action="assessment.rating.imported", target=rating,
                     object_repr=f"{assessment.pk}/{row.element}/{row.rater}",
                     org_path=unit.path, before=before,
                     after=snapshot(rating, ["value", "comment"]), source=source)
    return changed


@transaction.atomic
def consensus_record(*, assessment: Assessment, scores: Mapping[str, tuple[Any, str]],
                     actor: Any, source: str = "web") -> int:
    """The coordinator records the team's agreed score per element (value or unsure, note)."""
    unit = assessment.org_unit
    authorize(actor, "assessment.manage", unit)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_open(assessment)
    elements = _elements(assessment, scores)
    parsed = {}
    for code, (value, note) in scores.items():
        try:
            parsed[code] = (parse_value(value), (note or "").strip())
        except DomainError as error:
            raise DomainError(error.message, {"element": code, "field": "value"}) from None
    existing = {c.element.code: c for c in Consensus.objects.filter(
        assessment=assessment).select_related("element")}
    changed = 0
    for code, (value, note) in parsed.items():
        row = existing.get(code)
        if row is not None and (row.value, row.note) == (value, note):
            continue
        before = snapshot(row, ["value", "note"]) if row else None
        if row is None:
            row = Consensus(assessment=assessment, element=elements[code])
        row.value, row.note, row.recorded_by = value, note, actor
        row.save()
        changed += 1
        audit_record(actor=actor, action="assessment.consensus.recorded", target=row,
                     object_repr=f"{assessment.pk}/{code}", org_path=unit.path, before=before,
                     after=snapshot(row, ["value", "note"]), source=source)
    return changed


@transaction.atomic
def assessment_close(*, assessment: Assessment, note: str = "", actor: Any,
                     source: str = "web") -> Assessment:
    """Close once every element has an agreed score; after this nothing can change."""
    authorize(actor, "assessment.manage", assessment.org_unit)
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    _check_open(assessment)
    agreed = set(Consensus.objects.filter(assessment=assessment).values_list(
        "element_id", flat=True))
    missing = [e.code for e in assessment.instrument.elements.filter(is_retired=False)
               if e.pk not in agreed]
    if missing:
        raise DomainError(CONSENSUS_MISSING.format(count=len(missing),
                                                   codes=", ".join(missing[:5])),
                          {"missing": missing})
    before = snapshot(assessment)
    assessment.status = Assessment.Status.CLOSED
    assessment.closed_at = timezone.now()
    assessment.closed_by = actor
    assessment.note = note.strip() or assessment.note
    assessment.save()
    audit_record(actor=actor, action="assessment.assessment.closed", target=assessment,
                 org_path=assessment.org_unit.path, before=before, after=snapshot(assessment),
                 source=source)
    return assessment


# --------------------------------------------------------------------------- actions

_LINKS: dict[str, tuple[type, str]] = {
    "tactic": (Tactic, "tactic"),
    "recommendation": (Recommendation, "recommendation"),
    "plan_area": (ActionPlanArea, "action-plan area"),
    "target_area": (TargetArea, "target area"),
    "measure": (Measure, "measure"),
}


def _link(kind: str, code: str | None) -> Any:
    if not code:
        return None
    model, label = _LINKS[kind]
    item = model.objects.filter(code=code).first()
    if item is None:
        raise NotFound(UNKNOWN_LINK.format(kind=label, code=code), {"field": kind})
    return item


@transaction.atomic
def action_create(*, org_unit: OrgUnit, what: str, owner: str, actor: Any,
                  due_date: datetime.date | None = None, status: str = "planned",
                  tactic: str | None = None, recommendation: str | None = None,
                  plan_area: str | None = None, target_area: str | None = None,
                  measure: str | None = None, assessment: Assessment | None = None,
                  note: str = "", source: str = "web") -> Action:
    """Add an action to the unit's plan; links are catalogue/guide codes."""
    authorize(actor, "assessment.rate", org_unit)
    if not what.strip():
        raise DomainError(WHAT_REQUIRED, {"field": "what"})
    if not owner.strip():
        raise DomainError(OWNER_REQUIRED, {"field": "owner"})
    if status not in Action.Status.values:
        raise DomainError(UNKNOWN_STATUS.format(status=status, allowed=", ".join(
            Action.Status.values)), {"field": "status"})
    if assessment is not None and assessment.org_unit_id != org_unit.pk:
        assessment = None
    tactic_row = _link("tactic", tactic)
    recommendation_row = _link("recommendation", recommendation)
    area_row = _link("plan_area", plan_area)
    # A tactic knows its recommendation and area: the plan's progress per area counts it there.
    if tactic_row is not None:
        recommendation_row = recommendation_row or tactic_row.recommendation
        area_row = area_row or tactic_row.area
    if recommendation_row is not None:
        area_row = area_row or recommendation_row.area
    action = Action(
        org_unit=org_unit, what=what.strip(), owner=owner.strip(), due_date=due_date,
        status=status, assessment=assessment, tactic=tactic_row,
        recommendation=recommendation_row, plan_area=area_row,
        target_area=_link("target_area", target_area),
        measure=_link("measure", measure), note=note.strip(), created_by=actor,
        completed_on=timezone.localdate() if status == "done" else None,
    )
    action.full_clean()
    action.save()
    audit_record(actor=actor, action="assessment.action.created", target=action,
                 org_path=org_unit.path, after=snapshot(action), source=source)
    return action


@transaction.atomic
def action_update(*, action: Action, actor: Any, status: str | None = None,
                  due_date: datetime.date | None = None, owner: str | None = None,
                  source: str = "web") -> Action:
    """Change an action's status, due date or owner; finishing it stamps the date."""
    authorize(actor, "assessment.rate", action.org_unit)
    action = Action.objects.select_for_update().get(pk=action.pk)
    before = snapshot(action)
    if status is not None:
        if status not in Action.Status.values:
            raise DomainError(UNKNOWN_STATUS.format(status=status, allowed=", ".join(
                Action.Status.values)), {"field": "status"})
        action.status = status
        action.completed_on = (action.completed_on or timezone.localdate()) \
            if status == "done" else None
    if due_date is not None:
        action.due_date = due_date
    if owner is not None:
        if not owner.strip():
            raise DomainError(OWNER_REQUIRED, {"field": "owner"})
        action.owner = owner.strip()
    action.full_clean()
    action.save()
    audit_record(actor=actor, action="assessment.action.updated", target=action,
                 org_path=action.org_unit.path, before=before, after=snapshot(action),
                 source=source)
    return action
