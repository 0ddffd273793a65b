"""The auditor's reads of the trail: combined search with keyset pagination, a subject's timeline
("who has seen this child"), and a user's activity against their peers.

Every query walks one of AccessEvent's (…, at, id) indexes newest (or oldest) first and stops
after one page: no OFFSET, no count of the whole table, so a search stays fast at 10 million
events. A cursor is the (at, id) of the last row shown, signed so that a forged one is refused.
"""

from __future__ import annotations

import ipaddress
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import AccessAction, AccessEvent, AccessEventSubject
from .relationships import CASE, NOMINAL, PERSON_TYPES

PAGE_SIZE = 100
REFUSED_ACTIONS = (AccessAction.REFUSED, AccessAction.LOGIN_FAILED, AccessAction.LOCKED_OUT)
SORTS = {"newest": ("-at", "-id"), "oldest": ("at", "id")}
# A name search for a subject stops at this many people: a surname shared by more is too broad
# to be "one subject" and the auditor is asked to narrow it.
MAX_SUBJECT_MATCHES = 50
_CURSOR_SALT = "audit.search.cursor"


@dataclass(frozen=True)
class TrailFilters:
    """What the auditor combined; every field optional."""

    user: str = ""
    agency: str = ""
    subject: str = ""
    action: str = ""
    object_type: str = ""
    outcome: str = ""  # "allowed" or "refused"
    address: str = ""
    since: datetime | None = None
    until: datetime | None = None
    sort: str = "newest"

    def validate(self) -> None:
        errors = {}
        if self.action and self.action not in AccessAction.values:
            errors["action"] = f"Unknown action {self.action!r}."
        if self.outcome and self.outcome not in ("allowed", "refused"):
            errors["outcome"] = "Outcome is allowed or refused."
        if self.address:
            try:
                ipaddress.ip_address(self.address)
            except ValueError:
                errors["address"] = f"{self.address!r} is not an IP address (for example 10.0.0.7)."
        if self.since and self.until and self.since > self.until:
            errors["until"] = "The end of the time range is before its start."
        if self.sort not in SORTS:
            errors["sort"] = "Sort by newest or oldest."
        if errors:
            raise ValidationError(errors)

    def as_query(self) -> str:
        """The filters as they go in the trail (the auditor's own search is recorded)."""
        parts = [
            f"{name}={value.isoformat() if isinstance(value, datetime) else value}"
            for name, value in self.__dict__.items()
            if value and not (name == "sort" and value == "newest")
        ]
        return "&".join(parts)


@dataclass
class Page:
    events: list[AccessEvent]
    next_cursor: str = ""
    subjects: list[tuple[str, str]] = field(default_factory=list)  # the keys a subject matched


def cursor_encode(event: AccessEvent) -> str:
    return signing.dumps([event.at.isoformat(), event.pk], salt=_CURSOR_SALT, compress=True)


def cursor_decode(cursor: str) -> tuple[datetime, int]:
    try:
        at_text, pk = signing.loads(cursor, salt=_CURSOR_SALT)
        at = parse_datetime(at_text)
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise ValidationError({"cursor": "This page link is no longer valid: start the search again."}) from error
    if at is None or not isinstance(pk, int):
        raise ValidationError({"cursor": "This page link is no longer valid: start the search again."})
    return at, pk


def _after(events: QuerySet[AccessEvent], cursor: str, sort: str) -> QuerySet[AccessEvent]:
    at, pk = cursor_decode(cursor)
    if sort == "oldest":
        return events.filter(at__gte=at).filter(Q(at__gt=at) | Q(id__gt=pk))
    return events.filter(at__lte=at).filter(Q(at__lt=at) | Q(id__lt=pk))


