"""Every write to the catalogue: loading the YAML, and edits by programme administrators.

Loading is idempotent and all-or-nothing. For each item of the YAML, by code:

- new code: created;
- same content as the database: unchanged;
- different content: updated, unless a programme administrator edited the item locally, in
  which case it is kept as edited (`kept_local`), or overwritten with `force=True`;
- an item that came from the YAML and is no longer there: retired, never deleted (a locally
  edited one is kept unless `force=True`); items added locally are never touched.

Every change writes an audit row with the state before and after, in the same transaction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from safehands.audit.services import audit_record, snapshot
from safehands.catalogue import schema
from safehands.catalogue.models import (
    BOOKKEEPING,
    MODELS,
    ActionPlan,
    ActionPlanArea,
    Aim,
    BundleElement,
    CatalogueItem,
    Measure,
    Programme,
    Recommendation,
    TargetArea,
)
from safehands.orgs.access import authorize

ACTIONS = ("created", "updated", "unchanged", "retired", "kept_local")


@dataclass
class LoadSummary:
    """What a load did, per kind of item; `kept_local` names the items it left alone."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {m.KIND: dict.fromkeys(ACTIONS, 0) for m in MODELS}
    )
    kept_local: list[str] = field(default_factory=list)
    dry_run: bool = False

    def add(self, kind: str, action: str) -> None:
        self.counts[kind][action] += 1

    def total(self, action: str) -> int:
        return sum(by_action[action] for by_action in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(a) for a in ("created", "updated", "retired"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": {action: self.total(action) for action in ACTIONS},
            "by_kind": self.counts,
            "kept_local": self.kept_local,
            "dry_run": self.dry_run,
        }

    def as_text(self) -> str:
        lines = [f"{'':<18}" + "".join(f"{a:>11}" for a in ACTIONS)]
        for kind, by_action in self.counts.items():
            lines.append(f"{kind:<18}" + "".join(f"{by_action[a]:>11}" for a in ACTIONS))
        lines.append(f"{'total':<18}" + "".join(f"{self.total(a):>11}" for a in ACTIONS))
        if self.kept_local:
            lines.append("Kept as edited locally (use --force to overwrite): "
                         + ", ".join(self.kept_local))
        return "\n".join(lines)


def _common(item: schema.Item, position: int) -> dict[str, Any]:
    return {
        "name": item.name,
        "name_nb": item.name_nb,
        "description": item.description,
        "description_nb": item.description_nb,
        "source": item.source,
        "confidence": item.confidence,
        "note": item.note,
        "position": position,
    }


def _content(instance: CatalogueItem) -> dict[str, Any]:
    """The fields an edit or a load may change; bookkeeping left out."""
    return {
        f.attname: getattr(instance, f.attname)
        for f in instance._meta.concrete_fields
        if f.attname not in BOOKKEEPING
    }


class _Loader:
    def __init__(self, *, actor: Any, source: str, force: bool) -> None:
        self.actor = actor
        self.source = source
        self.force = force
        self.summary = LoadSummary()
        self.seen: dict[type[CatalogueItem], set[str]] = {m: set() for m in MODELS}
        # Everything already stored, read once: a reload is mostly comparisons.
        self.existing: dict[type[CatalogueItem], dict[str, CatalogueItem]] = {
            m: {item.code: item for item in m.objects.all()} for m in MODELS
        }
        self.compliance: dict[int, set[int]] = {}
        through = Measure.compliance_elements.through
        for measure_id, element_id in through.objects.values_list("measure_id",
                                                                  "bundleelement_id"):
            self.compliance.setdefault(measure_id, set()).add(element_id)

    def sync(self, model: type[CatalogueItem], code: str, values: dict[str, Any],
             elements: list[BundleElement] | None = None) -> CatalogueItem:
        """Create or update one item from the YAML; `elements` for bundle compliance."""
        self.seen[model].add(code)
        kind = model.KIND
        instance = self.existing[model].get(code)
        if instance is None:
            instance = model(code=code, origin="package", **values)
            self._clean(instance)
            instance.save()
            if elements is not None:
                instance.compliance_elements.set(elements)
            self.summary.add(kind, "created")
            audit_record(actor=self.actor, action=f"catalogue.{kind}.created", target=instance,
                         before=None, after=self._state(instance), source=self.source)
            return instance

        wanted = {**values, "is_retired": False}
        differs = any(getattr(instance, k) != v for k, v in wanted.items())
        differs = differs or instance.origin != "package"
        if elements is not None:
            differs = differs or self.compliance.get(instance.pk, set()) != {
                e.pk for e in elements}
        if not differs:
            self.summary.add(kind, "unchanged")
            return instance
        if instance.locally_edited and not self.force:
            self.summary.add(kind, "kept_local")
            self.summary.kept_local.append(code)
            return instance
        before = self._state(instance)
        for k, v in wanted.items():
            setattr(instance, k, v)
        instance.origin = "package"
        instance.locally_edited = False
        self._clean(instance)
        instance.save()
        if elements is not None:
            instance.compliance_elements.set(elements)
        self.summary.add(kind, "updated")
        audit_record(actor=self.actor, action=f"catalogue.{kind}.updated", target=instance,
                     before=before, after=self._state(instance), source=self.source)
        return instance

    def retire_missing(self) -> None:
        """Retire packaged items that have left the YAML; children before parents."""
        for model in reversed(MODELS):
            gone = model.objects.filter(origin="package", is_retired=False).exclude(
                code__in=self.seen[model]).order_by("code")
            for instance in gone:
                if instance.locally_edited and not self.force:
                    self.summary.add(model.KIND, "kept_local")
                    self.summary.kept_local.append(instance.code)
                    continue
                before = self._state(instance)
                instance.is_retired = True
                instance.save(update_fields=["is_retired", "updated_at"])
                self.summary.add(model.KIND, "retired")
                audit_record(actor=self.actor, action=f"catalogue.{model.KIND}.retired",
                             target=instance, before=before, after=self._state(instance),
                             source=self.source)

    @staticmethod
    def _clean(instance: CatalogueItem) -> None:
        """Field and row rules. Uniqueness and check constraints were already checked on the
        whole catalogue by the schema, and the database enforces them again on save."""
        instance.full_clean(validate_unique=False, validate_constraints=False)

    @staticmethod
    def _state(instance: CatalogueItem) -> dict[str, Any]:
        state = snapshot(instance)
        if isinstance(instance, Measure) and instance.pk:
            state["compliance_elements"] = sorted(
                instance.compliance_elements.values_list("code", flat=True))
        return state

    def programme(self, file: str, position: int, p: schema.Programme) -> None:
        programme = self.sync(Programme, p.code, {
            **_common(p, position), "version": p.version, "country": p.country,
            "file_name": file,
        })
        for i, aim in enumerate(p.aims):
            self.sync(Aim, aim.code, {**_common(aim, i), "programme_id": programme.pk})
        for i, area in enumerate(p.target_areas):
            self.target_area(programme, i, area)
        for i, plan in enumerate(p.action_plans):
            self.action_plan(programme, i, plan)

    def target_area(self, programme: Programme, position: int, a: schema.TargetArea) -> None:
        area = self.sync(TargetArea, a.code, {
            **_common(a, position), "programme_id": programme.pk, "number": a.number,
            "settings": list(a.settings),
        })
        elements: dict[str, BundleElement] = {}
        for i, e in enumerate(a.bundle_elements):
            elements[e.code] = self.sync(BundleElement, e.code, {
                **_common(e, i), "target_area_id": area.pk})
        for i, m in enumerate(a.measures):
            target = m.target
            self.sync(Measure, m.code, {
                **_common(m, i),
                "target_area_id": area.pk,
                "kind": m.kind,
                "value_type": m.value_type,
                "numerator": m.numerator,
                "numerator_nb": m.numerator_nb,
                "denominator": m.denominator,
                "denominator_nb": m.denominator_nb,
                "unit": m.unit,
                "multiplier": float(m.multiplier),
                "direction": m.direction,
                "chart": m.chart,
                "frequency": m.frequency,
                "sampling": m.sampling,
                "sampling_nb": m.sampling_nb,
                "sample_size": m.sample_size,
                "target_value": target.value if target else None,
                "target_note": target.note if target else "",
                "target_source": target.source if target else "",
                "target_confidence": target.confidence if target else "",
                "is_default": m.is_default,
            }, elements=[elements[code] for code in m.compliance_elements])

    def action_plan(self, programme: Programme, position: int, p: schema.ActionPlan) -> None:
        plan = self.sync(ActionPlan, p.code, {
            **_common(p, position), "programme_id": programme.pk,
            "period_start": p.period_start, "period_end": p.period_end,
            "areas_are": p.areas_are,
        })
        for i, a in enumerate(p.areas):
            area = self.sync(ActionPlanArea, a.code, {
                **_common(a, i), "plan_id": plan.pk, "number": a.number})
            for j, r in enumerate(a.recommendations):
                self.sync(Recommendation, r.code, {
                    **_common(r, j), "area_id": area.pk, "number": r.number})


def catalogue_load(
    *,
    actor: Any = None,
    source: str = "cli",
    path: str | os.PathLike[str] | None = None,
    catalogue: schema.Catalogue | None = None,
    force: bool = False,
    dry_run: bool = False,
) -> LoadSummary:
    """Load the catalogue YAML into the database; see the module docstring for the rules.

    `actor` None is the system or the command line; a person must be a programme
    administrator. Raises CatalogueInvalid (a DomainError listing every problem) before
    anything is written when the files are not valid.
    """
    if actor is not None:
        authorize(actor, "catalogue.edit")
    data = catalogue if catalogue is not None else schema.read_catalogue(path)
    with transaction.atomic():
        loader = _Loader(actor=actor, source=source, force=force)
        for position, (file, programme) in enumerate(data.files.items()):
            loader.programme(file, position, programme)
        loader.retire_missing()
        summary = loader.summary
        summary.dry_run = dry_run
        audit_record(actor=actor, action="catalogue.loaded", object_type="catalogue",
                     object_repr=", ".join(p.code for p in data.programmes),
                     after={**summary.as_dict(), "force": force}, source=source)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def catalogue_item_save(*, actor: Any, item: CatalogueItem, source: str = "web") -> CatalogueItem:
    """Save a programme administrator's edit (or a new local item), marked and audited.

    An edited item is marked `locally_edited`, so a reload keeps it; an added item is
    `origin="local"`, so a reload never touches it.
    """
    authorize(actor, "catalogue.edit")
    model = type(item)
    with transaction.atomic():
        if item.pk is None:
            item.origin = "local"
            item.locally_edited = True
            item.full_clean()
            item.save()
            audit_record(actor=actor, action=f"catalogue.{model.KIND}.added", target=item,
                         before=None, after=snapshot(item), source=source)
            return item
        stored = model.objects.select_for_update().get(pk=item.pk)
        if _content(stored) == _content(item):
            return stored
        before = snapshot(stored)
        item.locally_edited = True
        item.full_clean()
        item.save()
        audit_record(actor=actor, action=f"catalogue.{model.KIND}.edited", target=item,
                     before=before, after=snapshot(item), source=source)
    return item
