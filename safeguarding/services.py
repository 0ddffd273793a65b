"""Writes for safeguarding cases. Callers pass an already-authorised case (see selectors)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from portal.access import Access, access_grant, access_revoke
from portal.accounts.models import Agency, AgencyKind
from portal.accounts.roles import SHARING_ROLES

from .models import Case, CaseKind


def _next_reference() -> str:
    last = Case.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return f"SG-{last + 1:06d}"


@transaction.atomic
def case_create(
    *,
    actor,
    kind: str,
    forenames: str,
    surname: str,
    local_authority: Agency,
    date_of_birth=None,
    nominal=None,
    summary: str = "",
    request=None,
) -> Case:
    """Open a case and share it for writing with the local authority's MASH and the creator's
    own agency. A vulnerable adult's case is shared with the local authority only once consent
    is recorded (case_record_consent)."""
    if local_authority.kind != AgencyKind.LOCAL_AUTHORITY:
        raise ValidationError({"local_authority": "Choose one of the seven local authorities."})
    case = Case(
        reference=_next_reference(),
        kind=kind,
        forenames=forenames,
        surname=surname,
        date_of_birth=date_of_birth,
        nominal=nominal,
        local_authority=local_authority,
        summary=summary,
        created_by=actor,
    )
    case.full_clean()
    case.save()
    access_grant(actor=actor, target=case, level=Access.WRITE, agency=actor.agency, request=request)
    if kind == CaseKind.CHILD and local_authority != actor.agency:
        access_grant(actor=actor, target=case, level=Access.WRITE, agency=local_authority, request=request)
    return case


@transaction.atomic
def case_update(*, case: Case, summary: str) -> Case:
    """Caller must have authorised WRITE on `case`."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.summary == summary:
        return locked
    locked.summary = summary
    locked.save(update_fields=["summary", "updated_at"])
    return locked


def _check_may_share(*, actor, case: Case, agency: Agency | None) -> None:
    if actor.role not in SHARING_ROLES:
        raise PermissionDenied("Only an intelligence supervisor or a MASH manager can change who sees a case.")
    if (
        case.kind == CaseKind.VULNERABLE_ADULT
        and case.consent_recorded_at is None
        and (agency is None or agency.kind != AgencyKind.POLICE_FORCE)
    ):
        raise ValidationError(
            "This vulnerable adult has not consented to their details being shared. Record consent first."
        )


@transaction.atomic
def case_share(*, actor, case: Case, level: Access, agency: Agency | None = None, user=None, request=None) -> None:
    """Share `case` (caller holds WRITE on it) with an agency or a person."""
    _check_may_share(actor=actor, case=case, agency=agency if user is None else user.agency)
    access_grant(actor=actor, target=case, level=level, agency=agency, user=user, request=request)


@transaction.atomic
def case_unshare(*, actor, case: Case, level: Access, agency: Agency | None = None, user=None, request=None) -> None:
    if actor.role not in SHARING_ROLES:
        raise PermissionDenied("Only an intelligence supervisor or a MASH manager can change who sees a case.")
    access_revoke(actor=actor, target=case, level=level, agency=agency, user=user, request=request)
