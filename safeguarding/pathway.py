"""The safeguarding pathway: every step a case takes, each one service call.

identified → referred → screening → strategy_discussion | contextual_meeting →
disruption_panel | monitoring → closed; plus no_further_action (closed with a reason) and
re-opening on new intelligence.

`case_transition` is the one entry point (pages and API). For each step it:
1. fetches the case for the actor: 404 when they may not read it (recorded by the fetch);
2. checks the actor's role and agency for the step: 403 (recorded) when they may read it but
   not take this step;
3. checks the actor may write the case (403);
4. locks the row (`select_for_update`) and checks the source state: `TransitionNotAllowed`
   (HTTP 409) naming the current state;
5. validates the step's fields (ValidationError: 400, field by field);
6. writes the change, the step's records and a CaseTransition in one transaction, sets the
   next deadline and records the change in the access trail.
Nothing changes on any refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from portal.access import Access, access_grant, objects_for_user
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import CASE_ROLES, Role
from portal.audit.models import AccessAction, AlertKind
from portal.audit.services import alert_raise, record_access

from .deadlines import case_deadline_refresh
from .models import (
    SUMMARY_MAX_LENGTH,
    Case,
    CaseKind,
    CaseState,
    CaseTransition,
    DisruptionTactic,
    DisruptionTacticKind,
    Meeting,
    MeetingKind,
    MonitoringReview,
    RiskLevel,
    Screening,
    StrategyOutcome,
)
from .screening import score_answers
from .selectors import case_get_for_user
from .services import sharing_problem
from .timescales import add_working_days

S = CaseState
OVERRIDE_CONSENT_PERMISSION = "safeguarding.override_consent"
# A strategy discussion needs these agencies at least (Working Together to Safeguard Children).
STRATEGY_AGENCY_KINDS = frozenset(
    {AgencyKind.POLICE_FORCE, AgencyKind.LOCAL_AUTHORITY, AgencyKind.HEALTH, AgencyKind.EDUCATION}
)


class TransitionNotAllowed(Exception):
    """The step cannot be taken from the case's current state (HTTP 409)."""


@dataclass(frozen=True)
class Step:
    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    roles: frozenset[str]
    # Whose agency must the actor belong to: "police", "local_authority" or "any writer".
    agency: str
    apply: Callable[..., dict[str, Any]]


# --- field helpers ------------------------------------------------------------------------------


