"""The read log of a unit, for its leaders: who read which patient-level or free-text data
of the unit and the units below it. Thin: parse the filters, ask the permission function,
call one query, render (or write the CSV)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from safehands.audit.models import ReadEvent, ReadKind
from safehands.audit.queries import read_event_list, read_event_readers
from safehands.core.tables import csv_writer
from safehands.orgs.access import authorize
from safehands.orgs.queries import org_unit_ancestors, org_unit_get

PAGE_SIZE = 50
CSV_COLUMNS = ["at", "reader", "kind", "purpose", "records", "record_count", "object_type",
               "object_id", "unit", "where", "source", "client_address", "unusual",
               "unusual_reason", "granted_at"]


@dataclass
class ReadLogFilter:
    person: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kind: str = ""
    unusual_only: bool = False
    record: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def query(self) -> dict[str, Any]:
        return {"person": self.person, "date_from": self.date_from, "date_to": self.date_to,
                "kind": self.kind, "unusual_only": self.unusual_only, "record": self.record}


def _date(params: QueryDict, name: str, label: str, errors: list[str]) -> datetime.date | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        errors.append(_("%(field)s: '%(value)s' is not a date; write it as YYYY-MM-DD.") % {
            "field": label, "value": text})
        return None


def read_log_filter(params: QueryDict) -> ReadLogFilter:
    """The filters of the page and the CSV, each bad one with a message naming it."""
    errors: list[str] = []
    chosen = ReadLogFilter(person=params.get("person", "").strip(),
                           record=params.get("record", "").strip(),
                           unusual_only=params.get("unusual", "") in {"1", "on", "true"})
    chosen.date_from = _date(params, "from", _("From"), errors)
    chosen.date_to = _date(params, "to", _("To"), errors)
    if chosen.date_from and chosen.date_to and chosen.date_from > chosen.date_to:
        errors.append(_("From: %(start)s is after To (%(end)s).") % {
            "start": chosen.date_from.isoformat(), "end": chosen.date_to.isoformat()})
    kind = params.get("kind", "").strip()
    if kind and kind not in ReadKind.values:
        errors.append(_("Kind: '%(value)s' is not a kind of data; choose one of %(kinds)s.") % {
            "value": kind, "kinds": ", ".join(ReadKind.values)})
    else:
        chosen.kind = kind
    page = params.get("page", "1").strip() or "1"
    if not page.isdigit() or int(page) < 1:
        errors.append(_("Page: '%(value)s' is not a page number.") % {"value": page})
    else:
        chosen.page = int(page)
    chosen.errors = errors
    return chosen


def _unusual_text(event: ReadEvent) -> str:
    if not event.unusual:
        return ""
    text = str(event.get_unusual_reason_display())
    return f"{text} ({event.granted_at})" if event.granted_at else text


@login_required
def read_log(request: HttpRequest, code: str) -> HttpResponse:
    unit = org_unit_get(code=code)
    authorize(request.user, "audit.view", unit)
    chosen = read_log_filter(request.GET)
    page = None
    if not chosen.errors:
        paginator = Paginator(read_event_list(org_path=unit.path, **chosen.query()), PAGE_SIZE)
        page = paginator.get_page(chosen.page)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "audit/read_log.html", {
        "unit": unit,
        "ancestors": org_unit_ancestors(unit=unit, user=request.user, permission="org.view"),
        "filter": chosen,
        "page": page,
        "rows": [(e, _unusual_text(e)) for e in page.object_list] if page else [],
        "readers": read_event_readers(org_path=unit.path),
        "kinds": ReadKind.choices,
        "query": params.urlencode(),
    }, status=400 if chosen.errors else 200)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def read_log_csv(request: HttpRequest, code: str) -> HttpResponse:
    """Every row that matches the filters (not only one page), formula cells escaped."""
    unit = org_unit_get(code=code)
    authorize(request.user, "audit.view", unit)
    chosen = read_log_filter(request.GET)
    if chosen.errors:
        return HttpResponse("\n".join(chosen.errors) + "\n", status=400,
                            content_type="text/plain; charset=utf-8")
    events = read_event_list(org_path=unit.path, **chosen.query())
    writer = csv_writer(_Echo(), lineterminator="\n")
    zone = timezone.get_current_timezone()

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for e in events.iterator(chunk_size=2000):
            yield writer.writerow([
                e.at.astimezone(zone).isoformat(timespec="seconds"), e.actor_username, e.kind,
                e.purpose, e.object_repr, e.object_count, e.object_type, e.object_id,
                e.org_code, e.where, e.source, e.client_address or "",
                "true" if e.unusual else "false", e.unusual_reason, e.granted_at])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="read-log-{unit.code}-{stamp}.csv"'
    return response
