"""Misuse rules: patterns in the access trail that an auditor should look at.

Each rule is a function `(params, window) -> list[Finding]` that looks only at the access events
it has not seen yet (id in `window`: after the rule's `evaluated_through`, up to the newest event
when evaluation started) plus indexed lookups around them (a user's earlier days, a person's
earlier views, the sign-in failures just before). `evaluate_rules()` runs every enabled rule over
the same window, raises one alert per finding and moves each rule's cursor on.

A finding has a key (the rule's grouping: one per user per day, one per user and person, one per
event...). Evaluating again never raises a second alert for the same key: new events behind an
existing finding are added to its alert instead.

Subject rules (repeated views, personal connection) dismiss an access that a workflow
relationship explains (`explain_access`) and name, in the alert, the explanations that were
looked for and not found. Marked subjects always alert, and say which explanation was found.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from portal.accounts.roles import AUDIT_ROLES, POLICE_DATA_ROLES

from .models import (
    AccessAction,
    AccessEvent,
    AccessEventSubject,
    Alert,
    AlertKind,
    MisuseRule,
    MisuseRuleCode,
    SubjectMarker,
)
from .relationships import CASE, LOOKED_FOR, NOMINAL, PERSON_TYPES, explain_access
from .services import alert_raise

R = MisuseRuleCode
USER = "accounts.user"
LONDON = ZoneInfo("Europe/London")

# What a person does with data (sign-ins, sign-outs and refusals are not "access").
DATA_ACTIONS = frozenset(
    {
        AccessAction.VIEW,
        AccessAction.LIST,
        AccessAction.SEARCH,
        AccessAction.EXPORT,
        AccessAction.CREATE,
        AccessAction.UPDATE,
        AccessAction.TRANSITION,
        AccessAction.SHARE,
        AccessAction.CONSENT,
        AccessAction.IMPORT,
    }
)


@dataclass(frozen=True)
class Param:
    """One threshold an auditor may set: its type, bounds and what it means."""

    kind: type  # int or bool
    label: str
    minimum: int = 0
    maximum: int = 1_000_000


# The rules' settings with their defaults. Each default is documented beside it.
PARAMS: dict[str, dict[str, Param]] = {
    R.OUT_OF_HOURS: {
        "start_hour": Param(int, "Working day starts (hour, UK time)", 0, 23),  # 07:00
        "end_hour": Param(int, "Working day ends (hour, UK time)", 1, 24),  # 19:00
        "weekends_are_working_days": Param(bool, "Saturday and Sunday are working days"),
    },
    R.VOLUME_SPIKE: {
        "factor": Param(int, "Times the user's and peers' median daily count", 2, 100),
        "min_events": Param(int, "At least this many events in the day", 1, 100_000),
        "history_days": Param(int, "Days of history for the medians", 7, 90),
    },
    R.REPEATED_NO_RELATIONSHIP: {
        "views": Param(int, "Views of one person", 2, 1000),
        "days": Param(int, "Within this many days", 1, 90),
    },
    R.PERSONAL_CONNECTION: {
        "surname_and_postcode": Param(bool, "Same surname and home postcode as the user (self or family)"),
        "postcode_only": Param(bool, "Same home postcode alone (neighbours)"),
        "colleague": Param(bool, "A portal user (same name and date of birth)"),
    },
    R.MARKED_SUBJECT: {
        "include_lists": Param(bool, "Also alert when a list or search merely shows the person"),
    },
    R.AFTER_ACCOUNT_CHANGE: {
        "window_days": Param(int, "Days after a role or agency change", 1, 90),
        "dormant_days": Param(int, "Days without activity that make an account dormant", 7, 730),
    },
    R.FAILED_SIGN_INS: {
        "per_username": Param(int, "Failed sign-ins for one username", 2, 1000),
        "per_address": Param(int, "Failed sign-ins from one address", 2, 10_000),
        "window_minutes": Param(int, "Within this many minutes", 1, 1440),
    },
    R.BULK: {
        "export_records": Param(int, "An export of at least this many records", 1, 1_000_000),
        "list_records": Param(int, "A list or search showing at least this many records", 1, 1_000_000),
    },
    R.REFUSED_OTHER_AGENCY: {
        "attempts": Param(int, "Refused attempts in a day before an alert", 1, 1000),
    },
}

DEFAULTS: dict[str, dict[str, Any]] = {
    # Working hours 07:00-19:00, Monday to Friday, UK time.
    R.OUT_OF_HOURS: {"start_hour": 7, "end_hour": 19, "weekends_are_working_days": False},
    # A day's count above 3x the user's own median day over the previous 28 days, above 3x the
    # median day of their peers (same role and agency), and at least 50 events.
    R.VOLUME_SPIKE: {"factor": 3, "min_events": 50, "history_days": 28},
    # Three views of one person within 7 days, no workflow relationship.
    R.REPEATED_NO_RELATIONSHIP: {"views": 3, "days": 7},
    # Self or family (surname and postcode) and colleagues; postcode alone is too common to be
    # on by default (a postcode is about fifteen households).
    R.PERSONAL_CONNECTION: {"surname_and_postcode": True, "postcode_only": False, "colleague": True},
    # Any opening, export or change; a list that merely includes the person does not alert.
    R.MARKED_SUBJECT: {"include_lists": False},
    # Anything done in the 7 days after a change of role or agency; an account idle 60 days.
    R.AFTER_ACCOUNT_CHANGE: {"window_days": 7, "dormant_days": 60},
    # 5 failures within 10 minutes for one username, or 20 from one address; every lock-out.
    R.FAILED_SIGN_INS: {"per_username": 5, "per_address": 20, "window_minutes": 10},
    # An export of 100+ records, a list or search of 500+.
    R.BULK: {"export_records": 100, "list_records": 500},
    # Every refused attempt on a record another agency holds.
    R.REFUSED_OTHER_AGENCY: {"attempts": 1},
}


def params_validate(code: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Clean an auditor's values for one rule's params; ValidationError (per param) if any is bad.

    Missing booleans are False (an unticked box); missing numbers are an error."""
    specs = PARAMS[code]
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, spec in specs.items():
        value = raw.get(name)
        if spec.kind is bool:
            cleaned[name] = value in (True, "true", "on", "1", 1)
            continue
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            errors[name] = f"{spec.label}: enter a whole number."
            continue
        if not spec.minimum <= number <= spec.maximum:
            errors[name] = f"{spec.label}: enter a number from {spec.minimum} to {spec.maximum}."
            continue
        cleaned[name] = number
    if code == R.OUT_OF_HOURS and not errors and cleaned["start_hour"] >= cleaned["end_hour"]:
        errors["end_hour"] = "The working day must end after it starts."
    if errors:
        raise ValidationError(errors)
    return cleaned


