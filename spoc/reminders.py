"""Reminders of the SPoC liaison (run by beat every SPOC_REMINDER_INTERVAL_SECONDS):

- a request whose acknowledgement or fulfilment is overdue goes to the police SPoCs and to the
  addressed provider's SPoCs, once a day per request and step;
- an urgent internal authorisation within a day of lapsing, unconfirmed by the OCDA, goes to
  the SPoCs and the designated senior officer who gave it, once;
- an urgent authorisation past its 3 days, unconfirmed, lapses: the request is expired by the
  portal (a transition with no person acting) and the SPoCs are told.

Notifications are the pathway's (`safeguarding.models.Notification`, without a case), with the
same once-only key per recipient, so overlapping runs send nothing twice. Messages carry the
reference and the step only: no case, no child, no data sought.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from portal.accounts.models import AgencyKind, User
from portal.accounts.roles import Role
from safeguarding.models import Notification

from .models import OPEN_STATES, AuthorisationRoute, CommsRequest, RequestState
from .transitions import request_transition_system

LAPSE_WARNING = timedelta(days=1)
PROVIDER_WAIT_STATES = (RequestState.SENT, RequestState.ACKNOWLEDGED)


def _spocs() -> list[User]:
    return list(User.objects.filter(role=Role.SPOC, is_active=True, agency__kind=AgencyKind.POLICE_FORCE))


def _provider_spocs(provider_id: int) -> list[User]:
    return list(User.objects.filter(role=Role.PROVIDER_SPOC, is_active=True, agency_id=provider_id))


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M on %a %d %b %Y}"


def _notify(planned: list[tuple[User, str, str, str]]) -> int:
    """Create the notifications not already sent: (recipient, kind, message, dedupe key)."""
    keys = {key for _, _, _, key in planned}
    already = set(Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key"))
    fresh = {(user.pk, key): (user, kind, message, key) for user, kind, message, key in planned}
    rows = [
        Notification(recipient=user, kind=kind, message=message[:500], dedupe_key=key)
        for (user_id, key), (user, kind, message, _) in fresh.items()
        if (user_id, key) not in already
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    today = timezone.localdate(now).isoformat()
    spocs = _spocs()
    planned: list[tuple[User, str, str, str]] = []
    with transaction.atomic():
        lapsing = list(
            CommsRequest.objects.select_for_update()
            .filter(
                authorisation_route=AuthorisationRoute.URGENT,
                urgent_confirmed_at__isnull=True,
                urgent_lapses_at__isnull=False,
                state__in=OPEN_STATES,
            )
            .order_by("pk")
        )
        lapsed = warned = 0
        for req in lapsing:
            assert req.urgent_lapses_at is not None  # filtered above
            if req.urgent_lapses_at <= now:
                request_transition_system(
                    req=req,
                    to=RequestState.EXPIRED,
                    reason="urgent authorisation lapsed after 3 days without the OCDA's confirmation",
                )
                lapsed += 1
                message = f"{req.reference}: the urgent authorisation lapsed unconfirmed; the request has expired."
                planned += [(user, "spoc_lapsed", message, f"spoc-lapsed:{req.pk}") for user in spocs]
                if req.sent_at is not None:
                    planned += [
                        (
                            user,
                            "spoc_lapsed",
                            f"{req.reference} is withdrawn: stop work on it.",
                            f"spoc-lapsed:{req.pk}",
                        )
                        for user in _provider_spocs(req.provider_id)
                    ]
            elif req.urgent_lapses_at - now <= LAPSE_WARNING:
                warned += 1
                message = (
                    f"{req.reference}: the urgent authorisation lapses at {_when(req.urgent_lapses_at)} "
                    "unless the OCDA confirms it."
                )
                recipients = list(spocs)
                if req.authorised_by is not None and req.authorised_by.is_active:
                    recipients.append(req.authorised_by)
                planned += [(user, "spoc_lapsing", message, f"spoc-lapsing:{req.pk}") for user in recipients]
        overdue = list(
            CommsRequest.objects.filter(state__in=PROVIDER_WAIT_STATES, due_at__lt=now)
            .select_related("provider")
            .order_by("pk")
        )
        for req in overdue:
            assert req.due_at is not None  # filtered above
            message = f"{req.reference}: {req.provider} has not {'acknowledged' if req.due_step == 'acknowledge' else 'fulfilled'} it; due by {_when(req.due_at)}."
            key = f"spoc-overdue:{req.pk}:{req.due_step}:{today}"
            planned += [(user, "spoc_overdue", message, key) for user in spocs + _provider_spocs(req.provider_id)]
        sent = _notify(planned)
    return {"lapsed": lapsed, "lapsing": warned, "overdue": len(overdue), "notifications": sent}