def step_text(data: Mapping, field: str, *, required: bool, label: str, max_length: int = SUMMARY_MAX_LENGTH) -> str:
    value = data.get(field, "")
    if not isinstance(value, str):
        raise ValidationError({field: f"{label} must be text."})
    value = value.strip()
    if "\x00" in value:
        raise ValidationError({field: f"{label} contains a NUL character; remove it."})
    if required and not value:
        raise ValidationError({field: f"{label} is required for this step."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} has {len(value):,} characters; at most {max_length:,}."})
    return value


def _date(data: Mapping, field: str, *, label: str, allow_future: bool = False) -> date:
    value = data.get(field)
    parsed = value if isinstance(value, date) else parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValidationError({field: f"{label}: give a date as YYYY-MM-DD."})
    if not allow_future and parsed > timezone.localdate():
        raise ValidationError({field: f"{label} is in the future; give the date it happened."})
    return parsed


def _agencies(data: Mapping, field: str = "attendees") -> list[Agency]:
    value = data.get(field) or []
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError({field: "List the agencies that attended (their codes, e.g. wmp, birmingham, health)."})
    codes = [str(item) for item in value]
    found = {agency.code: agency for agency in Agency.objects.filter(code__in=codes)}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise ValidationError({field: f"Unknown agency code(s): {', '.join(unknown)}."})
    return [found[code] for code in dict.fromkeys(codes)]


def _choice(data: Mapping, field: str, choices, *, label: str) -> str:
    value = data.get(field, "")
    if value not in choices.values:
        allowed = ", ".join(choices.values)
        raise ValidationError({field: f"{label}: choose one of {allowed}."})
    return value


def _meeting(case: Case, actor, data: Mapping, kind: str, decision: str, *, outcome: str = "") -> Meeting:
    attendees = _agencies(data)
    meeting = Meeting(
        case=case,
        kind=kind,
        held_on=_date(data, "held_on", label="Meeting date"),
        attendee_names=step_text(data, "attendee_names", required=False, label="Names of those present", max_length=1000),
        minutes=step_text(data, "minutes", required=kind == MeetingKind.STRATEGY_DISCUSSION, label="Minutes"),
        outcome=outcome,
        decision=decision,
        recorded_by=actor,
    )
    meeting.full_clean(exclude=["case", "recorded_by", "attendees"])
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


# --- the steps ------------------------------------------------------------------------------------


def _police_review(case: Case, actor, to: str, data: Mapping, request) -> dict:
    if to == S.CLOSED:
        reason = step_text(data, "reason", required=True, label="The reason there is no safeguarding concern")
        return {"reason": reason}
    concern = step_text(data, "concern", required=True, label="The concern partners will read")
    if case.local_authority_id is None:
        code = data.get("local_authority", "")
        authority = Agency.objects.filter(code=code, kind=AgencyKind.LOCAL_AUTHORITY).first()
        if authority is None:
            raise ValidationError(
                {"local_authority": "This person's local authority is not known: choose which MASH receives them."}
            )
        case.local_authority = authority
        case.needs_triage = False
    assert case.local_authority is not None  # set above when it was not already
    problem = sharing_problem(case=case, agency=case.local_authority)
    override = ""
    if problem:
        override = step_text(data, "consent_override_reason", required=False, label="The reason to share without consent")
        if not override:
            raise ValidationError({"consent": problem})
        if not actor.has_perm(OVERRIDE_CONSENT_PERMISSION):
            raise PermissionDenied("Sharing without consent needs the consent-override permission.")
    case.concern = concern
    with transaction.atomic():
        access_grant(actor=actor, target=case, level=Access.WRITE, agency=case.local_authority, request=request)
    if override:
        event = record_access(
            action=AccessAction.GRANT,
            request=request,
            actor=actor,
            obj=case,
            reason=f"shared without consent: {override}"[:500],
        )
        alert_raise(
            kind=AlertKind.CONSENT_OVERRIDE,
            message=f"{actor.get_username()} shared {case.reference} with {case.local_authority} without consent",
            actor=actor,
            subject=case,
            detail={"reason": override},
            event=event,
        )
    return {"concern": concern, "local_authority": case.local_authority.code, "consent_override": override}


def _mash_decision(case: Case, actor, to: str, data: Mapping, request) -> dict:
    reason = step_text(data, "reason", required=to == S.NO_FURTHER_ACTION, label="The reason for no further action")
    return {"decision": "accepted" if to == S.SCREENING else "no further action", "reason": reason}


def _screening(case: Case, actor, to: str, data: Mapping, request) -> dict:
    answers = data.get("answers")
    score, suggested = score_answers(answers)
    chosen = data.get("risk_level") or suggested
    if chosen not in RiskLevel.values:
        raise ValidationError({"risk_level": "Choose high, medium or low."})
    override_reason = step_text(
        data, "override_reason", required=chosen != suggested, label="Why the level differs from the tool's suggestion"
    )
    expected = S.STRATEGY_DISCUSSION if chosen == RiskLevel.HIGH else S.CONTEXTUAL_MEETING
    if to != expected:
        raise ValidationError({"to": f"A {chosen} rating goes to {S(expected).label.lower()} ({expected}), not {to}."})
    Screening.objects.create(
        case=case,
        answers=answers,
        score=score,
        suggested_level=suggested,
        chosen_level=chosen,
        override_reason=override_reason,
        screened_by=actor,
    )
    case.risk_level = chosen
    return {"score": score, "suggested_level": suggested, "risk_level": chosen, "override_reason": override_reason}


def _strategy_discussion(case: Case, actor, to: str, data: Mapping, request) -> dict:
    outcome = _choice(data, "outcome", StrategyOutcome, label="Outcome")
    meeting = _meeting(case, actor, data, MeetingKind.STRATEGY_DISCUSSION, to, outcome=outcome)
    kinds = {agency.kind for agency in meeting.attendees.all()}
    missing = STRATEGY_AGENCY_KINDS - kinds
    if missing:
        names = ", ".join(sorted(AgencyKind(kind).label.lower() for kind in missing))
        raise ValidationError(
            {
                "attendees": f"A strategy discussion needs police, local authority, health and education; missing: {names}."
            }
        )
    return {"meeting": meeting.pk, "outcome": outcome}


def _contextual_meeting(case: Case, actor, to: str, data: Mapping, request) -> dict:
    expected = S.DISRUPTION_PANEL if case.risk_level == RiskLevel.MEDIUM else S.MONITORING
    reason = step_text(data, "reason", required=to != expected, label="Why the meeting departs from the rating")
    meeting = _meeting(case, actor, data, MeetingKind.CONTEXTUAL_MEETING, to)
    if to != expected:
        case.risk_level = RiskLevel.MEDIUM if to == S.DISRUPTION_PANEL else RiskLevel.LOW
    return {"meeting": meeting.pk, "reason": reason, "risk_level": case.risk_level}


def _disruption_panel(case: Case, actor, to: str, data: Mapping, request) -> dict:
    tactics = data.get("tactics") or []
    if not isinstance(tactics, list) or not tactics:
        raise ValidationError(
            {"tactics": "Choose at least one disruption tactic, with an owner agency and a review date."}
        )
    meeting = _meeting(case, actor, data, MeetingKind.DISRUPTION_PANEL, to)
    kinds = {kind.code: kind for kind in DisruptionTacticKind.objects.filter(active=True)}
    created = []
    for number, tactic in enumerate(tactics, start=1):
        if not isinstance(tactic, Mapping):
            raise ValidationError({"tactics": f"Tactic {number}: give kind, owner_agency and review_on."})
        kind = kinds.get(str(tactic.get("kind", "")))
        if kind is None:
            raise ValidationError({"tactics": f"Tactic {number}: unknown tactic {tactic.get('kind')!r}."})
        owner = Agency.objects.filter(code=str(tactic.get("owner_agency", ""))).first()
        if owner is None:
            raise ValidationError({"tactics": f"Tactic {number}: unknown owner agency {tactic.get('owner_agency')!r}."})
        review_on = _date(tactic, "review_on", label=f"Tactic {number} review date", allow_future=True)
        created.append(
            DisruptionTactic.objects.create(
                case=case,
                meeting=meeting,
                kind=kind,
                owner_agency=owner,
                review_on=review_on,
                notes=step_text(tactic, "notes", required=False, label="Notes", max_length=1000),
            )
        )
    return {"meeting": meeting.pk, "tactics": [t.kind.code for t in created]}


def _monitoring(case: Case, actor, to: str, data: Mapping, request) -> dict:
    reason = step_text(
        data, "reason", required=True, label="The review's conclusion" if to == S.CLOSED else "The new intelligence"
    )
    MonitoringReview.objects.create(
        case=case, due_on=timezone.localdate(), done_on=timezone.localdate(), notes=reason, recorded_by=actor
    )
    return {"reason": reason}


def _reopen(case: Case, actor, to: str, data: Mapping, request) -> dict:
    """Back to the MASH on new intelligence. A case closed at the police review was never
    shared: re-opening it is a referral, with the same consent rule."""
    reason = step_text(data, "reason", required=True, label="The new intelligence that re-opens the case")
    if case.local_authority_id is None:
        raise ValidationError(
            {"local_authority": "Set the person's local authority (police review) before re-opening."}
        )
    assert case.local_authority is not None  # local_authority_id is set
    problem = sharing_problem(case=case, agency=case.local_authority)
    if problem:
        raise ValidationError({"consent": problem})
    if not case.concern:
        case.concern = reason
    with transaction.atomic():
        access_grant(actor=actor, target=case, level=Access.WRITE, agency=case.local_authority, request=request)
    return {"reason": reason}


POLICE_REVIEWERS = frozenset({Role.POLICE_SAFEGUARDING_OFFICER, Role.INTELLIGENCE_SUPERVISOR})
MASH = frozenset({Role.MASH_PRACTITIONER, Role.MASH_MANAGER})
# Re-opening: anyone whose role works cases and who can write this one.
WRITERS = CASE_ROLES

STEPS = (
    Step(
        "police review",
        frozenset({S.IDENTIFIED}),
        frozenset({S.REFERRED, S.CLOSED}),
        POLICE_REVIEWERS,
        "police",
        _police_review,
    ),
    Step(
        "MASH decision",
        frozenset({S.REFERRED}),
        frozenset({S.SCREENING, S.NO_FURTHER_ACTION}),
        MASH,
        "local_authority",
        _mash_decision,
    ),
    Step(
        "screening",
        frozenset({S.SCREENING}),
        frozenset({S.STRATEGY_DISCUSSION, S.CONTEXTUAL_MEETING}),
        MASH,
        "local_authority",
        _screening,
    ),
    Step(
        "strategy discussion",
        frozenset({S.STRATEGY_DISCUSSION}),
        frozenset({S.DISRUPTION_PANEL, S.MONITORING, S.CLOSED}),
        frozenset({Role.MASH_MANAGER}),
        "local_authority",
        _strategy_discussion,
    ),
    Step(
        "contextual safeguarding meeting",
        frozenset({S.CONTEXTUAL_MEETING}),
        frozenset({S.DISRUPTION_PANEL, S.MONITORING}),
        frozenset({Role.MASH_PRACTITIONER, Role.MASH_MANAGER, Role.PANEL_MEMBER}),
        "local_authority",
        _contextual_meeting,
    ),
    Step(
        "disruption panel",
        frozenset({S.DISRUPTION_PANEL}),
        frozenset({S.MONITORING}),
        frozenset({Role.PANEL_MEMBER, Role.MASH_MANAGER}),
        "local_authority",
        _disruption_panel,
    ),
    Step(
        "monitoring review",
        frozenset({S.MONITORING}),
        frozenset({S.CLOSED, S.SCREENING}),
        MASH,
        "local_authority",
        _monitoring,
    ),
    Step(
        "re-open", frozenset({S.CLOSED, S.NO_FURTHER_ACTION}), frozenset({S.REFERRED}), WRITERS, "any writer", _reopen
    ),
)


def steps_to(to: str) -> list[Step]:
    return [step for step in STEPS if to in step.targets]


def step_for(from_state: str, to: str) -> Step | None:
    return next((step for step in STEPS if from_state in step.sources and to in step.targets), None)


def allowed_targets(case: Case) -> list[str]:
    """The states a case may move to next, in pathway order."""
    return [
        target
        for step in STEPS
        if case.state in step.sources
        for target in sorted(step.targets, key=list(S.values).index)
    ]


def _agency_ok(step: Step, actor, case: Case) -> bool:
    if step.agency == "police":
        if actor.agency.kind != AgencyKind.POLICE_FORCE:
            return False
        if actor.role == Role.POLICE_SAFEGUARDING_OFFICER and case.hub_id is not None:
            assert case.hub is not None  # hub_id is set
            return case.hub.officers.filter(pk=actor.pk).exists()
        return True  # supervisors, and any hub officer for the force-wide triage queue
    if step.agency == "local_authority":
        return case.local_authority_id is not None and actor.agency_id == case.local_authority_id
    return True


def _refuse(*, actor, case: Case, reason: str, request) -> None:
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=actor,
        object_type="safeguarding.case",
        object_id=str(case.pk),
        reason=reason,
    )