def rules() -> dict[str, MisuseRule]:
    """Every rule's row, created from DEFAULTS on first use (no migration needed)."""
    found = {rule.code: rule for rule in MisuseRule.objects.all()}
    for code in R.values:
        if code not in found:
            found[code], _ = MisuseRule.objects.get_or_create(code=code, defaults={"params": dict(DEFAULTS[code])})
    return {code: found[code] for code in R.values}


def rule_params(rule: MisuseRule) -> dict[str, Any]:
    """The rule's params over its defaults (a param added later takes its default)."""
    return {**DEFAULTS[rule.code], **(rule.params or {})}


@dataclass
class Finding:
    key: str
    message: str
    events: list[int]
    actor_id: int | None = None
    subject_type: str = ""
    subject_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Window:
    """The events a pass evaluates: id in (after, through]."""

    after: int
    through: int

    def events(self):
        return AccessEvent.objects.filter(id__gt=self.after, id__lte=self.through)


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, LONDON)


def _day(moment: datetime) -> date:
    return _local(moment).date()


def _users(ids: Iterable[int | None]):
    wanted = {pk for pk in ids if pk is not None}
    return get_user_model().objects.select_related("agency").in_bulk(wanted) if wanted else {}


# --- the rules -------------------------------------------------------------------------------


def out_of_hours(params: dict[str, Any], window: Window) -> list[Finding]:
    """Access outside working hours: one finding per user per (UK) day."""
    start, end = params["start_hour"], params["end_hour"]
    weekends = params["weekends_are_working_days"]
    groups: dict[tuple[int, date], list[tuple[int, datetime]]] = defaultdict(list)
    rows = (
        window.events()
        .filter(actor__isnull=False, action__in=DATA_ACTIONS)
        .exclude(via="task")
        .values_list("id", "actor_id", "at")
        .order_by("id")
    )
    for event_id, actor_id, at in rows.iterator():
        local = _local(at)
        working_day = weekends or local.weekday() < 5
        if working_day and start <= local.hour < end:
            continue
        groups[(actor_id, local.date())].append((event_id, local))
    users = _users(actor for actor, _ in groups)
    findings = []
    for (actor_id, day), events in groups.items():
        times = ", ".join(sorted({f"{local:%H:%M}" for _, local in events})[:5])
        findings.append(
            Finding(
                key=f"{actor_id}:{day.isoformat()}",
                actor_id=actor_id,
                message=f"{users[actor_id]} used the portal outside working hours on {day:%a %d %b %Y} ({times})",
                events=[event_id for event_id, _ in events],
                detail={
                    "day": day.isoformat(),
                    "working_hours": f"{start:02d}:00-{end:02d}:00" + ("" if weekends else ", Monday to Friday"),
                },
            )
        )
    return findings


