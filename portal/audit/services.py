"""Recording access. Every read, list, search, export, refusal and sign-in goes through
`record_access`, so the audit trail has one shape whatever the entry point (page, API, task,
management command)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, models, transaction

from portal.proxy import client_ip

from .chain import subjects_digest
from .models import AccessAction, AccessEvent, AccessEventSubject, Alert

# A record an event showed: a model instance, or (object_type, object_id) when the caller holds
# only the key.
Shown = models.Model | tuple[str, str]
# How PostgreSQL takes an event's subject rows: one INSERT from two arrays (unnest), or from
# this many rows on, COPY. Against bulk_create, a case page's two rows cost 0.35 ms less, a
# list's hundred 1.8 ms less, a 5,000-person group's 10,000 a third of a second less.
COPY_SUBJECTS_FROM = 1000


def subject_keys(item: Shown) -> list[tuple[str, str]]:
    """The trail's names for one record shown, the person it is about included: a case and a
    run's row for a person are also recorded under the person's nominal id, so "who has seen
    this child" finds every way they were seen with one lookup."""
    if isinstance(item, tuple):
        return [(item[0][:64], str(item[1])[:64])]
    label = item._meta.label_lower
    keys = [(label, str(item.pk))]
    if label == "analytics.nominalresult":
        run_id, nominal_id = getattr(item, "run_id"), getattr(item, "nominal_id")  # noqa: B009
        keys = [(label, f"{run_id}/{nominal_id}"), ("analytics.nominal", str(nominal_id))]
    elif label == "safeguarding.case" and getattr(item, "nominal_id", None):
        keys.append(("analytics.nominal", str(getattr(item, "nominal_id"))))  # noqa: B009
    return keys


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
    shown: Iterable[Shown] = (),
    purpose: str = "",
    recipients: Iterable[Mapping[str, str]] = (),
) -> AccessEvent:
    """Append one access event. `actor` defaults to the request's user.

    `obj`, when given, fills object_type/object_id/object_repr; otherwise pass them by hand
    (a refused attempt must not load, or reveal, the object). `shown` names every record a list,
    search or export showed (the object itself is always named, unless the access was refused).
    `purpose` (a PurposeReason code) and `recipients` go with break-glass access and disclosures.

    The entry is written before the caller answers: if it cannot be written the error propagates
    and nothing is shown (fail closed).
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
        purpose=purpose[:64],
        recipients=[dict(recipient) for recipient in recipients],
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
    keys: dict[tuple[str, str], None] = {}
    if obj is not None and event.action != AccessAction.REFUSED:
        keys.update(dict.fromkeys(subject_keys(obj)))
    if not shown and object_type and isinstance(event.detail.get("ids"), list):
        # Callers that name the rows a list showed by id (`detail={"ids": [...]}`).
        shown = [(object_type, str(pk)) for pk in event.detail["ids"]]
    for item in shown:
        keys.update(dict.fromkeys(subject_keys(item)))
    event.subjects_digest = subjects_digest(keys)
    with transaction.atomic():  # one commit for the event and what it showed
        event.save()
        _write_subjects(event, list(keys))
    return event


def _write_subjects(event: AccessEvent, keys: list[tuple[str, str]]) -> None:
    """The subject rows of `event`, inside the caller's transaction."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        table = AccessEventSubject._meta.db_table
        with connection.cursor() as cursor:
            if len(keys) >= COPY_SUBJECTS_FROM:
                with cursor.cursor.copy(f"COPY {table} (event_id, subject_type, subject_id) FROM STDIN") as copy:
                    for kind, key in keys:
                        copy.write_row((event.pk, kind, key))
            else:
                cursor.execute(
                    f"INSERT INTO {table} (event_id, subject_type, subject_id) "
                    "SELECT %s, kind, key FROM unnest(%s::varchar[], %s::varchar[]) AS shown(kind, key)",
                    [event.pk, [kind for kind, _ in keys], [key for _, key in keys]],
                )
        return
    AccessEventSubject.objects.bulk_create(
        [AccessEventSubject(event=event, subject_type=kind, subject_id=key) for kind, key in keys],
        batch_size=2000,
    )


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
    rule: str = "",
    events: Iterable[AccessEvent] = (),
) -> Alert:
    """Raise an alert for the auditors (a change of role, a share without consent, a misuse
    rule's finding). `events` are the access events behind it."""
    if subject is not None:
        subject_type = subject_type or subject._meta.label_lower
        subject_id = subject_id or str(subject.pk)
    agency = getattr(actor, "agency", None) if actor is not None else None
    alert = Alert.objects.create(
        kind=kind,
        rule=rule,
        message=message[:500],
        actor=actor,
        actor_username=actor.get_username()[:150] if actor is not None else "",
        actor_agency=str(agency)[:120] if agency is not None else "",
        subject_type=subject_type[:64],
        subject_id=str(subject_id)[:64],
        detail=dict(detail or {}),
        event=event,
    )
    behind = list(events) or ([event] if event is not None else [])
    if behind:
        alert.events.add(*behind)
    return alert
