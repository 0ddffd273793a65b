"""Recording access. Every read, list, search, export, refusal and sign-in goes through
`record_access`, so the audit trail has one shape whatever the entry point (page, API, task,
management command)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from portal.proxy import client_ip

from .models import AccessAction, AccessEvent, Alert


def record_access(
    *,
    action: AccessAction | str,
    request=None,
    actor=None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    query: str = "",
    result_count: int | None = None,
    reason: str = "",
    via: str = "",
    detail: Mapping[str, Any] | None = None,
    actor_username: str = "",
) -> AccessEvent:
    """Append one access event. `actor` defaults to the request's user.

    `obj`, when given, fills object_type/object_id/object_repr; otherwise pass them by hand
    (a refused attempt must not load, or reveal, the object).
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    agency = getattr(actor, "agency", None) if actor is not None else None
    event = AccessEvent(
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else actor_username)[:150],
        actor_agency=str(agency)[:120] if agency is not None else "",
        action=str(action),
        object_type=object_type[:64],
        object_id=str(object_id)[:64],
        object_repr=str(obj)[:200] if obj is not None else "",
        query=query[:500],
        result_count=result_count,
        reason=reason[:500],
        detail=dict(detail or {}),
    )
    if request is not None:
        event.path = request.get_full_path()[:500]
        event.method = request.method or ""
        event.ip_address = client_ip(request)
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        event.via = via or ("api" if request.path.startswith("/api/") else "web")
    else:
        event.via = via or "task"
    event.save()
    return event


def alert_raise(
    *,
    kind: str,
    message: str,
    actor=None,
    subject: models.Model | None = None,
    subject_type: str = "",
    subject_id: str = "",
    detail: Mapping[str, Any] | None = None,
    event: AccessEvent | None = None,
) -> Alert:
    """Raise an alert for the auditors (a change of role, a share without consent...)."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
    return Alert.objects.create(
        kind=kind,
        message=message[:500],
        actor=actor,
        actor_username=actor.get_username()[:150] if actor is not None else "",
        subject_type=subject_type[:64],
        subject_id=str(subject_id)[:64],
        detail=dict(detail or {}),
        event=event,
    )