def _daily_counts(actor_ids: Iterable[int], start: date, end: date) -> dict[tuple[int, date], int]:
    """Data events per (user, UK day) for days in [start, end]: one indexed, grouped query."""
    start_at = datetime.combine(start, datetime.min.time(), LONDON)
    end_at = datetime.combine(end + timedelta(days=1), datetime.min.time(), LONDON)
    rows = (
        AccessEvent.objects.filter(
            actor_id__in=list(actor_ids), at__gte=start_at, at__lt=end_at, action__in=DATA_ACTIONS
        )
        .annotate(day=TruncDate("at", tzinfo=LONDON))
        .values_list("actor_id", "day")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(actor_id, day): n for actor_id, day, n in rows}


def volume_spike(params: dict[str, Any], window: Window) -> list[Finding]:
    """A day's count far above the user's own usual days and their peers' (same role and agency)."""
    factor, minimum, history = params["factor"], params["min_events"], params["history_days"]
    touched = set(
        (actor_id, _day(at))
        for actor_id, at in window.events()
        .filter(actor__isnull=False, action__in=DATA_ACTIONS)
        .values_list("actor_id", "at")
        .iterator()
    )
    if not touched:
        return []
    users = _users(actor for actor, _ in touched)
    peers_of: dict[int, list[int]] = {}
    User = get_user_model()
    for actor_id, user in users.items():
        peers_of[actor_id] = list(
            User.objects.filter(role=user.role, agency_id=user.agency_id, is_active=True)
            .exclude(pk=actor_id)
            .values_list("pk", flat=True)
        )
    findings = []
    for actor_id, day in sorted(touched):
        first = day - timedelta(days=history)
        mine = _daily_counts([actor_id], first, day)
        today = mine.get((actor_id, day), 0)
        if today < minimum:
            continue
        days = [first + timedelta(days=n) for n in range(history)]
        own_median = statistics.median(mine.get((actor_id, d), 0) for d in days)
        peers = peers_of[actor_id]
        peer_counts = _daily_counts(peers, first, day - timedelta(days=1)) if peers else {}
        peer_median = statistics.median([peer_counts.get((p, d), 0) for p in peers for d in days]) if peers else 0
        if not (today > factor * own_median and today > factor * peer_median):
            continue
        start_at = datetime.combine(day, datetime.min.time(), LONDON)
        event_ids = list(
            AccessEvent.objects.filter(
                actor_id=actor_id,
                at__gte=start_at,
                at__lt=start_at + timedelta(days=1),
                action__in=DATA_ACTIONS,
                id__lte=window.through,
            ).values_list("id", flat=True)
        )
        findings.append(
            Finding(
                key=f"{actor_id}:{day.isoformat()}",
                actor_id=actor_id,
                message=(
                    f"{users[actor_id]} made {today} accesses on {day:%a %d %b %Y}: their median day is "
                    f"{own_median:g}, their peers' {peer_median:g}"
                ),
                events=event_ids,
                detail={
                    "day": day.isoformat(),
                    "count": today,
                    "own_median": float(own_median),
                    "peer_median": float(peer_median),
                    "peers": len(peers),
                },
            )
        )
    return findings


def _person_key(subjects: list[tuple[str, str]]) -> tuple[str, str] | None:
    """The person an event is about, as one key: the police nominal when there is one."""
    for kind, key in subjects:
        if kind == NOMINAL:
            return kind, key
    for kind, key in subjects:
        if kind == CASE:
            return kind, key
    return None


def _views_by_person(window: Window, *, auditors: bool = True) -> dict[tuple[int, tuple[str, str]], list[int]]:
    """The window's views of people: (user, person key) -> event ids. The audit pages' own
    records (an alert naming a person) are not views of the person; with `auditors` False, an
    auditor's reading of a person's timeline is left out too (reviewing is their work)."""
    subjects: dict[int, list[tuple[str, str]]] = defaultdict(list)
    actors: dict[int, int] = {}
    views = AccessEventSubject.objects.filter(
        event_id__gt=window.after,
        event_id__lte=window.through,
        event__action=AccessAction.VIEW,
        event__actor__isnull=False,
        subject_type__in=PERSON_TYPES,
    ).exclude(event__object_type__startswith="audit.")
    if not auditors:
        views = views.exclude(event__actor__role__in=AUDIT_ROLES)
    rows = views.values_list("event_id", "event__actor_id", "subject_type", "subject_id")
    for event_id, actor_id, kind, key in rows.iterator():
        subjects[event_id].append((kind, key))
        actors[event_id] = actor_id
    grouped: dict[tuple[int, tuple[str, str]], list[int]] = defaultdict(list)
    for event_id, keys in subjects.items():
        person = _person_key(keys)
        if person is not None:
            grouped[(actors[event_id], person)].append(event_id)
    return grouped


