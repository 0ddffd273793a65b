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
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .models import AccessAction, AccessEvent, AlertKind
from .relationships import CASE, NOMINAL, NOMINAL_IN_RUN, explain_access
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


class PurposeRequired(PermissionDenied):
    """Raised by a fetch of a record the user may read but whose work does not explain it;
    `PurposeMiddleware` answers with the purpose page (the API: a 403 saying so)."""

    def __init__(self, *, subject_type: str, subject_id: str, looked_for: list[str]) -> None:
        super().__init__(
            "Your work does not explain opening this record: give the purpose on its page in the portal first."
        )
        self.subject_type, self.subject_id, self.looked_for = subject_type, subject_id, looked_for


def readable(user, subject_type: str, subject_id: str) -> bool:
    """May `user` read this record at all? Checked before the purpose is asked, so that the
    purpose page never tells anyone that a record they may not see exists."""
    from analytics.models import Nominal, NominalResult
    from portal.access import objects_for_user
    from portal.accounts.roles import POLICE_DATA_ROLES, role_has
    from safeguarding.models import Case

    if subject_type == CASE:
        return subject_id.isdigit() and objects_for_user(user, Case.objects.filter(pk=int(subject_id))).exists()
    if not role_has(user, POLICE_DATA_ROLES):
        return False
    if subject_type == NOMINAL:
        return Nominal.objects.filter(pk=subject_id).exists()
    if subject_type == NOMINAL_IN_RUN:
        run_id, _, nominal_id = subject_id.partition("/")
        return run_id.isdigit() and NominalResult.objects.filter(run_id=int(run_id), nominal_id=nominal_id).exists()
    return False


def require_purpose(request, *, subject_type: str, subject_id: str, user=None) -> str:
    """Raise PurposeRequired unless the user may go on: the record is not theirs to read (the
    caller's fetch answers 404), a workflow relationship explains the access, or a purpose they
    gave recently covers it. Call before anything of the record is shown. Without a request
    (a task, a command) there is no one to ask.

    Returns the purpose that covers the access ("break-glass: <code>"), "" when none is needed.
    """
    user = user if user is not None else getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated:
        return ""
    if not readable(user, subject_type, subject_id):
        return ""
    explanation = explain_access(user, subject_type, subject_id)
    if explanation:
        return ""
    given = recent_purpose(user, subject_type, subject_id)
    if given is not None:
        return f"break-glass: {given.purpose}"
    raise PurposeRequired(subject_type=subject_type, subject_id=subject_id, looked_for=explanation.looked_for_text)


def purpose_page(request, error: PurposeRequired):
    from .trail_forms import PurposeForm

    return render(
        request,
        "audit/purpose.html",
        {
            "form": PurposeForm(),
            "subject_type": error.subject_type,
            "subject_id": error.subject_id,
            "next": request.get_full_path() if request.method in ("GET", "HEAD") else "",
            "looked_for": error.looked_for,
        },
        status=403,
    )


class PurposeMiddleware:
    """Answers PurposeRequired with the purpose page (or, for the API, a 403 that says why)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PurposeRequired):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": str(exception.args[0])}, status=403)
        return purpose_page(request, exception)


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