def may_take(step: Step, actor, case: Case) -> bool:
    return actor.role in step.roles and _agency_ok(step, actor, case)


def case_transition(*, actor, case_id: int, to: str, data: Mapping[str, Any] | None = None, request=None) -> Case:
    """Move case `case_id` to `to` as `actor`, with the step's fields in `data`.

    Raises Http404 (cannot read), PermissionDenied (may read but not take this step),
    TransitionNotAllowed (not from the current state) or ValidationError (bad fields).
    """
    data = dict(data or {})
    case = case_get_for_user(user=actor, case_id=case_id, request=request)
    if to not in S.values:
        raise ValidationError({"to": f"Unknown state {to!r}; one of {', '.join(S.values)}."})
    candidates = steps_to(to)
    step = step_for(case.state, to)
    # Role first: someone who could never take a step to `to` learns nothing about the state.
    checked = step or (candidates[0] if candidates else None)
    if checked is None or not any(may_take(candidate, actor, case) for candidate in candidates or [checked]):
        _refuse(
            actor=actor, case=case, reason=f"{actor.get_role_display()} may not move a case to {to}", request=request
        )
        raise PermissionDenied(f"Your role or agency cannot move this case to {S(to).label.lower()}.")
    if not objects_for_user(actor, Case.objects.filter(pk=case.pk), Access.WRITE).exists():
        _refuse(actor=actor, case=case, reason="read-only access", request=request)
        raise PermissionDenied("You can read this case but not change it.")
    try:
        with transaction.atomic():
            locked = (
                Case.objects.select_for_update(of=("self",)).select_related("local_authority", "hub").get(pk=case.pk)
            )
            step = step_for(locked.state, to)
            if step is None:
                raise TransitionNotAllowed(
                    f"This case is at {S(locked.state).label.lower()} ({locked.state}); it cannot move to {to} from there."
                )
            if not may_take(step, actor, locked):
                raise PermissionDenied(f"Your role or agency cannot take the {step.name} step.")
            from_state = locked.state
            payload = step.apply(locked, actor, to, data, request)
            locked.state = to
            if to in (S.REFERRED,) and from_state in (S.CLOSED, S.NO_FURTHER_ACTION):
                locked.escalated_at = None
            locked.full_clean(validate_unique=False, validate_constraints=False)
            locked.save()
            transition = CaseTransition.objects.create(
                case=locked,
                from_state=from_state,
                to_state=to,
                actor=actor,
                actor_label=actor.get_username(),
                reason=str(payload.get("reason") or payload.get("concern") or "")[:SUMMARY_MAX_LENGTH],
                payload={key: value for key, value in payload.items() if value not in ("", None)},
            )
            case_deadline_refresh(case=locked, since=transition.at)
            record_access(
                action=AccessAction.TRANSITION,
                request=request,
                actor=actor,
                obj=locked,
                reason=f"{step.name}: {from_state} → {to}",
                detail={"transition": transition.pk},
            )
    except (PermissionDenied, TransitionNotAllowed, ValidationError) as error:
        _refuse(actor=actor, case=case, reason=f"{to}: {error}"[:500], request=request)
        raise
    return locked


def case_transition_system(
    *, case: Case, to: str, label: str, reason: str, payload: Mapping | None = None
) -> CaseTransition:
    """A transition the portal itself makes (no person acting): caller holds the row lock."""
    transition = CaseTransition.objects.create(
        case=case,
        from_state=case.state,
        to_state=to,
        actor=None,
        actor_label=label,
        reason=reason,
        payload=dict(payload or {}),
    )
    case.state = to
    case.save(update_fields=["state", "updated_at"])
    return transition


def working_day_after(day: date, days: int) -> date:
    return add_working_days(day, days)


def tactic_kinds() -> Iterable[DisruptionTacticKind]:
    return DisruptionTacticKind.objects.filter(active=True)


def kind_label(case: Case) -> str:
    """What a partner reads for the kind of case: never a record role."""
    return "Child at risk of exploitation" if case.kind == CaseKind.CHILD else "Vulnerable adult"