def _not_found(explanation) -> list[str]:
    return explanation.looked_for_text


def repeated_no_relationship(params: dict[str, Any], window: Window) -> list[Finding]:
    """Several views of one person within a few days by a user whose work does not explain them."""
    views, days = params["views"], params["days"]
    findings = []
    grouped = _views_by_person(window, auditors=False)
    users = _users(actor for actor, _ in grouped)
    for (actor_id, (kind, key)), new_ids in grouped.items():
        latest = AccessEvent.objects.filter(id__in=new_ids).aggregate(at=Max("at"))["at"]
        recent = list(
            AccessEventSubject.objects.filter(
                subject_type=kind,
                subject_id=key,
                event__actor_id=actor_id,
                event__action=AccessAction.VIEW,
                event__at__gt=latest - timedelta(days=days),
                event_id__lte=window.through,
            )
            .values_list("event_id", flat=True)
            .distinct()
        )
        if len(recent) < views:
            continue
        user = users[actor_id]
        explanation = explain_access(user, kind, key)
        if explanation:
            continue  # the user's work explains it: dismissed before it becomes an alert
        name = _name_of(kind, key, recent)
        findings.append(
            Finding(
                key=f"{actor_id}:{kind}:{key}",
                actor_id=actor_id,
                subject_type=kind,
                subject_id=key,
                message=f"{user} opened {name} {len(recent)} times within {days} days with no workflow relationship",
                events=sorted(recent),
                detail={"views": len(recent), "looked_for": _not_found(explanation), "explanation_found": ""},
            )
        )
    return findings


def _name_of(kind: str, key: str, event_ids: list[int]) -> str:
    """How the trail named the person (the record's own name as the page showed it)."""
    shown = (
        AccessEvent.objects.filter(id__in=event_ids)
        .exclude(object_repr="")
        .values_list("object_repr", flat=True)
        .first()
    )
    return shown or f"{kind} {key}"


@dataclass(frozen=True)
class Person:
    surname: str
    forenames: str
    date_of_birth: date | None
    postcode: str


def _norm(text: str | None) -> str:
    return "".join((text or "").split()).upper()


def _people(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Person]:
    """Name, date of birth and postcode of each person (a nominal's postcode is its case's)."""
    from analytics.models import Nominal
    from safeguarding.models import Case

    keys = list(keys)
    case_ids = [int(key) for kind, key in keys if kind == CASE and key.isdigit()]
    nominal_ids = [key for kind, key in keys if kind == NOMINAL]
    people: dict[tuple[str, str], Person] = {}
    for case in Case.objects.filter(pk__in=case_ids).only("surname", "forenames", "date_of_birth", "home_postcode"):
        people[(CASE, str(case.pk))] = Person(case.surname, case.forenames, case.date_of_birth, case.home_postcode)
    postcodes = dict(Case.objects.filter(nominal_id__in=nominal_ids).values_list("nominal_id", "home_postcode"))
    for nominal in Nominal.objects.filter(pk__in=nominal_ids).only("surname", "forenames", "date_of_birth"):
        people[(NOMINAL, nominal.pk)] = Person(
            nominal.surname, nominal.forenames, nominal.date_of_birth, postcodes.get(nominal.pk, "")
        )
    return people


def personal_connection(params: dict[str, Any], window: Window) -> list[Finding]:
    """Looking up oneself, family, a neighbour (surname and postcode) or a colleague (a portal user
    with the person's name and date of birth)."""
    grouped = _views_by_person(window)
    if not grouped:
        return []
    users = _users(actor for actor, _ in grouped)
    people = _people({person for _, person in grouped})
    births = {person.date_of_birth for person in people.values() if person.date_of_birth}
    colleagues: dict[tuple[str, date | None], list] = defaultdict(list)
    for colleague in get_user_model().objects.filter(date_of_birth__in=births):
        colleagues[(_norm(colleague.last_name), colleague.date_of_birth)].append(colleague)
    findings = []
    for (actor_id, person_key), event_ids in grouped.items():
        person = people.get(person_key)
        if person is None:
            continue
        user = users[actor_id]
        same_surname = bool(_norm(user.last_name)) and _norm(user.last_name) == _norm(person.surname)
        same_postcode = bool(_norm(user.home_postcode)) and _norm(user.home_postcode) == _norm(person.postcode)
        connections = []
        if params["surname_and_postcode"] and same_surname and same_postcode:
            connections.append(("family", "shares the user's surname and home postcode (self or family)"))
        elif params["postcode_only"] and same_postcode:
            connections.append(("neighbour", "shares the user's home postcode (a neighbour)"))
        if params["colleague"] and person.date_of_birth:
            first = _norm(person.forenames.split(" ")[0] if person.forenames else "")
            for colleague in colleagues.get((_norm(person.surname), person.date_of_birth), []):
                if _norm(colleague.first_name) == first or not first:
                    connections.append(
                        ("colleague", f"matches portal user {colleague.get_username()} by name and date of birth")
                    )
                    break
        if not connections:
            continue
        kind, key = person_key
        explanation = explain_access(user, kind, key)
        if explanation:
            continue
        for connection, why in connections:
            findings.append(
                Finding(
                    key=f"{actor_id}:{kind}:{key}:{connection}",
                    actor_id=actor_id,
                    subject_type=kind,
                    subject_id=key,
                    message=f"{user} opened {_name_of(kind, key, event_ids)}, who {why}",
                    events=sorted(event_ids),
                    detail={"connection": connection, "looked_for": _not_found(explanation), "explanation_found": ""},
                )
            )
    return findings


