"""The event workflow as a table: which step leads from which state to which, and who may
take it. Services consult it; pages use it to offer only the steps a user can take.

submitted → triaged (or rejected, or duplicate) → investigating → actions open → awaiting
approval → closed, with re-open. A low-harm event may go from triage straight to approval.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from safehands.events.models import Status


@dataclass(frozen=True)
class Step:
    code: str
    label: object
    sources: tuple[str, ...]
    target: str
    permission: str


STEPS: dict[str, Step] = {step.code: step for step in (
    Step("triage", _("Triage"), (Status.SUBMITTED,), Status.TRIAGED, "event.handle"),
    Step("reject", _("Reject"), (Status.SUBMITTED,), Status.REJECTED, "event.handle"),
    Step("duplicate", _("Mark as duplicate"), (Status.SUBMITTED,), Status.DUPLICATE,
         "event.handle"),
    Step("restore", _("Restore to submitted"), (Status.REJECTED, Status.DUPLICATE),
         Status.SUBMITTED, "event.handle"),
    Step("investigate", _("Start investigation"), (Status.TRIAGED,), Status.INVESTIGATING,
         "event.handle"),
    Step("open_actions", _("Actions decided"), (Status.INVESTIGATING,), Status.ACTIONS_OPEN,
         "event.handle"),
    Step("request_approval", _("Ask for approval to close"),
         (Status.TRIAGED, Status.INVESTIGATING, Status.ACTIONS_OPEN),
         Status.AWAITING_APPROVAL, "event.handle"),
    Step("send_back", _("Send back"), (Status.AWAITING_APPROVAL,), Status.INVESTIGATING,
         "event.approve"),
    Step("close", _("Approve and close"), (Status.AWAITING_APPROVAL,), Status.CLOSED,
         "event.approve"),
    Step("reopen", _("Re-open"), (Status.CLOSED,), Status.INVESTIGATING, "event.approve"),
)}

STEP_NOT_ALLOWED = _("A report that is {status} cannot be moved with '{step}'.")
STEP_UNKNOWN = "'{step}' is not a workflow step; use one of {steps}."


def step_get(code: str) -> Step:
    try:
        return STEPS[code]
    except KeyError:
        raise ValueError(STEP_UNKNOWN.format(step=code, steps=", ".join(STEPS))) from None


def steps_from(status: str) -> list[Step]:
    return [step for step in STEPS.values() if status in step.sources]
