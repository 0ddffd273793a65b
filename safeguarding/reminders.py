"""Reminders of the pathway's deadlines, and escalation of the steps left a working day late.

A case whose next step is due today or overdue is brought to whoever must act on it, in the
portal (a Notification) and by e-mail; a step a working day past its deadline goes to the
managers as well, once. The beat task runs this every REMINDER_INTERVAL_SECONDS (15 minutes),
and more than one run may overlap, so:

- each reminder has a dedupe key (case, step, day) that the database keeps unique per
  recipient: a person is reminded of a step at most once a day, and escalated to once per
  deadline, however often the task runs;
- a run locks the due cases' rows (`select_for_update`), so an overlapping run waits and then
  sees what the first one wrote: it sends neither the notifications nor the e-mails again. On
  SQLite, which has no row locks, the unique key still stops a second notification;
- nobody is told about a case they cannot read: every recipient is checked against the case's
  sharing (the same group and user permissions `portal.access` reads), so a MASH hears only
  about the cases its authority holds, and a vulnerable adult whose consent was withdrawn is
  no longer mentioned to the agencies that lost access.

E-mail leaves the portal, so it carries the case reference, the step, when it is due and the
path of the case's page, and nothing else: no names, no concern, no police intelligence.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from portal.access import Access
from portal.accounts.models import AgencyKind, User
from portal.accounts.roles import Role
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .models import (
    FINISHED_STATES,
    Case,
    CaseGroupObjectPermission,
    CaseState,
    CaseUserObjectPermission,
    Notification,
)
from .timescales import END_OF_DAY, escalation_due

logger = logging.getLogger(__name__)

REMINDER = "reminder"
ESCALATION = "escalation"

# Who acts on a case's next step, by the state it waits in. The NRM reasonable-grounds
# deadline, which can come first at any state, goes to whoever holds the case at that state.
POLICE, MASH, PANEL = "police", "mash", "panel"
TEAM_BY_STATE: dict[str, str] = {CaseState.IDENTIFIED: POLICE, CaseState.DISRUPTION_PANEL: PANEL}
ACTING_ROLES = {
    POLICE: frozenset({Role.POLICE_SAFEGUARDING_OFFICER, Role.INTELLIGENCE_SUPERVISOR}),
    MASH: frozenset({Role.MASH_PRACTITIONER, Role.MASH_MANAGER}),
    PANEL: frozenset({Role.PANEL_MEMBER}),
}
MANAGER_ROLES = {
    POLICE: frozenset({Role.INTELLIGENCE_SUPERVISOR}),
    MASH: frozenset({Role.MASH_MANAGER}),
    PANEL: frozenset({Role.MASH_MANAGER}),
}
AUTHORITY_ROLES = ACTING_ROLES[MASH] | ACTING_ROLES[PANEL]
POLICE_ROLES = ACTING_ROLES[POLICE]


def team_for(case: Case) -> str:
    return TEAM_BY_STATE.get(case.state, MASH)


@dataclass(frozen=True)
class _Item:
    """One line of a recipient's e-mail."""

    case: Case
    kind: str
    due: datetime
    overdue: bool


class _Staff:
    """The active people who may have to act, loaded in one query and indexed for routing."""

    def __init__(self, users: Iterable[User]) -> None:
        self.in_authority: dict[tuple[int, str], list[User]] = defaultdict(list)
        self.police: dict[str, list[User]] = defaultdict(list)
        for user in users:
            if user.agency.kind == AgencyKind.POLICE_FORCE:
                self.police[user.role].append(user)
            else:
                self.in_authority[(user.agency_id, user.role)].append(user)

    def of_authority(self, authority_id: int | None, roles: Iterable[str]) -> list[User]:
        if authority_id is None:
            return []
        return [user for role in sorted(roles) for user in self.in_authority[(authority_id, role)]]

    def of_police(self, roles: Iterable[str]) -> list[User]:
        return [user for role in sorted(roles) for user in self.police[role]]