def _marker_keys(markers: list[SubjectMarker]) -> dict[tuple[str, str], SubjectMarker]:
    """Each marker under every name the trail may use for its person (a case and its nominal)."""
    from safeguarding.models import Case

    keys: dict[tuple[str, str], SubjectMarker] = {}
    case_ids = [int(m.subject_id) for m in markers if m.subject_type == CASE and m.subject_id.isdigit()]
    nominal_ids = [m.subject_id for m in markers if m.subject_type == NOMINAL]
    nominal_of_case = dict(Case.objects.filter(pk__in=case_ids, nominal__isnull=False).values_list("pk", "nominal_id"))
    cases_of_nominal = Case.objects.filter(nominal_id__in=nominal_ids).values_list("nominal_id", "pk")
    for marker in markers:
        keys[(marker.subject_type, marker.subject_id)] = marker
        if marker.subject_type == CASE and marker.subject_id.isdigit():
            nominal = nominal_of_case.get(int(marker.subject_id))
            if nominal:
                keys.setdefault((NOMINAL, nominal), marker)
    for nominal_id, case_id in cases_of_nominal:
        on_nominal = keys.get((NOMINAL, nominal_id))
        if on_nominal is not None:
            keys.setdefault((CASE, str(case_id)), on_nominal)
    return keys


def marked_subject(params: dict[str, Any], window: Window) -> list[Finding]:
    """Any access to a person a supervisor marked high-profile or sensitive: one finding per user,
    person and day. The workflow explanation, if any, is named but does not dismiss it."""
    markers = list(SubjectMarker.objects.filter(removed_at__isnull=True))
    # Markers removed during the window still cover the accesses made before their removal.
    markers += list(SubjectMarker.objects.filter(removed_at__isnull=False, removed_at__gt=_window_start(window)))
    if not markers:
        return []
    by_key = _marker_keys(markers)
    actions = set(DATA_ACTIONS) - ({AccessAction.LIST, AccessAction.SEARCH} if not params["include_lists"] else set())
    match = Q()
    for kind, key in by_key:
        match |= Q(subject_type=kind, subject_id=key)
    rows = (
        AccessEventSubject.objects.filter(match, event_id__gt=window.after, event_id__lte=window.through)
        .filter(event__actor__isnull=False, event__action__in=actions)
        # Setting the marker, and the auditors reviewing what it raised, are not accesses to the person.
        .exclude(event__object_type__startswith="audit.")
        .exclude(event__actor__role__in=AUDIT_ROLES)
        .values_list("event_id", "event__actor_id", "event__at", "subject_type", "subject_id")
    )
    grouped: dict[tuple[int, int, date], set[int]] = defaultdict(set)
    for event_id, actor_id, at, kind, key in rows.iterator():
        marker = by_key[(kind, key)]
        if at < marker.set_at or (marker.removed_at is not None and at >= marker.removed_at):
            continue
        grouped[(actor_id, marker.pk, _day(at))].add(event_id)
    users = _users(actor for actor, _, _ in grouped)
    marker_by_pk = {m.pk: m for m in markers}
    findings = []
    for (actor_id, marker_pk, day), event_ids in grouped.items():
        marker, user = marker_by_pk[marker_pk], users[actor_id]
        explanation = explain_access(user, marker.subject_type, marker.subject_id)
        name = _name_of(marker.subject_type, marker.subject_id, sorted(event_ids))
        found = LOOKED_FOR.get(explanation.found, "")
        findings.append(
            Finding(
                key=f"{actor_id}:{marker.pk}:{day.isoformat()}",
                actor_id=actor_id,
                subject_type=marker.subject_type,
                subject_id=marker.subject_id,
                message=(
                    f"{user} accessed {name}, marked {marker.get_kind_display().lower()}, on {day:%d %b %Y}"
                    + (f" (explained: {found})" if found else " (no workflow relationship)")
                ),
                events=sorted(event_ids),
                detail={
                    "marker": marker.pk,
                    "marker_kind": marker.kind,
                    "explanation_found": found,
                    "looked_for": explanation.looked_for_text,
                },
            )
        )
    return findings


