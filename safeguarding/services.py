"""Writes for safeguarding cases. Callers pass an already-authorised case (see selectors).

Refusals decided here (a role that may not share, a vulnerable adult without consent) are
recorded before anything else happens and outside any transaction, so rolling back the
refused write never rolls back the record of the refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal.access import Access, access_grant, access_revoke, shares_of
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import SHARING_ROLES
from portal.audit.models import AccessAction
from portal.audit.services import record_access
from portal.text import normalise_postcode

from .deadlines import case_deadline_refresh
from .models import Case, CaseKind, CaseState, CaseTransition, Consent, HubCoverage
from .references import next_references

SHARING_REFUSED = "Only an intelligence supervisor or a MASH manager can change who sees a case."


def _refuse(*, actor, case: Case, reason: str, request=None, error: Exception) -> None:
    record_access(
        action=AccessAction.REFUSED,
        request=request,
        actor=actor,
        object_type=case._meta.label_lower,
        object_id=str(case.pk),
        reason=reason,
    )
    raise error


@transaction.atomic
def case_create(
    *,
    actor,
    kind: str,
    forenames: str,
    surname: str,
    local_authority: Agency | None,
    date_of_birth=None,
    home_postcode: str = "",
    nominal=None,
    summary: str = "",
    request=None,
) -> Case:
    """Open a case by hand (a police officer who learnt of a person outside any run).

    It starts in `identified`, the police's alone (write for the force), owned by the SOCEx hub
    covering `local_authority`, or in the force-wide triage queue without one. The police review
    (pathway.case_transition to `referred`) shares it with the local authority. Every field is
    checked by the model's own rules.
    """
    if local_authority is not None and local_authority.kind != AgencyKind.LOCAL_AUTHORITY:
        raise ValidationError({"local_authority": "Choose one of the seven local authorities."})
    coverage = HubCoverage.objects.filter(local_authority=local_authority).first() if local_authority else None
    case = Case(
        reference=next_references(1)[0],
        kind=kind,
        forenames=forenames,
        surname=surname,
        date_of_birth=date_of_birth,
        home_postcode=normalise_postcode(home_postcode),
        nominal=nominal,
        local_authority=local_authority,
        hub=coverage.hub if coverage else None,
        needs_triage=local_authority is None,
        summary=summary,
        created_by=actor,
    )
    case.full_clean()
    case.save()
    transition = CaseTransition.objects.create(
        case=case, to_state=CaseState.IDENTIFIED, actor=actor, actor_label=actor.get_username(), reason="opened by hand"
    )
    case_deadline_refresh(case=case, since=transition.at)
    for force in Agency.objects.filter(kind=AgencyKind.POLICE_FORCE):
        access_grant(actor=actor, target=case, level=Access.WRITE, agency=force, request=request)
    if actor.agency.kind != AgencyKind.POLICE_FORCE:
        access_grant(actor=actor, target=case, level=Access.WRITE, agency=actor.agency, request=request)
    return case


@transaction.atomic
def case_update(*, case: Case, summary: str) -> Case:
    """Caller must have authorised WRITE on `case`. The summary is checked by the model's rules
    (the same limit on creation, in the form and in the API)."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.summary == summary:
        return locked
    locked.summary = summary
    locked.full_clean(validate_unique=False)
    locked.save(update_fields=["summary", "updated_at"])
    return locked


def consent_in_force(case: Case) -> Consent | None:
    return case.consents.filter(withdrawn_at__isnull=True).prefetch_related("agencies").first()


def sharing_problem(*, case: Case, agency: Agency) -> str:
    """Why `case` may not be shared with `agency`, or "" when it may."""
    if case.kind != CaseKind.VULNERABLE_ADULT or agency.kind == AgencyKind.POLICE_FORCE:
        return ""
    consent = consent_in_force(case)
    if consent is None:
        return "This vulnerable adult has not consented to their details being shared. Record consent first."
    if agency not in consent.agencies.all():
        return f"The consent recorded does not cover {agency}. Record new consent that names it."
    return ""


def case_share(
    *,
    actor,
    case: Case,
    level: Access,
    agency: Agency | None = None,
    user=None,
    request=None,
    purpose: str = "",
    justification: str = "",
) -> None:
    """Share `case` (caller holds WRITE on it) with an agency or a person: a disclosure, recorded
    with its recipient and, from the page, its purpose.

    Raises PermissionDenied for a role that may not share and ValidationError when a vulnerable
    adult's consent does not cover the agency; both are recorded as refusals.
    """
    if actor.role not in SHARING_ROLES:
        _refuse(
            actor=actor,
            case=case,
            reason="role may not share",
            request=request,
            error=PermissionDenied(SHARING_REFUSED),
        )
    target_agency = agency if user is None else user.agency
    if target_agency is None:
        raise ValueError("Share with exactly one of an agency or a user.")
    problem = sharing_problem(case=case, agency=target_agency)
    if problem:
        _refuse(
            actor=actor,
            case=case,
            reason=f"share with {target_agency} refused: {problem}",
            request=request,
            error=ValidationError(problem),
        )
    with transaction.atomic():
        access_grant(
            actor=actor,
            target=case,
            level=level,
            agency=agency,
            user=user,
            request=request,
            purpose=purpose,
            justification=justification,
        )


