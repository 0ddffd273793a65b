"""Writes for a case's National Referral Mechanism referral and the police investigations linked
to it. Callers pass a case they hold WRITE on (`case_get_for_user(..., level=Access.WRITE)`).

Each service locks the case row, so two people recording the same referral or decision at
once cannot both win; checks what it is given with the model's own field rules plus the rules
of the NRM (below), field by field; and records the change in the access trail (django-auditlog
records the rows themselves). Nothing changes on any refusal.

The NRM, as the Home Office's statutory guidance has it:
- a first responder organisation (police, a local authority, some charities; never health or
  education) submits the referral;
- an adult is referred only with their consent, or, without it, the police and local
  authorities' Duty to Notify the Home Office applies; a child needs no consent and is never
  a Duty to Notify;
- the reasonable-grounds decision is due 5 working days after submission (it counts in the
  case's next due step, see deadlines), and a conclusive-grounds decision only follows a
  positive reasonable-grounds decision.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from portal.accounts.models import Agency, AgencyKind
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .deadlines import case_deadline_refresh, next_due
from .models import (
    FINISHED_STATES,
    Case,
    CaseKind,
    CaseTransition,
    LinkedInvestigation,
    NrmDecision,
    NrmReferral,
)

FIRST_RESPONDER_KINDS = frozenset({AgencyKind.POLICE_FORCE, AgencyKind.LOCAL_AUTHORITY, AgencyKind.CHARITY})
STAGES = {"reasonable": "reasonable_grounds", "conclusive": "conclusive_grounds"}
DECISIONS = frozenset({NrmDecision.POSITIVE, NrmDecision.NEGATIVE})
CRIME_REFERENCE = re.compile(r"^[A-Z0-9][A-Z0-9/\-]*$")
POLICE_ONLY = "Only police officers link a police investigation to a case."


def _lock(case: Case) -> Case:
    """The case row, locked for the rest of the caller's transaction."""
    return Case.objects.select_for_update().get(pk=case.pk)


def _as_date(value, field: str, *, label: str) -> date:
    if value in (None, ""):
        raise ValidationError({field: f"{label} is required."})
    try:
        parsed = models.DateField().to_python(value)
    except ValidationError as error:
        raise ValidationError({field: f"{label}: give a date as YYYY-MM-DD."}) from error
    return parsed