def _window_start(window: Window) -> datetime:
    first = (
        AccessEvent.objects.filter(id__gt=window.after, id__lte=window.through)
        .order_by("id")
        .values_list("at", flat=True)
        .first()
    )
    return first or timezone.now()


def after_account_change(params: dict[str, Any], window: Window) -> list[Finding]:
    """Anything done in the days after an administrator changed the user's role or agency, and the
    first access by an account idle for `dormant_days`."""
    window_days, dormant_days = params["window_days"], params["dormant_days"]
    by_actor: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    for event_id, actor_id, at in (
        window.events()
        .filter(actor__isnull=False)
        .exclude(action__in=[AccessAction.LOGIN_FAILED, AccessAction.LOCKED_OUT, AccessAction.LOGOUT])
        .values_list("id", "actor_id", "at")
        .order_by("id")
        .iterator()
    ):
        by_actor[actor_id].append((event_id, at))
    if not by_actor:
        return []
    users = _users(by_actor)
    earliest = min(at for events in by_actor.values() for _, at in events)
    changes: dict[int, list[AccessEvent]] = defaultdict(list)
    for change in AccessEvent.objects.filter(
        action=AccessAction.ADMIN,
        object_type=USER,
        object_id__in=[str(pk) for pk in by_actor],
        at__gte=earliest - timedelta(days=window_days),
        id__lte=window.through,
    ).order_by("at", "id"):
        if change.detail.get("field") in ("role", "agency"):
            changes[int(change.object_id)].append(change)
    findings = []
    for actor_id, events in by_actor.items():
        user = users[actor_id]
        for change in changes.get(actor_id, []):
            after = [eid for eid, at in events if change.at < at <= change.at + timedelta(days=window_days)]
            if after:
                detail = change.detail
                findings.append(
                    Finding(
                        key=f"{actor_id}:change:{change.pk}",
                        actor_id=actor_id,
                        message=(
                            f"{user} used the portal within {window_days} days of their {detail['field']} changing "
                            f"from {detail.get('old')!r} to {detail.get('new')!r} ({change.at:%d %b %Y})"
                        ),
                        events=[change.pk, *after],
                        detail={
                            "change_event": change.pk,
                            "field": detail["field"],
                            "old": detail.get("old"),
                            "new": detail.get("new"),
                        },
                    )
                )
        # Dormant: a gap of dormant_days before one of the window's events (the one before the
        # window is one indexed lookup; account creation counts as activity).
        first_id, first_at = events[0]
        previous = (
            AccessEvent.objects.filter(actor_id=actor_id, id__lt=first_id)
            .exclude(action__in=[AccessAction.LOGIN_FAILED, AccessAction.LOCKED_OUT])
            .order_by("-at", "-id")
            .values_list("at", flat=True)
            .first()
        )
        last_seen = max(filter(None, [previous, user.date_joined]))
        for event_id, at in events:
            if at - last_seen > timedelta(days=dormant_days):
                findings.append(
                    Finding(
                        key=f"{actor_id}:dormant:{event_id}",
                        actor_id=actor_id,
                        message=(
                            f"{user}'s account was used on {at:%d %b %Y} after {(at - last_seen).days} days "
                            f"without activity (last {last_seen:%d %b %Y})"
                        ),
                        events=[event_id],
                        detail={"last_activity": last_seen.isoformat(), "idle_days": (at - last_seen).days},
                    )
                )
            last_seen = max(last_seen, at)
    return findings


