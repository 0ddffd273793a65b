"""The auditor's demo: vetting details for the demo users, about four weeks of ordinary access
events (sign in, list, open the cases their teams hold, search, sign out, in working hours on
weekdays), a few planted patterns that trip each misuse rule, then one evaluation of the rules.

For `make demo` only (after create_demo_users and load_demo_data). The history is written with
bulk_create, each event with the records it showed, and is marked `detail.demo_seed`, so running
the seed again adds nothing. Deterministic: the same demo data gives the same trail.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from safeguarding.models import Case, CaseKind

from .alerts import subject_marker_set
from .chain import subjects_digest
from .misuse import LONDON, evaluate_rules
from .models import AccessAction, AccessEvent, AccessEventSubject, Alert, SubjectMarker
from .relationships import CASE, NOMINAL, explain_access
from .services import subject_keys

SEED = "demo_seed"
DAYS = 28
# A vetting record per demo user: date of birth and home postcode (invented; the postcodes are
# real outward codes of the West Midlands with invented inward parts).
POSTCODES = ["B15 2TT", "B29 6BD", "CV1 5FB", "B91 3QJ", "WV1 1LY", "B13 9QA", "CV4 7AL", "B90 4DH"]


@dataclass
class Planted:
    """What the seed planted, by rule, to print."""

    notes: list[str] = field(default_factory=list)


@contextmanager
def _keep_given_times() -> Iterator[None]:
    """bulk_create would stamp every event with now (auto_now_add): keep the history's times."""
    at_field = AccessEvent._meta.get_field("at")
    at_field.auto_now_add = False
    try:
        yield
    finally:
        at_field.auto_now_add = True


class _Trail:
    """Events to write in one go, with what each showed."""

    def __init__(self) -> None:
        self.events: list[tuple[AccessEvent, list[tuple[str, str]]]] = []

    def add(self, user, action: str, moment: datetime, *, obj=None, shown=(), address: str = "", **values: Any) -> None:
        event = AccessEvent(
            at=moment,
            actor=user,
            actor_username=(user.get_username() if user is not None else values.pop("username", ""))[:150],
            actor_agency=str(user.agency)[:120] if user is not None else "",
            action=action,
            ip_address=address or (f"10.{user.agency_id % 250}.0.{user.pk % 250 + 1}" if user is not None else None),
            user_agent="Mozilla/5.0 (demo)",
            via="web",
            method=values.pop("method", "GET"),
            detail={SEED: True, **values.pop("detail", {})},
            **values,
        )
        keys: dict[tuple[str, str], None] = {}
        if obj is not None:
            event.object_type, event.object_id, event.object_repr = obj._meta.label_lower, str(obj.pk), str(obj)[:200]
            if action != AccessAction.REFUSED:
                keys.update(dict.fromkeys(subject_keys(obj)))
        for item in shown:
            keys.update(dict.fromkeys(subject_keys(item)))
        event.subjects_digest = subjects_digest(keys)
        self.events.append((event, list(keys)))

    def write(self) -> int:
        self.events.sort(key=lambda pair: pair[0].at)
        with _keep_given_times():
            AccessEvent.objects.bulk_create([event for event, _ in self.events], batch_size=1000)
        AccessEventSubject.objects.bulk_create(
            [
                AccessEventSubject(event=event, subject_type=kind, subject_id=key)
                for event, keys in self.events
                for kind, key in keys
            ],
            batch_size=2000,
        )
        return len(self.events)


def _moment(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), LONDON)


def _vetting(users: dict[str, Any]) -> None:
    """Date of birth and home postcode for each demo user (the colleague and family rules use them)."""
    User = get_user_model()
    for index, (_, user) in enumerate(sorted(users.items())):
        born = date(1970 + index % 25, 1 + index % 12, 1 + (index * 7) % 28)
        # Accounts opened before the history starts (the dormant-account rule counts from then).
        User.objects.filter(pk=user.pk).update(
            date_of_birth=born,
            home_postcode=POSTCODES[index % len(POSTCODES)],
            date_joined=timezone.now() - timedelta(days=DAYS + 30),
        )
        user.date_of_birth, user.home_postcode = born, POSTCODES[index % len(POSTCODES)]


