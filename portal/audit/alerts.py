"""An alert's review by an auditor (open -> under review -> justified or referred to professional
standards, each step with a note), the report that counts alerts by rule, agency and outcome,
and the markers a supervisor puts on high-profile or sensitive people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone

from portal.accounts.roles import AUDIT_ROLES, POLICE_DATA_ROLES, Role, role_has

from .misuse import LONDON
from .models import (
    AccessAction,
    Alert,
    AlertNote,
    AlertStatus,
    MisuseRuleCode,
    SubjectMarker,
    SubjectMarkerKind,
)
from .relationships import CASE, NOMINAL
from .services import record_access

MARKER_ROLES = frozenset({Role.INTELLIGENCE_SUPERVISOR})

S = AlertStatus
MOVES: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.UNDER_REVIEW, S.JUSTIFIED, S.REFERRED}),
    S.UNDER_REVIEW: frozenset({S.JUSTIFIED, S.REFERRED}),
    S.JUSTIFIED: frozenset(),
    S.REFERRED: frozenset(),
}
NOTE_MAX = 4000


def allowed_moves(alert: Alert) -> list[str]:
    return [status for status in S.values if status in MOVES[alert.status]]


def alert_review(*, actor, alert: Alert, to: str, note: str, request=None) -> Alert:
    """Move `alert` to `to` with a note; the step is an AlertNote and a REVIEW access event.

    Only auditors review (anyone else: PermissionDenied, and the refusal is recorded); the move
    must be allowed from the alert's current status (read under a row lock, so two auditors
    cannot both close it) and the note must say something. Raises ValidationError and changes
    nothing otherwise."""
    if not role_has(actor, AUDIT_ROLES):
        record_access(
            action=AccessAction.REFUSED, request=request, actor=actor, obj=alert, reason="only auditors review alerts"
        )
        raise PermissionDenied("Only auditors review alerts.")
    return _alert_move(actor=actor, alert=alert, to=to, note=note, request=request)


@transaction.atomic
def _alert_move(*, actor, alert: Alert, to: str, note: str, request=None) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if to not in S.values:
        errors["to"] = f"{to!r} is not a status an alert can have."
    elif to not in MOVES[locked.status]:
        current = S(locked.status).label
        if MOVES[locked.status]:
            names = ", ".join(S(status).label.lower() for status in allowed_moves(locked))
            errors["to"] = f"An alert that is {current.lower()} can only be moved to: {names}."
        else:
            errors["to"] = f"This alert is already closed ({current.lower()}); it cannot be moved again."
    if not note:
        errors["note"] = "Write a note saying what you found or why you are moving the alert."
    elif len(note) > NOTE_MAX:
        errors["note"] = f"Keep the note under {NOTE_MAX} characters (it has {len(note)})."
    if errors:
        raise ValidationError(errors)
    AlertNote.objects.create(alert=locked, author=actor, status_from=locked.status, status_to=to, note=note)
    record_access(
        action=AccessAction.REVIEW,
        request=request,
        actor=actor,
        obj=locked,
        reason=f"alert {S(locked.status).label.lower()} -> {S(to).label.lower()}",
        detail={"from": locked.status, "to": to},
    )
    locked.status = to
    update = ["status"]
    if to in (S.JUSTIFIED, S.REFERRED) or locked.acknowledged_by_id is None:
        locked.acknowledged_by, locked.acknowledged_at = actor, timezone.now()
        update += ["acknowledged_by", "acknowledged_at"]
    locked.save(update_fields=update)
    return locked


@dataclass
class AlertReport:
    start: date
    end: date
    total: int
    by_rule: list[tuple[str, int]]
    by_agency: list[tuple[str, int]]
    by_outcome: list[tuple[str, int]]
    rows: list[tuple[str, str, str, int]]  # rule label, agency, outcome label, count


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time.min, LONDON),
        datetime.combine(end + timedelta(days=1), time.min, LONDON),
    )


def alert_report(start: date, end: date) -> AlertReport:
    """Misuse alerts raised from `start` to `end` (UK days, inclusive), counted by rule, by the
    agency of the user concerned, by outcome, and by all three."""
    if end < start:
        raise ValidationError({"end": "The end of the period must not be before its start."})
    low, high = _bounds(start, end)
    alerts = Alert.objects.filter(raised_at__gte=low, raised_at__lt=high).exclude(rule="")
    rule_label = dict(MisuseRuleCode.choices)
    status_label = dict(AlertStatus.choices)
    rows = [
        (rule_label.get(rule, rule), agency or "(none)", status_label.get(status, status), n)
        for rule, agency, status, n in alerts.values_list("rule", "actor_agency", "status")
        .annotate(n=Count("id"))
        .order_by("rule", "actor_agency", "status")
    ]

    def total_by(position: int) -> list[tuple[str, int]]:
        totals: dict[str, int] = {}
        for row in rows:
            totals[row[position]] = totals.get(row[position], 0) + row[3]
        return sorted(totals.items())

    return AlertReport(
        start=start,
        end=end,
        total=sum(row[3] for row in rows),
        by_rule=total_by(0),
        by_agency=total_by(1),
        by_outcome=total_by(2),
        rows=rows,
    )


# --- subject markers -------------------------------------------------------------------------

MARKABLE = (NOMINAL, CASE)


def markable_subject(*, actor, subject_type: str, subject_id: str, request=None):
    """The nominal or case `actor` may mark, or Http404 (recorded) when it does not exist for them."""
    from analytics.models import Nominal
    from portal.access import objects_for_user
    from safeguarding.models import Case

    found: Nominal | Case | None = None
    if subject_type == NOMINAL and role_has(actor, POLICE_DATA_ROLES):
        found = Nominal.objects.filter(pk=subject_id).first()
    elif subject_type == CASE and subject_id.isdigit():
        found = objects_for_user(actor, Case.objects.all()).filter(pk=int(subject_id)).first()
    if found is None:
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=actor,
            object_type=subject_type[:64],
            object_id=subject_id[:64],
            reason="no such record to mark",
        )
        raise Http404
    return found


@transaction.atomic
def subject_marker_set(
    *, actor, subject_type: str, subject_id: str, kind: str, reason: str, request=None
) -> SubjectMarker:
    """Mark a person high-profile or sensitive (intelligence supervisors only): from now on every
    access to them raises an alert. Recorded as a CREATE naming the person."""
    if not role_has(actor, MARKER_ROLES):
        raise PermissionDenied("Only an intelligence supervisor marks people.")
    errors: dict[str, str] = {}
    if subject_type not in MARKABLE:
        errors["subject_type"] = "Choose a police nominal or a case."
    if kind not in SubjectMarkerKind.values:
        errors["kind"] = "Choose high-profile or sensitive."
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Say why the person is marked (the auditors read it with every alert)."
    elif len(reason) > 500:
        errors["reason"] = f"Keep the reason under 500 characters (it has {len(reason)})."
    if errors:
        raise ValidationError(errors)
    subject = markable_subject(actor=actor, subject_type=subject_type, subject_id=subject_id, request=request)
    key = str(subject.pk)
    if SubjectMarker.objects.filter(
        subject_type=subject_type, subject_id=key, kind=kind, removed_at__isnull=True
    ).exists():
        raise ValidationError({"kind": "This person already has that marker."})
    marker = SubjectMarker.objects.create(
        subject_type=subject_type, subject_id=key, kind=kind, reason=reason, set_by=actor
    )
    record_access(
        action=AccessAction.CREATE,
        request=request,
        actor=actor,
        obj=marker,
        shown=[(subject_type, key)],
        reason=f"marked {marker.get_kind_display().lower()}: {reason}",
    )
    return marker


@transaction.atomic
def subject_marker_remove(*, actor, marker: SubjectMarker, reason: str, request=None) -> SubjectMarker:
    """Remove a marker (intelligence supervisors only), with the reason; recorded as an UPDATE."""
    if not role_has(actor, MARKER_ROLES):
        raise PermissionDenied("Only an intelligence supervisor removes markers.")
    locked = SubjectMarker.objects.select_for_update().get(pk=marker.pk)
    reason = (reason or "").strip()
    if locked.removed_at is not None:
        raise ValidationError({"marker": "This marker was already removed."})
    if not reason:
        raise ValidationError({"reason": "Say why the marker is no longer needed."})
    locked.removed_by, locked.removed_at = actor, timezone.now()
    locked.save(update_fields=["removed_by", "removed_at"])
    record_access(
        action=AccessAction.UPDATE,
        request=request,
        actor=actor,
        obj=locked,
        shown=[(locked.subject_type, locked.subject_id)],
        reason=f"marker removed: {reason[:400]}",
    )
    return locked