def subject_keys_matching(text: str) -> list[tuple[str, str]]:
    """The trail's keys of the people `text` names: a case reference, a nominal id, or a name
    ("forenames surname", or one of them). A person is named by their nominal id and by each of
    their cases, so every way they were seen is found."""
    from analytics.models import Nominal
    from safeguarding.models import Case

    text = " ".join(text.split())
    if not text:
        return []
    cases = Case.objects.filter(reference__iexact=text)
    nominals = Nominal.objects.filter(nominal_id__iexact=text)
    if not cases.exists() and not nominals.exists():
        words = text.split(" ")
        name = Q()
        for word in words:
            name &= Q(surname__iexact=word) | Q(forenames__icontains=word)
        if len(words) == 1:
            name = Q(surname__iexact=text) | Q(forenames__iexact=text)
        cases = Case.objects.filter(name)
        nominals = Nominal.objects.filter(name)
    nominal_ids = set(nominals.values_list("nominal_id", flat=True)[: MAX_SUBJECT_MATCHES + 1])
    nominal_ids |= {n for n in cases.values_list("nominal_id", flat=True)[: MAX_SUBJECT_MATCHES + 1] if n}
    case_ids = set(cases.values_list("pk", flat=True)[: MAX_SUBJECT_MATCHES + 1])
    case_ids |= set(Case.objects.filter(nominal_id__in=nominal_ids).values_list("pk", flat=True))
    if len(nominal_ids) + len(case_ids) > 2 * MAX_SUBJECT_MATCHES:
        raise ValidationError({"subject": f"{text!r} names too many people: add a forename or use a reference."})
    return sorted([(NOMINAL, n) for n in nominal_ids] + [(CASE, str(pk)) for pk in case_ids])


def keys_of_subject(subject_type: str, subject_id: str) -> list[tuple[str, str]]:
    """Every key of the person one trail entry names (a case -> the case and its nominal's other
    keys; a nominal -> it and its cases)."""
    from safeguarding.models import Case

    if subject_type not in PERSON_TYPES:
        return [(subject_type, subject_id)]
    if subject_type == CASE:
        nominal = Case.objects.filter(pk=int(subject_id)).values_list("nominal_id", flat=True).first() if (
            subject_id.isdigit()
        ) else None
        if not nominal:
            return [(CASE, subject_id)]
        subject_type, subject_id = NOMINAL, nominal
    if subject_type != NOMINAL:
        subject_id = subject_id.split("/", 1)[-1]
    cases = Case.objects.filter(nominal_id=subject_id).values_list("pk", flat=True)
    return [(NOMINAL, subject_id), *[(CASE, str(pk)) for pk in cases]]


def _naming(keys: list[tuple[str, str]]) -> Q:
    """Events that showed any of `keys`: through the subjects table (views, lists, exports)."""
    by_type: dict[str, list[str]] = {}
    for kind, key in keys:
        by_type.setdefault(kind, []).append(key)
    shown = Q()
    for kind, ids in by_type.items():
        shown |= Q(subject_type=kind, subject_id__in=ids)
    return Q(id__in=AccessEventSubject.objects.filter(shown).values("event_id"))


def search_queryset(filters: TrailFilters, *, cursor: str = "") -> tuple[QuerySet[AccessEvent], list[tuple[str, str]]]:
    """The ordered query behind one search (unsliced), and the subject keys it matched."""
    filters.validate()
    events = AccessEvent.objects.all()
    keys: list[tuple[str, str]] = []
    if filters.user:
        # Through the indexed actor id when the name is a portal user's; a name nobody holds
        # (a failed sign-in's) by the text recorded.
        from django.contrib.auth import get_user_model

        user_id = get_user_model().objects.filter(username__iexact=filters.user).values_list("pk", flat=True).first()
        events = events.filter(actor_id=user_id) if user_id else events.filter(actor_username=filters.user)
    if filters.agency:
        from portal.accounts.models import Agency

        agency = Agency.objects.filter(Q(name__iexact=filters.agency) | Q(code__iexact=filters.agency)).first()
        events = events.filter(actor_agency=agency.name if agency else filters.agency)
    if filters.subject:
        keys = subject_keys_matching(filters.subject)
        events = events.filter(_naming(keys)) if keys else events.none()
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.outcome == "refused":
        events = events.filter(action__in=REFUSED_ACTIONS)
    elif filters.outcome == "allowed":
        events = events.exclude(action__in=REFUSED_ACTIONS)
    if filters.address:
        events = events.filter(ip_address=filters.address)
    if filters.since:
        events = events.filter(at__gte=filters.since)
    if filters.until:
        events = events.filter(at__lte=filters.until)
    if cursor:
        events = _after(events, cursor, filters.sort)
    return events.order_by(*SORTS[filters.sort]), keys


