"""The lifecycle of a communications-data request: every step one call, `request_transition`.

draft → spoc_review (the applicant submits) → returned (the SPoC, with reasons; the applicant
submits again) or awaiting_authorisation (the SPoC accepts, with a feasibility note) →
authorised or refused (the SPoC records the OCDA's decision: reference, reasons, date), or
authorised by a designated senior officer's urgent internal authorisation (an immediate threat
to life only), which lapses after 3 days unless the OCDA confirms it → sent (the SPoC) →
acknowledged (the provider) → fulfilled (with a response uploaded), declined with a reason, or
clarification_requested (the provider asks; the SPoC answers and it goes back to sent) → closed
(the SPoC). Withdrawn (the SPoC or the applicant) and expired (the SPoC; the portal itself when
an urgent authorisation lapses) from any open state.

As in the safeguarding pathway (`safeguarding.pathway.case_transition`), each step:
1. fetches the request for the actor: 404 (recorded) when it is not theirs to see;
2. checks the actor's role for a step to `to`: 403 (recorded) when they may see it but not
   take the step, before anything about the state is said;
3. locks the row and checks the source state: `TransitionNotAllowed` (409) naming it;
4. validates the step's fields (ValidationError: 400 field by field);
5. writes the change, the clock and a CommsRequestTransition in one transaction, and records
   it in the access trail. Nothing changes on any refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from portal.accounts.roles import COMMS_APPLICANT_ROLES, Role
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from safeguarding.pathway import TransitionNotAllowed, step_text

from . import clocks
from .models import (
    OPEN_STATES,
    TEXT_MAX,
    AuthorisationRoute,
    Category,
    CommsRequest,
    CommsRequestTransition,
    RequestKind,
    RequestState,
    Urgency,
)
from .selectors import REQUEST_TYPE, request_get_for_user

S = RequestState
URGENT_AUTHORISATION_LIFETIME = timedelta(days=3)
SPOC = frozenset({Role.SPOC})
PROVIDER = frozenset({Role.PROVIDER_SPOC})
DSO = frozenset({Role.DESIGNATED_SENIOR_OFFICER})

__all__ = ["TransitionNotAllowed", "request_transition", "allowed_steps", "STEPS"]


@dataclass(frozen=True)
class Step:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    roles: frozenset[str]
    apply: Callable[..., dict[str, Any]]
    # The applicant's own steps: only the request's applicant may take them.
    own_only: bool = False


def _text(data: Mapping, field: str, *, label: str, required: bool = True, max_length: int = TEXT_MAX) -> str:
    """A step's text field, checked as the pathway checks its own (one rule for both)."""
    return step_text(data, field, required=required, label=label, max_length=max_length)


def _date(data: Mapping, field: str, *, label: str) -> date:
    value = data.get(field)
    parsed = value if isinstance(value, date) else parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError({field: f"{label}: give a date as YYYY-MM-DD."})
    if parsed > timezone.localdate():
        raise ValidationError({field: f"{label} is in the future; give the date of the decision."})
    return parsed


def application_problems(req: CommsRequest) -> dict[str, str]:
    """What stops a draft going to the SPoC, field by field (empty when it may go)."""
    problems: dict[str, str] = {}
    for field, label in (
        ("necessity", "The necessity statement"),
        ("proportionality", "The proportionality statement"),
        ("collateral_intrusion", "The collateral intrusion statement"),
        ("data_sought", "The data sought"),
    ):
        if not getattr(req, field).strip():
            problems[field] = f"{label} is needed before the SPoC can review the application."
    if req.kind == RequestKind.EVENTS:
        if req.date_from is None or req.date_to is None:
            problems["date_from"] = "Events data needs the date range it covers."
        if not req.serious_crime_threshold:
            problems["serious_crime_threshold"] = (
                "Events data may be sought only for an offence that meets the serious crime threshold; "
                "confirm it does, or ask for entity data."
            )
    if req.kind == RequestKind.PRESERVATION and req.preservation_expires_on is None:
        problems["preservation_expires_on"] = "A preservation request needs the date it expires."
    return problems


# --- the steps ------------------------------------------------------------------------------------