def _field_errors(
    instance: models.Model, *, exclude: list[str], rename: dict[str, str] | None = None, unique: bool = True
) -> dict:
    """The model's own rules for `instance`, as {field: [messages]} under the caller's names."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=unique, validate_constraints=unique)
    except ValidationError as error:
        rename = rename or {}
        return {rename.get(field, field): messages for field, messages in error.message_dict.items()}
    return {}


def _state_entered_at(case: Case) -> datetime:
    """When `case` entered its current state: its deadline for that state counts from then."""
    entered = (
        CaseTransition.objects.filter(case=case, to_state=case.state)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
    ).first()
    return entered or timezone.now()


def _deadline_refresh(case: Case, referral: NrmReferral | None) -> None:
    """Re-work `case`'s next due step after an NRM change (caller holds the row lock).

    The state's own deadline still counts from when the case entered that state, not from
    now: recording a referral must not push back, or hide, a step that is already due. And
    when the next due step is unchanged, nothing is written, so an escalation stands.
    """
    case.nrm = referral
    since = _state_entered_at(case)
    if next_due(case, since) != (case.next_due_step, case.next_due_at):
        case_deadline_refresh(case=case, since=since)


def _refuse(*, actor, case: Case, reason: str, request) -> None:
    # Outside any transaction: rolling back the refused write must not roll back its record.
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=actor,
        object_type=case._meta.label_lower,
        object_id=str(case.pk),
        reason=reason,
    )


def nrm_record(
    *, actor, case: Case, first_responder: Agency | None, submitted_on, adult_basis: str = "", request=None
) -> NrmReferral:
    """Record that `case`'s person was referred to the NRM by `first_responder` on `submitted_on`.

    One referral per case. `adult_basis` says why an adult may be referred (their consent, or
    the Duty to Notify); a child must have none. Raises ValidationError with field messages.
    """
    adult_basis = (adult_basis or "").strip()
    with transaction.atomic():
        locked = _lock(case)
        if NrmReferral.objects.filter(case=locked).exists():
            raise ValidationError("This case already has an NRM referral (one per person): record its decisions.")
        if locked.state in FINISHED_STATES:
            raise ValidationError("This case is closed: re-open it before referring the person to the NRM.")
        referral = NrmReferral(
            case=locked,
            first_responder=first_responder,
            submitted_on=submitted_on,
            adult_basis=adult_basis,
            recorded_by=actor,
        )
        errors = _field_errors(referral, exclude=["case", "recorded_by"])
        if "first_responder" not in errors and (
            first_responder is None or first_responder.kind not in FIRST_RESPONDER_KINDS
        ):
            errors["first_responder"] = [
                "Choose a first responder organisation: the police, a local authority or a designated charity."
            ]
        if locked.kind == CaseKind.VULNERABLE_ADULT and not adult_basis:
            errors.setdefault("adult_basis", []).append(
                "An adult is referred with their consent, or without it under the Duty to Notify: say which."
            )
        if locked.kind == CaseKind.CHILD and adult_basis:
            errors.setdefault("adult_basis", []).append(
                "A child is referred without consent and is never a Duty to Notify: leave this empty."
            )
        if errors:
            raise ValidationError(errors)
        referral.save()
        _deadline_refresh(locked, referral)
        record_access(
            action=AccessAction.UPDATE,
            request=request,
            actor=actor,
            obj=locked,
            reason=f"NRM referral recorded: submitted {referral.submitted_on:%d %b %Y} by {referral.first_responder}",
            detail={"nrm": referral.pk, "first_responder": referral.first_responder.code, "adult_basis": adult_basis},
        )
    return referral


def nrm_decide(*, actor, case: Case, stage: str, decision: str, decided_on, request=None) -> NrmReferral:
    """Record the Home Office's reasonable- or conclusive-grounds decision on `case`'s referral.

    The date is not in the future and not before the referral (nor, for conclusive grounds,
    before the reasonable-grounds decision). A conclusive decision needs a positive
    reasonable-grounds decision first; once it is recorded, the reasonable-grounds decision
    no longer changes. A decision may be reconsidered (recorded again, differently); the same
    decision again changes nothing.
    """
    if stage not in STAGES:
        raise ValidationError({"stage": "Choose the reasonable grounds or the conclusive grounds decision."})
    if decision not in DECISIONS:
        raise ValidationError({"decision": "Choose positive or negative."})
    decided_on = _as_date(decided_on, "decided_on", label="Decision date")
    field = STAGES[stage]
    with transaction.atomic():
        locked = _lock(case)
        referral = NrmReferral.objects.select_for_update().filter(case=locked).first()
        if referral is None:
            raise ValidationError("Record the NRM referral before its decisions.")
        if getattr(referral, field) == decision and getattr(referral, f"{field}_on") == decided_on:
            return referral
        if stage == "conclusive" and referral.reasonable_grounds != NrmDecision.POSITIVE:
            raise ValidationError(
                {"stage": "A conclusive grounds decision follows a positive reasonable grounds decision only."}
            )
        if stage == "reasonable" and referral.conclusive_grounds != NrmDecision.PENDING:
            raise ValidationError(
                {"stage": "The conclusive grounds decision is recorded: the reasonable grounds decision stands."}
            )
        before = getattr(referral, field)
        setattr(referral, field, decision)
        setattr(referral, f"{field}_on", decided_on)
        errors = _field_errors(
            referral,
            exclude=["case", "first_responder", "recorded_by"],
            rename={f"{field}_on": "decided_on", field: "decision"},
        )
        if "decided_on" not in errors:
            if decided_on < referral.submitted_on:
                errors["decided_on"] = [
                    f"The referral was submitted on {referral.submitted_on:%d %B %Y}: no decision comes before it."
                ]
            elif stage == "conclusive" and decided_on < referral.reasonable_grounds_on:
                errors["decided_on"] = [
                    f"The reasonable grounds decision was on {referral.reasonable_grounds_on:%d %B %Y}: "
                    "the conclusive grounds decision comes after it."
                ]
        if errors:
            raise ValidationError(errors)
        referral.save()
        _deadline_refresh(locked, referral)
        record_access(
            action=AccessAction.UPDATE,
            request=request,
            actor=actor,
            obj=locked,
            reason=f"NRM {stage} grounds decision: {before} → {decision} on {decided_on:%d %b %Y}",
            detail={"nrm": referral.pk, "stage": stage, "decision": decision, "from": before},
        )
    return referral


def investigations_for_user(*, user, case: Case, request=None) -> models.QuerySet[LinkedInvestigation]:
    """The investigations linked to `case` (caller authorised the case), for police users only:
    anyone else is refused (recorded) with PermissionDenied."""
    if user.agency.kind != AgencyKind.POLICE_FORCE:
        _refuse(actor=user, case=case, reason="linked investigations: police only", request=request)
        raise PermissionDenied(POLICE_ONLY)
    return case.investigations.select_related("recorded_by")


def investigation_link(
    *,
    actor,
    case: Case,
    crime_reference: str,
    outcome_22: bool,
    diversion_activity: str,
    decided_on,
    section_45_considered: bool,
    request=None,
) -> LinkedInvestigation:
    """Link a police investigation (by its crime reference) to `case`, with the decision not to
    criminalise the person: Outcome 22 (diversion instead of prosecution: needs the activity
    and the date decided) and whether the section 45 Modern Slavery Act defence was considered.

    Police only: anyone else gets PermissionDenied, recorded as a refusal.
    """
    if actor.agency.kind != AgencyKind.POLICE_FORCE:
        _refuse(actor=actor, case=case, reason="link investigation: police only", request=request)
        raise PermissionDenied(POLICE_ONLY)
    crime_reference = (crime_reference or "").strip().upper()
    diversion_activity = (diversion_activity or "").strip()
    with transaction.atomic():
        locked = _lock(case)
        investigation = LinkedInvestigation(
            case=locked,
            crime_reference=crime_reference,
            outcome_22=bool(outcome_22),
            diversion_activity=diversion_activity,
            decided_on=decided_on or None,
            section_45_considered=bool(section_45_considered),
            recorded_by=actor,
        )
        # Uniqueness is checked here, under the lock, to say which field is wrong.
        errors = _field_errors(investigation, exclude=["case", "recorded_by"], unique=False)
        if "crime_reference" not in errors:
            if not CRIME_REFERENCE.match(crime_reference):
                errors["crime_reference"] = ["Give the crime reference as recorded: letters, digits, / and - only."]
            elif locked.investigations.filter(crime_reference=crime_reference).exists():
                errors["crime_reference"] = ["This investigation is already linked to the case."]
        if investigation.outcome_22:
            if not diversion_activity:
                errors.setdefault("diversion_activity", []).append("Outcome 22 needs the diversionary activity.")
            if not investigation.decided_on and "decided_on" not in errors:
                errors["decided_on"] = ["Outcome 22 needs the date it was decided."]
        if errors:
            raise ValidationError(errors)
        investigation.save()
        record_access(
            action=AccessAction.UPDATE,
            request=request,
            actor=actor,
            obj=locked,
            reason=f"linked investigation {crime_reference}" + (" (Outcome 22)" if investigation.outcome_22 else ""),
            detail={
                "investigation": investigation.pk,
                "outcome_22": investigation.outcome_22,
                "section_45_considered": investigation.section_45_considered,
            },
        )
    return investigation