def _who_acts(case: Case, staff: _Staff) -> list[User]:
    """The case worker if there is one still at work; else the team of the step: the hub's
    officers (every police reviewer for the triage queue), or the authority's MASH or panel."""
    worker = case.case_worker
    if worker is not None and worker.is_active:
        return [worker]
    team = team_for(case)
    if team == POLICE:
        hub = case.hub
        if hub is not None:
            return [officer for officer in hub.officers.all() if officer.is_active]
        return staff.of_police(ACTING_ROLES[POLICE])
    return staff.of_authority(case.local_authority_id, ACTING_ROLES[team])


def _managers(case: Case, staff: _Staff) -> list[User]:
    team = team_for(case)
    if team == POLICE:
        return staff.of_police(MANAGER_ROLES[POLICE])
    return staff.of_authority(case.local_authority_id, MANAGER_ROLES[team])


def _readers(cases: list[Case], users: Iterable[User]) -> set[tuple[int, int]]:
    """(case id, user id) for every user in `users` who may read the case: shared with them or
    with a group they are in, as `portal.access.objects_for_user` decides. Three queries."""
    user_ids = {user.pk for user in users}
    case_ids = [case.pk for case in cases]
    codename = f"{Access.READ.value}_{Case._meta.model_name}"
    members: dict[int, set[int]] = defaultdict(set)
    for user_id, group_id in User.groups.through.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "group_id"
    ):
        members[group_id].add(user_id)
    by_group = set(
        CaseGroupObjectPermission.objects.filter(
            content_object_id__in=case_ids, permission__codename=codename
        ).values_list("content_object_id", "group_id")
    )
    by_user = set(
        CaseUserObjectPermission.objects.filter(
            content_object_id__in=case_ids, permission__codename=codename, user_id__in=user_ids
        ).values_list("content_object_id", "user_id")
    )
    readers = set(by_user)
    for case_id, group_id in by_group:
        readers.update((case_id, user_id) for user_id in members[group_id])
    return readers


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b %Y}"


def _message(item: _Item) -> str:
    case = item.case
    if item.kind == ESCALATION:
        return (
            f"{case.reference}: the {case.next_due_step} was due by {_when(item.due)} and is now "
            "a working day late; escalated to you."
        )
    if item.overdue:
        return f"{case.reference}: the {case.next_due_step} is overdue (it was due by {_when(item.due)})."
    return f"{case.reference}: the {case.next_due_step} is due today, by {_when(item.due)}."


def _dedupe_key(item: _Item, today: date) -> str:
    """Reminders: once per case, step and day. Escalation: once per case, step and deadline."""
    case = item.case
    step = slugify(case.next_due_step)
    if item.kind == ESCALATION:
        return f"{ESCALATION}:{case.pk}:{step}:{timezone.localtime(item.due).date().isoformat()}"
    return f"{REMINDER}:{case.pk}:{step}:{today.isoformat()}"


def _email(items: list[_Item]) -> tuple[str, str]:
    """Subject and body of one person's e-mail: references, steps, times and page paths only."""
    sections = (
        ("Escalated to you (a working day late)", [i for i in items if i.kind == ESCALATION]),
        ("Overdue", [i for i in items if i.kind == REMINDER and i.overdue]),
        ("Due today", [i for i in items if i.kind == REMINDER and not i.overdue]),
    )
    lines = ["These safeguarding cases need you to act. Sign in to the portal to see them.", ""]
    for title, section in sections:
        if not section:
            continue
        lines.append(f"{title}:")
        for item in section:
            path = reverse("safeguarding:case_detail", kwargs={"case_id": item.case.pk})
            lines.append(f"- {item.case.reference}: {item.case.next_due_step}, due by {_when(item.due)} ({path})")
        lines.append("")
    lines.append("This message carries no personal details by design; they stay in the portal.")
    count = len({item.case.pk for item in items})
    subject = f"Safeguarding portal: {count} case{'s' if count != 1 else ''} to act on"
    return subject, "\n".join(lines)