def search_events(filters: TrailFilters, *, cursor: str = "", limit: int = PAGE_SIZE) -> Page:
    """One page of the trail matching every filter, in the chosen order."""
    events, keys = search_queryset(filters, cursor=cursor)
    rows = list(events[: limit + 1])
    page = Page(events=rows[:limit], subjects=keys)
    if len(rows) > limit:
        page.next_cursor = cursor_encode(rows[limit - 1])
    return page


def subject_timeline(subject_type: str, subject_id: str, *, cursor: str = "", limit: int = PAGE_SIZE) -> Page:
    """Every event that showed this person, oldest first: views, lists and searches that returned
    them, exports that contained them, shares, changes, and refused attempts on their records,
    with who and why.

    Two index walks merged (the subjects table; refusals, which name the record but showed
    nothing, by object), each stopping after one page."""
    keys = keys_of_subject(subject_type, subject_id)
    by_object = Q()
    for kind, key in keys:
        by_object |= Q(object_type=kind, object_id=key)
    walks = [AccessEvent.objects.filter(_naming(keys)), AccessEvent.objects.filter(by_object, action__in=REFUSED_ACTIONS)]
    merged: dict[int, AccessEvent] = {}
    for events in walks:
        if cursor:
            events = _after(events, cursor, "oldest")
        merged.update((event.pk, event) for event in events.order_by("at", "id")[: limit + 1])
    rows = sorted(merged.values(), key=lambda event: (event.at, event.pk))[: limit + 1]
    page = Page(events=rows[:limit], subjects=keys)
    if len(rows) > limit:
        page.next_cursor = cursor_encode(rows[limit - 1])
    return page


@dataclass
class Activity:
    """One user's activity over a period, beside their peers' (same role and agency)."""

    start: date
    end: date
    by_action: list[tuple[str, int]]
    by_day: list[tuple[date, int, float]]  # (day, the user's events, the peers' median that day)
    addresses: list[tuple[str, int]]
    refused: int
    total: int
    peer_count: int
    peer_median_total: float
    subjects_seen: int


def user_activity(user, *, start: date, end: date) -> Activity:
    """What `user` did between `start` and `end` (inclusive), compared with their peers."""
    if start > end:
        raise ValidationError({"end": "The end of the period is before its start."})
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, datetime.min.time(), tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    window = Q(at__gte=since, at__lt=until)
    mine = AccessEvent.objects.filter(window, actor=user)
    by_action = sorted(Counter(dict(mine.values_list("action").annotate(n=Count("id")))).items(), key=lambda r: -r[1])
    daily_mine = dict(mine.annotate(day=TruncDate("at", tzinfo=tz)).values_list("day").annotate(n=Count("id")))
    peers = type(user).objects.filter(role=user.role, agency_id=user.agency_id).exclude(pk=user.pk)
    peer_ids = list(peers.values_list("pk", flat=True))
    daily_peers: dict[date, dict[int, int]] = {}
    for day, actor_id, n in (
        AccessEvent.objects.filter(window, actor_id__in=peer_ids)
        .annotate(day=TruncDate("at", tzinfo=tz))
        .values_list("day", "actor_id")
        .annotate(n=Count("id"))
    ):
        daily_peers.setdefault(day, {})[actor_id] = n
    by_day = []
    day = start
    while day <= end:
        counts = [daily_peers.get(day, {}).get(pk, 0) for pk in peer_ids]
        by_day.append((day, daily_mine.get(day, 0), float(statistics.median(counts)) if counts else 0.0))
        day += timedelta(days=1)
    peer_totals = dict(
        AccessEvent.objects.filter(window, actor_id__in=peer_ids).values_list("actor_id").annotate(n=Count("id"))
    )
    addresses = list(
        mine.exclude(ip_address=None).values_list("ip_address").annotate(n=Count("id")).order_by("-n")[:20]
    )
    return Activity(
        start=start,
        end=end,
        by_action=by_action,
        by_day=by_day,
        addresses=addresses,
        refused=mine.filter(action__in=REFUSED_ACTIONS).count(),
        total=sum(n for _, n in by_action),
        peer_count=len(peer_ids),
        peer_median_total=float(statistics.median([peer_totals.get(pk, 0) for pk in peer_ids])) if peer_ids else 0.0,
        subjects_seen=AccessEventSubject.objects.filter(event__in=mine, subject_type__in=PERSON_TYPES)
        .values("subject_type", "subject_id")
        .distinct()
        .count(),
    )