def _planted_cases(users: dict[str, Any]) -> dict[str, Case]:
    """Four people opened by the Birmingham MASH whom some demo users have no work with: a
    relative of the analyst (her surname and postcode), a colleague (a panel member's name and
    date of birth), a high-profile child and a child the analyst keeps opening."""
    from safeguarding.services import case_create

    mash = users["mash.birmingham"]
    analyst, colleague = users["analyst"], users["panel.solihull"]
    wanted = {
        "family": ("Rohan", analyst.last_name, date(2009, 6, 1), CaseKind.CHILD, analyst.home_postcode),
        "colleague": (
            colleague.first_name,
            colleague.last_name,
            colleague.date_of_birth,
            CaseKind.VULNERABLE_ADULT,
            "",
        ),
        "marked": ("Mia", "Sterling", date(2012, 2, 2), CaseKind.CHILD, "B15 3AA"),
        "repeated": ("Tyler", "Quinn", date(2010, 8, 8), CaseKind.CHILD, "B12 0XS"),
    }
    cases = {}
    for key, (forenames, surname, born, kind, postcode) in wanted.items():
        case = Case.objects.filter(forenames=forenames, surname=surname, date_of_birth=born).first()
        if case is None:
            case = case_create(
                actor=mash,
                kind=kind,
                forenames=forenames,
                surname=surname,
                date_of_birth=born,
                home_postcode=postcode,
                local_authority=mash.agency,
                summary="Demo person for the auditor's misuse rules.",
            )
        cases[key] = case
    return cases


def _pools(users: dict[str, Any], planted: dict[str, Case]) -> dict[str, list[Case]]:
    """The cases each user's work explains (what an ordinary day opens)."""
    skip = {case.pk for case in planted.values()}
    cases = [case for case in Case.objects.select_related("nominal").order_by("pk")[:300] if case.pk not in skip]
    pools: dict[str, list[Case]] = {}
    for username, user in users.items():
        pools[username] = [case for case in cases if explain_access(user, CASE, str(case.pk))][:12]
    return pools