def failed_sign_ins(params: dict[str, Any], window: Window) -> list[Finding]:
    """A burst of failed sign-ins for one username or from one address (one finding per username
    or address per day), and every lock-out."""
    span = timedelta(minutes=params["window_minutes"])
    new = list(
        window.events()
        .filter(action__in=[AccessAction.LOGIN_FAILED, AccessAction.LOCKED_OUT])
        .values_list("id", "action", "actor_username", "ip_address", "at")
    )
    if not new:
        return []
    User = get_user_model()
    names = {name for _, _, name, _, _ in new if name}
    known = dict(User.objects.filter(username__in=names).values_list("username", "pk"))
    findings = []
    for event_id, action, username, address, at in new:
        if action == AccessAction.LOCKED_OUT:
            findings.append(
                Finding(
                    key=f"locked:{username}:{_day(at).isoformat()}",
                    actor_id=known.get(username),
                    message=f"The account {username or '(no username)'} was locked out after repeated failed sign-ins",
                    events=[event_id],
                    detail={"username": username, "address": address or "", "kind": "locked_out"},
                )
            )
    failures = [row for row in new if row[1] == AccessAction.LOGIN_FAILED]
    if not failures:
        return findings
    earliest = min(row[4] for row in failures)
    # The failures just before the window complete a burst that straddles two passes.
    around = list(
        AccessEvent.objects.filter(action=AccessAction.LOGIN_FAILED, at__gte=earliest - span, id__lte=window.through)
        .values_list("id", "actor_username", "ip_address", "at")
        .order_by("at", "id")
    )
    new_ids = {row[0] for row in failures}
    for label, index, threshold in (("username", 1, params["per_username"]), ("address", 2, params["per_address"])):
        series: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
        for row in around:
            if row[index]:
                series[str(row[index])].append((row[0], row[3]))
        for who, attempts in series.items():
            burst: set[int] = set()
            start = 0
            for end in range(len(attempts)):
                while attempts[end][1] - attempts[start][1] > span:
                    start += 1
                if end - start + 1 >= threshold:
                    burst.update(eid for eid, _ in attempts[start : end + 1])
            if not burst & new_ids:
                continue
            by_day: dict[date, list[int]] = defaultdict(list)
            when = dict(attempts)
            for eid in sorted(burst):
                by_day[_day(when[eid])].append(eid)
            for day, ids in by_day.items():
                findings.append(
                    Finding(
                        key=f"{label}:{who}:{day.isoformat()}",
                        actor_id=known.get(who) if label == "username" else None,
                        message=f"{len(ids)} failed sign-ins for {label} {who} within {params['window_minutes']} minutes on {day:%d %b %Y}",
                        events=ids,
                        detail={label: who, "kind": "burst", "threshold": threshold},
                    )
                )
    return findings