def case_unshare(*, actor, case: Case, level: Access, agency: Agency | None = None, user=None, request=None) -> None:
    if actor.role not in SHARING_ROLES:
        _refuse(
            actor=actor,
            case=case,
            reason="role may not revoke",
            request=request,
            error=PermissionDenied(SHARING_REFUSED),
        )
    with transaction.atomic():
        access_revoke(actor=actor, target=case, level=level, agency=agency, user=user, request=request)


def case_record_consent(
    *,
    actor,
    case: Case,
    given_by: str,
    given_by_name: str,
    method: str,
    given_on: date,
    agencies: Iterable[Agency],
    scope: str,
    request=None,
) -> Consent:
    """Record a vulnerable adult's consent (caller holds WRITE on `case`). It replaces any
    consent in force, names the agencies that may be given access, and is audited. Sharing
    itself stays a separate, deliberate step."""
    if case.kind != CaseKind.VULNERABLE_ADULT:
        raise ValidationError("Consent is recorded for vulnerable adults; a child's case is shared to protect them.")
    agencies = list(agencies)
    if not agencies:
        raise ValidationError({"agencies": "Name at least one agency the person agreed to share with."})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        consent = Consent(
            case=locked,
            given_by=given_by,
            given_by_name=given_by_name.strip(),
            method=method,
            given_on=given_on,
            scope=scope.strip(),
            recorded_by=actor,
        )
        consent.full_clean()
        now = timezone.now()
        locked.consents.filter(withdrawn_at__isnull=True).update(
            withdrawn_at=now, withdrawn_by=actor, withdrawal_note="replaced by newer consent"
        )
        consent.save()
        consent.agencies.set(agencies)
        locked.consent_recorded_at = now
        locked.save(update_fields=["consent_recorded_at", "updated_at"])
        record_access(
            action=AccessAction.CONSENT,
            request=request,
            actor=actor,
            obj=locked,
            reason=f"consent given by {consent.get_given_by_display().lower()} on {given_on:%d %b %Y}",
            detail={"consent_id": consent.pk, "agencies": sorted(a.code for a in agencies), "method": method},
        )
    return consent


def case_withdraw_consent(*, actor, case: Case, note: str, request=None) -> int:
    """Withdraw the consent in force (caller holds WRITE on `case`) and remove every partner
    agency's access that rested on it; police access stays. Returns how many agencies lost
    access."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        consent = consent_in_force(locked)
        if consent is None:
            raise ValidationError("There is no consent in force to withdraw.")
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = actor
        consent.withdrawal_note = note.strip()[:500]
        consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_note"])
        locked.consent_recorded_at = None
        locked.save(update_fields=["consent_recorded_at", "updated_at"])
        revoked = 0
        for share in shares_of(locked):
            agency = share["agency"]
            if agency is not None and agency.kind != AgencyKind.POLICE_FORCE:
                access_revoke(actor=actor, target=locked, agency=agency, level=Access.READ, request=request)
                revoked += 1
            elif share["user"] is not None and share["user"].agency.kind != AgencyKind.POLICE_FORCE:
                access_revoke(actor=actor, target=locked, user=share["user"], level=Access.READ, request=request)
                revoked += 1
        record_access(
            action=AccessAction.CONSENT,
            request=request,
            actor=actor,
            obj=locked,
            reason=f"consent withdrawn: {note.strip()[:200]}",
            detail={"consent_id": consent.pk, "access_removed": revoked},
        )
    return revoked


def pathway_reference_data_seed() -> None:
    """Make sure the SOCEx hubs, their coverage and the disruption tactics exist (the seeding
    migration does this once; transactional tests flush the tables)."""
    from .models import DisruptionTacticKind, SocexHub
    from .seed import DISRUPTION_TACTICS, HUBS

    for name, code, authorities in HUBS:
        hub, _ = SocexHub.objects.get_or_create(code=code, defaults={"name": name})
        for authority in Agency.objects.filter(code__in=authorities):
            HubCoverage.objects.get_or_create(local_authority=authority, defaults={"hub": hub})
    for code, name in DISRUPTION_TACTICS:
        DisruptionTacticKind.objects.get_or_create(code=code, defaults={"name": name})