def _ordinary_weeks(trail: _Trail, users: dict[str, Any], pools: dict[str, list[Case]], today: date, rng) -> None:
    quiet = {"mashmanager.solihull"}  # the dormant account: nothing in these four weeks
    for offset in range(DAYS, 0, -1):
        day = today - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for username, user in users.items():
            pool = pools.get(username) or []
            if username in quiet or not pool:
                continue
            start = rng.randint(7 * 60 + 30, 9 * 60 + 30)
            trail.add(user, AccessAction.LOGIN, _moment(day, start // 60, start % 60), method="POST")
            trail.add(
                user,
                AccessAction.LIST,
                _moment(day, start // 60, start % 60 + 1 if start % 60 < 59 else 59),
                object_type=CASE,
                result_count=len(pool),
                shown=pool,
            )
            for _ in range(rng.randint(5, 14)):
                minute = rng.randint(start + 5, 17 * 60 + 30)
                trail.add(user, AccessAction.VIEW, _moment(day, minute // 60, minute % 60), obj=rng.choice(pool))
            if rng.random() < 0.3:
                trail.add(
                    user,
                    AccessAction.SEARCH,
                    _moment(day, 14, rng.randint(0, 59)),
                    object_type=CASE,
                    query=pool[0].surname[:3],
                    result_count=1,
                    shown=pool[:1],
                )
            trail.add(user, AccessAction.LOGOUT, _moment(day, 17, rng.randint(31, 59)))


def _plant(trail: _Trail, users: dict[str, Any], pools, cases: dict[str, Case], today: date) -> Planted:
    """One pattern per rule, in the last week and a half."""
    from analytics.models import Nominal

    planted = Planted()
    ago = lambda n: today - timedelta(days=n)  # noqa: E731

    def weekday(n: int) -> date:
        day = ago(n)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day

    coventry, officer, analyst = users["mash.coventry"], users["officer.birmingham"], users["analyst"]
    # Out of hours: late at night, on the Coventry MASH's own cases.
    late = weekday(5)
    for minute in (12, 31, 47):
        trail.add(coventry, AccessAction.VIEW, _moment(late, 23, minute), obj=pools["mash.coventry"][0])
    planted.notes.append(f"out of hours: mash.coventry at 23:12-23:47 on {late}")
    # Volume spike: the Birmingham hub officer opens 120 records in a morning.
    busy = weekday(3)
    for n in range(120):
        trail.add(
            officer,
            AccessAction.VIEW,
            _moment(busy, 9 + n // 60, n % 60),
            obj=pools["officer.birmingham"][n % len(pools["officer.birmingham"])],
        )
    planted.notes.append(f"volume spike: officer.birmingham, 120 views on {busy}")
    # Repeated views with no relationship: the analyst and a child no run of hers found.
    for n in (4, 3, 2):
        trail.add(analyst, AccessAction.VIEW, _moment(weekday(n), 11, 5), obj=cases["repeated"])
    planted.notes.append("repeated views: analyst opened Tyler Quinn three times in three days")
    # Personal connection: the analyst looks up someone with her surname at her postcode; the
    # intelligence supervisor looks up a colleague on the Solihull panel.
    trail.add(analyst, AccessAction.VIEW, _moment(weekday(6), 12, 40), obj=cases["family"])
    trail.add(users["supervisor"], AccessAction.VIEW, _moment(weekday(4), 14, 10), obj=cases["colleague"])
    planted.notes.append("personal connection: analyst (family), supervisor (a colleague)")
    # Marked subject: a high-profile child, opened by the health partner and the MASH.
    trail.add(users["partner.health"], AccessAction.VIEW, _moment(weekday(2), 10, 20), obj=cases["marked"])
    trail.add(users["mash.birmingham"], AccessAction.VIEW, _moment(weekday(2), 15, 0), obj=cases["marked"])
    planted.notes.append("marked subject: Mia Sterling opened by partner.health and mash.birmingham")
    # After an agency change: the Coventry panel member moved from Solihull five days ago.
    moved = users["panel.coventry"]
    changed = weekday(5)
    trail.add(
        users["admin"],
        AccessAction.ADMIN,
        _moment(changed, 9, 0),
        obj=moved,
        reason="agency changed",
        detail={"field": "agency", "old": "solihull", "new": "coventry"},
    )
    trail.add(moved, AccessAction.VIEW, _moment(changed, 14, 0), obj=pools["panel.coventry"][0])
    # Dormant: the Solihull MASH manager's account, unused for months, signs in.
    sleeper = users["mashmanager.solihull"]
    get_user_model().objects.filter(pk=sleeper.pk).update(date_joined=timezone.now() - timedelta(days=150))
    trail.add(sleeper, AccessAction.LOGIN, _moment(weekday(1), 8, 55), method="POST")
    planted.notes.append("after account change: panel.coventry (agency), mashmanager.solihull (dormant 150 days)")
    # Failed sign-ins: someone tries the Solihull MASH's password seven times, and is locked out.
    tries = weekday(2)
    for n in range(7):
        trail.add(
            None,
            AccessAction.LOGIN_FAILED,
            _moment(tries, 6, 40 + n),
            username="mash.solihull",
            address="203.0.113.9",
            method="POST",
        )
    trail.add(
        None,
        AccessAction.LOCKED_OUT,
        _moment(tries, 6, 47),
        username="mash.solihull",
        address="203.0.113.9",
        reason="too many failed sign-ins",
    )
    planted.notes.append("failed sign-ins: mash.solihull, seven from 203.0.113.9, locked out")
    # Bulk: the analyst exports 240 nominals.
    nominals = list(Nominal.objects.order_by("pk")[:240])
    trail.add(
        analyst,
        AccessAction.EXPORT,
        _moment(weekday(8), 16, 30),
        object_type=NOMINAL,
        result_count=len(nominals),
        shown=nominals,
        reason="problem profile",
    )
    planted.notes.append(f"bulk: analyst exported {len(nominals)} nominals")
    # Refused: the Coventry MASH tries a Birmingham child's case.
    birmingham = pools["mash.birmingham"][0]
    trail.add(
        coventry,
        AccessAction.REFUSED,
        _moment(weekday(1), 13, 15),
        object_type=CASE,
        object_id=str(birmingham.pk),
        reason="not found or not shared",
    )
    planted.notes.append("refused: mash.coventry on a Birmingham case")
    return planted


def _marker(users: dict[str, Any], case: Case, since: datetime) -> None:
    if SubjectMarker.objects.filter(subject_type=CASE, subject_id=str(case.pk), removed_at__isnull=True).exists():
        return
    marker = subject_marker_set(
        actor=users["supervisor"],
        subject_type=CASE,
        subject_id=str(case.pk),
        kind="high_profile",
        reason="A child of a public figure (demo)",
    )
    SubjectMarker.objects.filter(pk=marker.pk).update(set_at=since)  # the history is weeks old


def audit_demo_seed(*, today: date | None = None, seed: int = 2026) -> tuple[int, list[str], list[Alert]]:
    """Seed the auditor's demo (see the module docstring). Returns (events written, what was
    planted, alerts raised); (0, [], alerts) when the history is already there."""
    users = {user.username: user for user in get_user_model().objects.select_related("agency")}
    missing = {
        "analyst",
        "supervisor",
        "mash.birmingham",
        "mash.coventry",
        "officer.birmingham",
        "panel.solihull",
    } - set(users)
    if missing:
        raise RuntimeError(f"Run create_demo_users and load_demo_data first (missing {sorted(missing)}).")
    if AccessEvent.objects.filter(**{f"detail__{SEED}": True}).exists():
        return 0, [], evaluate_rules()
    today = today or timezone.localdate()
    rng = random.Random(seed)
    with transaction.atomic():
        _vetting(users)
        cases = _planted_cases(users)
        pools = _pools(users, cases)
        for needed in ("mash.coventry", "officer.birmingham", "panel.coventry", "mash.birmingham"):
            if not pools.get(needed):
                raise RuntimeError(f"{needed} has no cases to work on: run load_demo_data first.")
        _marker(users, cases["marked"], _moment(today - timedelta(days=DAYS + 1), 9, 0))
        trail = _Trail()
        _ordinary_weeks(trail, users, pools, today, rng)
        planted = _plant(trail, users, pools, cases, today)
        written = trail.write()
    return written, planted.notes, evaluate_rules()