def bulk(params: dict[str, Any], window: Window) -> list[Finding]:
    """An export of many records, or a list or search that showed very many: one per event."""
    rows = list(
        window.events()
        .filter(action__in=[AccessAction.EXPORT, AccessAction.LIST, AccessAction.SEARCH])
        .values_list("id", "actor_id", "action", "result_count", "object_type")
    )
    missing = [row[0] for row in rows if row[3] is None]
    shown = (
        dict(
            AccessEventSubject.objects.filter(event_id__in=missing)
            .values_list("event_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        if missing
        else {}
    )
    users = _users(row[1] for row in rows)
    findings = []
    for event_id, actor_id, action, count, object_type in rows:
        count = count if count is not None else shown.get(event_id, 0)
        threshold = params["export_records"] if action == AccessAction.EXPORT else params["list_records"]
        if count < threshold:
            continue
        who = users.get(actor_id) if actor_id else None
        verb = "exported" if action == AccessAction.EXPORT else "listed"
        findings.append(
            Finding(
                key=str(event_id),
                actor_id=actor_id,
                message=f"{who or 'Someone'} {verb} {count} records ({object_type or 'records'})",
                events=[event_id],
                detail={"records": count, "threshold": threshold},
            )
        )
    return findings


def _owners(object_type: str, object_ids: list[str]) -> dict[str, set[int]]:
    """The agencies that hold each record: a case its authority and opening agency; police
    intelligence the force (the agencies of the police intelligence roles)."""
    from safeguarding.models import Case

    if object_type == CASE:
        ids = [int(pk) for pk in object_ids if pk.isdigit()]
        return {
            str(pk): {agency for agency in (authority, opener) if agency}
            for pk, authority, opener in Case.objects.filter(pk__in=ids).values_list(
                "pk", "local_authority_id", "created_by__agency_id"
            )
        }
    if object_type.startswith("analytics."):
        police = set(get_user_model().objects.filter(role__in=POLICE_DATA_ROLES).values_list("agency_id", flat=True))
        return {pk: police for pk in object_ids}
    return {}


def refused_other_agency(params: dict[str, Any], window: Window) -> list[Finding]:
    """Refused attempts on a record another agency holds: one finding per user per day."""
    rows = list(
        window.events()
        .filter(action=AccessAction.REFUSED, actor__isnull=False)
        .exclude(object_id="")
        .values_list("id", "actor_id", "object_type", "object_id", "at")
    )
    by_type: dict[str, list[str]] = defaultdict(list)
    for _, _, kind, key, _ in rows:
        by_type[kind].append(key)
    owners = {kind: _owners(kind, keys) for kind, keys in by_type.items()}
    users = _users(row[1] for row in rows)
    grouped: dict[tuple[int, date], list[int]] = defaultdict(list)
    for event_id, actor_id, kind, key, at in rows:
        holders = owners[kind].get(key)
        if holders and users[actor_id].agency_id not in holders:
            grouped[(actor_id, _day(at))].append(event_id)
    findings = []
    for (actor_id, day), ids in grouped.items():
        earlier = [] if params["attempts"] <= 1 else _earlier_refusals(actor_id, day, ids, window)
        if len(ids) + len(earlier) < params["attempts"]:
            continue
        findings.append(
            Finding(
                key=f"{actor_id}:{day.isoformat()}",
                actor_id=actor_id,
                message=f"{users[actor_id]} was refused {len(ids) + len(earlier)} record(s) of another agency on {day:%d %b %Y}",
                events=sorted(earlier + ids),
                detail={"day": day.isoformat(), "attempts": len(ids) + len(earlier)},
            )
        )
    return findings


def _earlier_refusals(actor_id: int, day: date, ids: list[int], window: Window) -> list[int]:
    start = datetime.combine(day, datetime.min.time(), LONDON)
    return list(
        AccessEvent.objects.filter(actor_id=actor_id, action=AccessAction.REFUSED, at__gte=start, id__lte=window.after)
        .exclude(object_id="")
        .values_list("id", flat=True)
    )


RULES: dict[str, Callable[[dict[str, Any], Window], list[Finding]]] = {
    R.OUT_OF_HOURS: out_of_hours,
    R.VOLUME_SPIKE: volume_spike,
    R.REPEATED_NO_RELATIONSHIP: repeated_no_relationship,
    R.PERSONAL_CONNECTION: personal_connection,
    R.MARKED_SUBJECT: marked_subject,
    R.AFTER_ACCOUNT_CHANGE: after_account_change,
    R.FAILED_SIGN_INS: failed_sign_ins,
    R.BULK: bulk,
    R.REFUSED_OTHER_AGENCY: refused_other_agency,
}


def _raise(code: str, finding: Finding, users: dict) -> Alert | None:
    """Raise the finding's alert, or add its new events to the alert already raised for its key
    (returns None then)."""
    existing = Alert.objects.filter(kind=AlertKind.MISUSE, rule=code, detail__key=finding.key).first()
    if existing is not None:
        existing.events.add(*finding.events)
        return None
    return alert_raise(
        kind=AlertKind.MISUSE,
        rule=code,
        message=finding.message,
        actor=users.get(finding.actor_id) if finding.actor_id else None,
        subject_type=finding.subject_type,
        subject_id=finding.subject_id,
        detail={**finding.detail, "key": finding.key},
        events=AccessEvent.objects.filter(id__in=finding.events),
    )


def evaluate_rules(*, codes: Iterable[str] | None = None) -> list[Alert]:
    """Run every enabled rule (or those named) over the events it has not seen, raise an alert per
    new finding and move the cursors to the newest event. A disabled rule's cursor moves too: what
    happened while it was off is not evaluated when it is switched back on.

    The rule rows are locked for the pass, so two workers never evaluate the same events."""
    rules()  # create any missing rows first
    raised: list[Alert] = []
    with transaction.atomic():
        rows = list(MisuseRule.objects.select_for_update().filter(code__in=list(codes) if codes else R.values))
        through = AccessEvent.objects.aggregate(top=Max("id"))["top"] or 0
        for rule in rows:
            if rule.enabled and rule.evaluated_through < through:
                findings = RULES[rule.code](rule_params(rule), Window(rule.evaluated_through, through))
                users = _users(f.actor_id for f in findings)
                raised += [alert for f in findings if f.events and (alert := _raise(rule.code, f, users)) is not None]
            if rule.evaluated_through != through:
                rule.evaluated_through = through
                rule.save(update_fields=["evaluated_through", "updated_at"])
    return raised


@transaction.atomic
def rule_configure(*, actor, rule: MisuseRule, enabled: bool, params: dict[str, Any], request=None) -> MisuseRule:
    """Switch a rule on or off and set its thresholds (auditors only; `params` is validated again
    here, so a bad value changes nothing). Recorded as CONFIGURE with the settings before and after."""
    from django.core.exceptions import PermissionDenied

    from portal.accounts.roles import AUDIT_ROLES, role_has

    from .services import record_access

    if not role_has(actor, AUDIT_ROLES):
        raise PermissionDenied("Only auditors change the misuse rules.")
    cleaned = params_validate(rule.code, params)
    locked = MisuseRule.objects.select_for_update().get(pk=rule.pk)
    before = {"enabled": locked.enabled, "params": rule_params(locked)}
    after = {"enabled": bool(enabled), "params": cleaned}
    if before == after:
        return locked
    locked.enabled, locked.params, locked.updated_by = bool(enabled), cleaned, actor
    locked.save(update_fields=["enabled", "params", "updated_by", "updated_at"])
    record_access(
        action=AccessAction.CONFIGURE,
        request=request,
        actor=actor,
        obj=locked,
        reason=f"misuse rule changed: {locked.get_code_display()}",
        detail={"before": before, "after": after},
    )
    return locked
