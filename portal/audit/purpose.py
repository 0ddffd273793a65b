"""Purpose first ("break-glass"): opening a person's record with no workflow relationship.

A user who may read a record but whose work does not explain it (portal/audit/relationships.py)
is asked for a purpose - a reason from the managed list and free text - before the record is
shown. The purpose is stored on an access event that names the record, and raises an alert for
the auditors. It then covers that user and that record for BREAK_GLASS_HOURS, so a morning's work
on one child asks once.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .models import AccessAction, AccessEvent, AlertKind
from .relationships import explain_access
from .services import alert_raise, record_access

BREAK_GLASS_HOURS = getattr(settings, "BREAK_GLASS_HOURS", 8)


def recent_purpose(user, subject_type: str, subject_id: str) -> AccessEvent | None:
    """The user's purpose for this record given in the last BREAK_GLASS_HOURS, if any."""
    since = timezone.now() - timedelta(hours=BREAK_GLASS_HOURS)
    return (
        AccessEvent.objects.filter(
            actor=user,
            object_type=subject_type,
            object_id=subject_id,
            at__gte=since,
            detail__break_glass=True,
        )
        .order_by("-at", "-id")
        .first()
    )


def purpose_page(request, *, subject_type: str, subject_id: str, label: str):
    """None when the user may go on (a relationship explains the access, or a recent purpose
    covers it); otherwise the page asking for a purpose.

    Call only after the user's right to read the record is established (so the page never tells
    anyone that a record they may not see exists), and before anything of it is shown.
    """
    user = request.user
    explanation = explain_access(user, subject_type, subject_id)
    if explanation or recent_purpose(user, subject_type, subject_id) is not None:
        return None
    from .trail_forms import PurposeForm

    return render(
        request,
        "audit/purpose.html",
        {
            "form": PurposeForm(),
            "label": label,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "next": request.get_full_path(),
            "looked_for": explanation.looked_for_text,
        },
        status=403,
    )


def purpose_record(*, request, subject_type: str, subject_id: str, label: str, purpose: str, justification: str):
    """Store the purpose on an access event for the record and raise the alert."""
    explanation = explain_access(request.user, subject_type, subject_id)
    event = record_access(
        action=AccessAction.VIEW,
        request=request,
        object_type=subject_type,
        object_id=subject_id,
        shown=[(subject_type, subject_id)],
        purpose=purpose,
        reason=justification,
        detail={"break_glass": True, "looked_for": list(explanation.looked_for)},
    )
    alert_raise(
        kind=AlertKind.BREAK_GLASS,
        message=f"{request.user.get_username()} opened {label} without a workflow relationship: {purpose}",
        actor=request.user,
        subject_type=subject_type,
        subject_id=subject_id,
        event=event,
        detail={"purpose": purpose, "justification": justification, "looked_for": explanation.looked_for_text},
    )
    return event


def safe_next(request, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        return target
    return reverse("home")