def reminders_send(*, now: datetime | None = None) -> dict[str, int]:
    """Remind whoever must act of every step due today or overdue, and escalate to the managers
    the steps a working day past their deadline (setting `escalated_at`, recorded in the trail).

    Call it outside a transaction (the beat task does): the e-mails go once the notifications
    are committed, so a rolled-back run sends nothing. The number of queries does not depend on
    how many cases are due. Returns counts: due cases, notifications, e-mails, escalations, and
    the due cases nobody could be told about (also logged).
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    end_of_today = timezone.make_aware(datetime.combine(today, END_OF_DAY))
    with transaction.atomic():
        cases = list(
            Case.objects.select_for_update(of=("self",))
            .filter(next_due_at__lte=end_of_today)
            .exclude(state__in=FINISHED_STATES)
            .select_related("hub", "case_worker")
            .prefetch_related("hub__officers")
            .order_by("pk")  # the same lock order in every run
        )
        if not cases:
            return {"due": 0, "notifications": 0, "emails": 0, "escalated": 0, "unrouted": 0}
        authority_ids = {case.local_authority_id for case in cases if case.local_authority_id is not None}
        wanted = Q(agency_id__in=authority_ids, role__in=AUTHORITY_ROLES)
        if any(team_for(case) == POLICE for case in cases):
            wanted |= Q(agency__kind=AgencyKind.POLICE_FORCE, role__in=POLICE_ROLES)
        staff = _Staff(User.objects.filter(wanted, is_active=True).select_related("agency").order_by("pk"))
        routed: list[tuple[User, _Item]] = []
        late: list[Case] = []
        for case in cases:
            due = cast(datetime, case.next_due_at)  # the query keeps only cases with a deadline
            reminder = _Item(case=case, kind=REMINDER, due=due, overdue=due < now)
            routed.extend((user, reminder) for user in _who_acts(case, staff))
            if case.escalated_at is None and now > escalation_due(due):
                late.append(case)
                escalation = _Item(case=case, kind=ESCALATION, due=due, overdue=True)
                routed.extend((user, escalation) for user in _managers(case, staff))
        readers = _readers(cases, {user for user, _ in routed})
        routed = [(user, item) for user, item in routed if (item.case.pk, user.pk) in readers]

        unrouted = sorted({case.reference for case in cases} - {item.case.reference for _, item in routed})
        if unrouted:
            logger.warning("Due safeguarding steps with nobody to remind: %s", ", ".join(unrouted))

        planned = {(user.pk, _dedupe_key(item, today)): (user, item) for user, item in routed}
        already = set(
            Notification.objects.filter(dedupe_key__in={key for _, key in planned}).values_list(
                "recipient_id", "dedupe_key"
            )
        )
        fresh = {key: value for key, value in planned.items() if key not in already}
        # ignore_conflicts: the unique (recipient, dedupe_key) is the last word if runs overlap.
        Notification.objects.bulk_create(
            [
                Notification(recipient=user, case=item.case, kind=item.kind, message=_message(item), dedupe_key=key)
                for (_, key), (user, item) in fresh.items()
            ],
            ignore_conflicts=True,
            batch_size=2_000,
        )

        escalated = 0
        if late:
            escalated = Case.objects.filter(pk__in=[case.pk for case in late], escalated_at__isnull=True).update(
                escalated_at=now
            )
            # A bulk update django-auditlog cannot see: one trail entry for the run, with the ids
            # (as portal.access records a bulk grant).
            record_access(
                action=AccessAction.UPDATE,
                obj=late[0] if len(late) == 1 else None,
                object_type=Case._meta.label_lower,
                reason=(
                    "escalated: a working day late, to the managers: "
                    + ", ".join(f"{case.reference} ({case.next_due_step})" for case in late)
                )[:500],
                via="task",
                detail={
                    "ids": [str(case.pk) for case in late],
                    "steps": {case.reference: case.next_due_step for case in late},
                    "due": {case.reference: cast(datetime, case.next_due_at).isoformat() for case in late},
                },
            )

        by_recipient: dict[int, tuple[User, list[_Item]]] = {}
        for user, item in fresh.values():
            by_recipient.setdefault(user.pk, (user, []))[1].append(item)
        emails = []
        for user, items in by_recipient.values():
            if user.email:
                subject, body = _email(items)
                emails.append((subject, body, None, [user.email]))
        if emails:
            transaction.on_commit(lambda: send_mass_mail(emails, fail_silently=False))
    return {
        "due": len(cases),
        "notifications": len(fresh),
        "emails": len(emails),
        "escalated": escalated,
        "unrouted": len(unrouted),
    }