def _submit(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    problems = application_problems(req)
    if problems:
        raise ValidationError(problems)
    if req.submitted_at is None:
        req.submitted_at = now
    return {"reason": "submitted to the SPoC"}


def _spoc_review(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    req.spoc = actor
    if to == S.RETURNED:
        reason = _text(data, "reason", label="The reasons the application goes back to the applicant")
        req.returned_reason = reason
        return {"reason": reason}
    note = _text(data, "feasibility_note", label="The SPoC's feasibility note")
    req.feasibility_note = note
    return {"reason": note, "feasibility_note": note}


def _authorisation(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    if actor.role == Role.DESIGNATED_SENIOR_OFFICER:
        if to != S.AUTHORISED:
            raise ValidationError({"to": "A designated senior officer authorises urgently; a refusal is the OCDA's."})
        if not (req.category == Category.THREAT_TO_LIFE and req.urgency == Urgency.IMMEDIATE):
            raise ValidationError(
                {
                    "urgent": "Urgent internal authorisation is only for an immediate threat to life; send it to the OCDA."
                }
            )
        reasons = _text(data, "reasons", label="Why the urgent authorisation is necessary and proportionate")
        req.authorisation_route = AuthorisationRoute.URGENT
        req.authorisation_reasons = reasons
        req.authorisation_date = timezone.localdate(now)
        req.authorised_by = actor
        req.urgent_lapses_at = now + URGENT_AUTHORISATION_LIFETIME
        return {"reason": reasons, "route": "urgent", "lapses_at": req.urgent_lapses_at.isoformat()}
    reference = _text(data, "authorisation_reference", label="The OCDA decision reference", max_length=60)
    reasons = _text(data, "reasons", label="The OCDA's reasons", required=to == S.REFUSED)
    decided = _date(data, "decided_on", label="The date of the OCDA's decision")
    req.authorisation_route = AuthorisationRoute.OCDA
    req.authorisation_reference = reference
    req.authorisation_reasons = reasons
    req.authorisation_date = decided
    return {
        "reason": reasons or f"OCDA {reference}",
        "route": "ocda",
        "reference": reference,
        "decided_on": decided.isoformat(),
        "decision": "granted" if to == S.AUTHORISED else "refused",
    }


def _send(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    level = clocks.level_for(provider_id=req.provider_id, category=req.category)
    if req.sent_at is None:
        req.sent_at = now
        req.acknowledge_due_at = clocks.due(now, level.acknowledge_amount, level.acknowledge_unit)
    answer = ""
    if req.state == S.CLARIFICATION_REQUESTED:
        answer = _text(data, "answer", label="The answer to the provider's question")
        req.clarification_answer = answer
    return {"reason": answer or f"sent to {req.provider}", "answer": answer}


def _acknowledge(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    if req.acknowledged_at is None:
        req.acknowledged_at = now
        level = clocks.level_for(provider_id=req.provider_id, category=req.category)
        req.fulfil_due_at = clocks.due(now, level.fulfil_amount, level.fulfil_unit)
    return {"reason": "acknowledged by the provider"}


def _provider_outcome(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    if to == S.FULFILLED:
        if not req.responses.exists():
            raise ValidationError({"responses": "Upload the response (CSV, PDF, ZIP or text) before fulfilling."})
        req.fulfilled_at = now
        return {"reason": "fulfilled", "responses": req.responses.count()}
    if to == S.DECLINED:
        reason = _text(data, "reason", label="The reason the company declines the request")
        req.decline_reason = reason
        return {"reason": reason}
    question = _text(data, "question", label="The clarification the company needs")
    req.clarification_question = question
    return {"reason": question}


def _close(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    req.closed_at = now
    return {"reason": _text(data, "reason", label="A closing note", required=False)}


def _withdraw_or_expire(req: CommsRequest, actor, to: str, data: Mapping, now) -> dict:
    label = "Why the request is withdrawn" if to == S.WITHDRAWN else "Why the request has expired"
    reason = _text(data, "reason", label=label)
    req.closed_at = now
    return {"reason": reason}


STEPS = (
    Step("submit", frozenset({S.DRAFT, S.RETURNED}), frozenset({S.SPOC_REVIEW}), COMMS_APPLICANT_ROLES, _submit, True),
    Step(
        "SPoC review",
        frozenset({S.SPOC_REVIEW}),
        frozenset({S.RETURNED, S.AWAITING_AUTHORISATION}),
        SPOC,
        _spoc_review,
    ),
    Step(
        "authorisation",
        frozenset({S.AWAITING_AUTHORISATION}),
        frozenset({S.AUTHORISED, S.REFUSED}),
        SPOC | DSO,
        _authorisation,
    ),
    Step("send", frozenset({S.AUTHORISED, S.CLARIFICATION_REQUESTED}), frozenset({S.SENT}), SPOC, _send),
    Step("acknowledge", frozenset({S.SENT}), frozenset({S.ACKNOWLEDGED}), PROVIDER, _acknowledge),
    Step(
        "provider's answer",
        frozenset({S.ACKNOWLEDGED}),
        frozenset({S.FULFILLED, S.DECLINED, S.CLARIFICATION_REQUESTED}),
        PROVIDER,
        _provider_outcome,
    ),
    Step(
        "provider's answer",
        frozenset({S.SENT}),
        frozenset({S.DECLINED, S.CLARIFICATION_REQUESTED}),
        PROVIDER,
        _provider_outcome,
    ),
    Step("close", frozenset({S.FULFILLED, S.DECLINED, S.REFUSED}), frozenset({S.CLOSED}), SPOC, _close),
    Step("withdraw", OPEN_STATES, frozenset({S.WITHDRAWN}), SPOC, _withdraw_or_expire),
    Step(
        "withdraw",
        frozenset({S.DRAFT, S.RETURNED, S.SPOC_REVIEW}),
        frozenset({S.WITHDRAWN}),
        COMMS_APPLICANT_ROLES,
        _withdraw_or_expire,
        True,
    ),
    Step("expire", OPEN_STATES, frozenset({S.EXPIRED}), SPOC, _withdraw_or_expire),
)

LABELS: dict[str, str] = {
    S.SPOC_REVIEW: "Submit to the SPoC",
    S.RETURNED: "Return to the applicant",
    S.AWAITING_AUTHORISATION: "Accept for authorisation",
    S.AUTHORISED: "Record authorisation",
    S.REFUSED: "Record the OCDA's refusal",
    S.SENT: "Send to the provider",
    S.ACKNOWLEDGED: "Acknowledge",
    S.CLARIFICATION_REQUESTED: "Ask for clarification",
    S.FULFILLED: "Mark fulfilled",
    S.DECLINED: "Decline",
    S.WITHDRAWN: "Withdraw",
    S.EXPIRED: "Mark expired",
    S.CLOSED: "Close",
}
# The fields each step reads (pages build their forms from this; the API takes the same names).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    S.SPOC_REVIEW: (),
    S.RETURNED: ("reason",),
    S.AWAITING_AUTHORISATION: ("feasibility_note",),
    S.AUTHORISED: ("authorisation_reference", "reasons", "decided_on"),
    S.REFUSED: ("authorisation_reference", "reasons", "decided_on"),
    S.SENT: ("answer",),
    S.ACKNOWLEDGED: (),
    S.CLARIFICATION_REQUESTED: ("question",),
    S.FULFILLED: (),
    S.DECLINED: ("reason",),
    S.WITHDRAWN: ("reason",),
    S.EXPIRED: ("reason",),
    S.CLOSED: ("reason",),
}


def steps_to(to: str) -> list[Step]:
    return [step for step in STEPS if to in step.targets]


def step_for(actor, req: CommsRequest, to: str) -> Step | None:
    """The step from `req`'s state to `to` that `actor` may take, if any."""
    return next(
        (step for step in STEPS if req.state in step.sources and to in step.targets and may_take(step, actor, req)),
        None,
    )


def may_take(step: Step, actor, req: CommsRequest) -> bool:
    if actor.role not in step.roles:
        return False
    if step.own_only and req.applicant_id != actor.pk:
        return False
    if actor.role == Role.PROVIDER_SPOC and req.provider_id != actor.agency_id:
        return False
    return True


def allowed_steps(actor, req: CommsRequest) -> list[str]:
    """The states `actor` may move `req` to now, in lifecycle order."""
    order = list(S.values)
    targets = {to for step in STEPS if req.state in step.sources and may_take(step, actor, req) for to in step.targets}
    return sorted(targets, key=order.index)


def _refuse(*, actor, req: CommsRequest, reason: str, request) -> None:
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=actor,
        object_type=REQUEST_TYPE,
        object_id=str(req.pk),
        reason=reason[:500],
    )


def refresh_clock(req: CommsRequest) -> None:
    """What the provider owes next and by when: acknowledgement while sent, fulfilment while
    acknowledged; nothing otherwise (the clock stops while the SPoC answers a question)."""
    if req.state == S.SENT and req.acknowledged_at is None:
        req.due_step, req.due_at = "acknowledge", req.acknowledge_due_at
    elif req.state in (S.SENT, S.ACKNOWLEDGED) and req.fulfilled_at is None:
        req.due_step, req.due_at = "fulfil", req.fulfil_due_at
    else:
        req.due_step, req.due_at = "", None


def request_transition(
    *, actor, request_id: int, to: str, data: Mapping[str, Any] | None = None, request=None
) -> CommsRequest:
    """Move request `request_id` to `to` as `actor` with the step's fields in `data`.

    Raises Http404 (may not see it), PermissionDenied (may see it, not take this step),
    TransitionNotAllowed (not from the current state) or ValidationError (bad fields).
    """
    data = dict(data or {})
    req = request_get_for_user(user=actor, request_id=request_id, request=request, record=False)
    if to not in S.values:
        _refuse(actor=actor, req=req, reason=f"unknown state {to!r}", request=request)
        raise ValidationError({"to": f"Unknown state {to!r}; one of {', '.join(S.values)}."})
    # Role first: someone who could never take a step to `to` learns nothing about the state.
    if not any(may_take(step, actor, req) for step in steps_to(to)):
        _refuse(
            actor=actor, req=req, reason=f"{actor.get_role_display()} may not move a request to {to}", request=request
        )
        raise PermissionDenied(f"Your role cannot move this request to {S(to).label.lower()}.")
    try:
        with transaction.atomic():
            locked = CommsRequest.objects.select_for_update().get(pk=req.pk)
            step = step_for(actor, locked, to)
            if step is None:
                raise TransitionNotAllowed(
                    f"This request is at {S(locked.state).label.lower()} ({locked.state}); "
                    f"it cannot move to {to} from there."
                )
            now = timezone.now()
            from_state = locked.state
            payload = step.apply(locked, actor, to, data, now)
            locked.state = to
            refresh_clock(locked)
            locked.full_clean(validate_unique=False, validate_constraints=False)
            locked.save()
            transition = CommsRequestTransition.objects.create(
                request=locked,
                from_state=from_state,
                to_state=to,
                actor=actor,
                actor_label=actor.get_username(),
                at=now,
                reason=str(payload.get("reason") or "")[:TEXT_MAX],
                payload={key: value for key, value in payload.items() if value not in ("", None)},
            )
            record_access(
                action=AccessAction.TRANSITION,
                request=request,
                actor=actor,
                obj=locked,
                reason=f"{step.name}: {from_state} → {to}",
                detail={"transition": transition.pk},
            )
    except (PermissionDenied, TransitionNotAllowed, ValidationError) as error:
        _refuse(actor=actor, req=req, reason=f"{to}: {error}", request=request)
        raise
    return locked


def request_transition_system(*, req: CommsRequest, to: str, reason: str, label: str = "portal") -> None:
    """A step the portal takes itself (an urgent authorisation lapsing): caller holds the row lock."""
    now = timezone.now()
    from_state = req.state
    req.state = to
    if to in (S.EXPIRED, S.WITHDRAWN, S.CLOSED):
        req.closed_at = now
    refresh_clock(req)
    req.save()
    CommsRequestTransition.objects.create(
        request=req, from_state=from_state, to_state=to, actor=None, actor_label=label, at=now, reason=reason
    )
    record_access(
        action=AccessAction.TRANSITION, obj=req, reason=f"{label}: {from_state} → {to}: {reason}"[:500], via="task"
    )
