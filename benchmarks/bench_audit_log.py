"""How fast the access trail answers at scale, on PostgreSQL: `verify_audit`'s check of N chained
events (target: 10 million in under a minute), and of each event's subject rows against the digest
chained with it, against plain reads of the same table, and each of
the auditor's searches (target: under 1 s each at 10 million) with its EXPLAIN plan's indexes.

    python -m benchmarks.bench_audit_log [--events 10000000] [--reuse] [DATABASE_URL]

`--reuse` keeps an already seeded database (seeding 10 million takes a while) and measures again.

The database (argument, or BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/portal_bench_audit) is dropped, created and migrated. The
events are seeded with COPY (`seed_events`, reusable by other measurements of the trail), then
chained by the portal's own chaining pass (portal/audit/chain.py `chain_pending`); the
verification timed is the real one (`verify_chain`).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from benchmarks._common import print_table, run_child

T = TypeVar("T")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_audit"

ACTIONS = (
    ["view"] * 60 + ["list"] * 15 + ["search"] * 12 + ["export"] * 2 + ["refused"] * 3 + ["login"] * 5 + ["update"] * 3
)
OBJECT_TYPES = [
    "safeguarding.case",
    "analytics.nominal",
    "analytics.analysisrun",
    "spoc.datarequest",
    "analytics.record",
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "python-requests/2.32",
]


def _fresh_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    run_child([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], database_url=url)


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.demo"
    import django

    django.setup()


def _users(count: int) -> list[tuple[int, str, str]]:
    """`count` practitioners spread over the partnership's agencies: (id, username, agency)."""
    from portal.accounts.models import User
    from portal.accounts.roles import Role
    from portal.accounts.services import agencies_seed

    agencies = list(agencies_seed().values())
    roles = [Role.ANALYST, Role.MASH_PRACTITIONER, Role.POLICE_SAFEGUARDING_OFFICER, Role.PARTNER_PRACTITIONER]
    users = [
        User(
            username=f"bench.user{number}",
            agency=agencies[number % len(agencies)],
            role=roles[number % len(roles)],
            password="!",
        )
        for number in range(count)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    return [
        (user.pk, user.username, str(user.agency))
        for user in User.objects.filter(username__startswith="bench.user").select_related("agency")
    ]


def seed_events(connection, n: int, *, users: int = 400, weeks: int = 12, seed: int = 7) -> tuple[int, int]:
    """Append `n` unchained access events (and the records each showed) to the trail with COPY:
    `users` practitioners of every agency viewing, listing, searching and exporting cases,
    nominals and runs at working-hours times over `weeks` weeks ending now. `connection` is a
    Django database connection to PostgreSQL. Returns (events, subject rows) written."""

    from portal.audit.chain import subjects_digest

    people = _users(users)
    rng = random.Random(seed)

    def shown_by_each(generator: random.Random):
        """The records each event showed (the object opened, or a few rows of a list): drawn
        from their own generator, once for the events' digests and again for the rows."""
        for _ in range(n):
            count = 1 if generator.random() < 0.8 else generator.randrange(2, 6)
            yield [(OBJECT_TYPES[generator.randrange(2)], str(generator.randrange(1, 200_000))) for _ in range(count)]

    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(weeks=weeks)
    span = (end - start).total_seconds()
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM audit_accessevent")
        first_id = cursor.fetchone()[0] + 1
    raw = connection.connection  # psycopg Connection
    subjects = 0
    # Times increase with ids, as the trail writes them.
    step = span / max(n, 1)
    with raw.cursor() as cursor:
        with cursor.copy(
            "COPY audit_accessevent (id, at, actor_id, actor_username, actor_agency, action, object_type, object_id, "
            "object_repr, query, result_count, path, method, via, ip_address, user_agent, reason, purpose, recipients, "
            "detail, subjects_digest, chain_hash) FROM STDIN"
        ) as copy:
            for number, shown in enumerate(shown_by_each(random.Random(seed + 1))):
                user_id, username, agency = people[rng.randrange(len(people))]
                action = ACTIONS[rng.randrange(len(ACTIONS))]
                kind = OBJECT_TYPES[rng.randrange(len(OBJECT_TYPES))]
                object_id = str(rng.randrange(1, 200_000))
                at = start + timedelta(seconds=number * step)
                listing = action in ("list", "search", "export")
                copy.write_row(
                    (
                        first_id + number,
                        at,
                        user_id,
                        username,
                        agency,
                        action,
                        "" if listing else kind,
                        "" if listing else object_id,
                        "" if listing else f"{kind} {object_id}",
                        f"surname:smith{rng.randrange(500)}" if action == "search" else "",
                        rng.randrange(1, 50) if listing else None,
                        f"/{kind.split('.')[0]}/{object_id}/",
                        "GET",
                        "web" if rng.random() < 0.9 else "api",
                        f"10.{rng.randrange(4)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
                        AGENTS[rng.randrange(len(AGENTS))],
                        "",
                        "",
                        "[]",
                        "{}",
                        subjects_digest(shown),
                        "",
                    )
                )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('audit_accessevent', 'id'), (SELECT max(id) FROM audit_accessevent))"
        )
        with cursor.copy("COPY audit_accesseventsubject (event_id, subject_type, subject_id) FROM STDIN") as copy:
            for number, shown in enumerate(shown_by_each(random.Random(seed + 1))):
                for kind, key in shown:
                    copy.write_row((first_id + number, kind, key))
                subjects += len(shown)
    raw.commit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_accessevent")
        cursor.execute("ANALYZE audit_accesseventsubject")
    return n, subjects


def _timed(function: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database_url", nargs="?", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="measure an already seeded database again")
    args = parser.parse_args()
    if not args.reuse:
        _fresh_database(args.database_url)
    _setup(args.database_url)
    from django.db import connection

    from portal.audit.chain import chain_pending, verify_chain, verify_subjects
    from portal.audit.models import AccessEvent, AccessEventSubject

    if args.reuse and AccessEvent.objects.exists():
        seed_seconds = chain_seconds = 0.0
        events, subjects = AccessEvent.objects.count(), AccessEventSubject.objects.count()
    else:
        seed_seconds, (events, subjects) = _timed(lambda: seed_events(connection, args.events))
        with connection.cursor() as cursor:
            # The seed is chained by the real pass, but without the append-only trigger's per-row
            # comparison (the maintenance switch): that check is for the portal's own writes.
            cursor.execute("SET portal.audit_maintenance = 'on'")
        chain_seconds, chained = _timed(lambda: chain_pending(batch_size=200_000))
        with connection.cursor() as cursor:
            cursor.execute("SET portal.audit_maintenance = 'off'")
        assert chained == events, (chained, events)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_accessevent")

    def plain_count() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_accessevent")
            return cursor.fetchone()[0]

    def plain_read() -> int:
        # Every column the verification reads, in chain order, without hashing.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), sum(length(actor_username) + length(object_repr) + length(user_agent) + "
                "length(chain_hash) + length(detail::text)) FROM audit_accessevent"
            )
            return cursor.fetchone()[0]

    plain_count()  # warm the cache on both sides
    rows = []
    count_seconds, counted = _timed(plain_count)
    read_seconds, _ = _timed(plain_read)
    verify_seconds, outcome = _timed(lambda: verify_chain(record_anchor=False))
    assert outcome.intact and outcome.entries == counted == events, outcome.describe()
    subjects_seconds, checked = _timed(verify_subjects)
    assert checked.intact and checked.entries == events, checked.describe()
    for label, seconds in [
        ("SELECT count(*) (baseline)", count_seconds),
        ("plain sequential read of the columns", read_seconds),
        ("verify_audit: the chain", verify_seconds),
        ("verify_audit: each entry's subject rows", subjects_seconds),
        ("verify_audit: both", verify_seconds + subjects_seconds),
    ]:
        rows.append(
            (label, f"{events:,}", f"{seconds:.2f}", f"{events / seconds:,.0f}", f"{seconds / count_seconds:.1f}x")
        )
    print_table(
        f"Audit chain verification, PostgreSQL, {events:,} events ({subjects:,} subject rows); seeded with COPY in "
        f"{seed_seconds:.0f} s, chained by chain_pending in {chain_seconds:.0f} s",
        ("pass", "entries", "seconds", "entries per second", "ratio to count(*)"),
        rows,
    )
    print_table(
        f"The auditor's searches, one page of 100 each, {events:,} events (median of 3, warm)",
        ("search", "ms", "rows", "indexes in the plan"),
        _searches(),
    )


def _searches() -> list[tuple[str, str, str, str]]:
    """Each kind of search the auditor's pages make, timed through the portal's own query code,
    with the indexes its EXPLAIN plan uses (a plan without one would be a full scan)."""
    import re
    import statistics

    from portal.audit.models import AccessEvent
    from portal.audit.search import TrailFilters, search_events, search_queryset, subject_timeline

    sample = AccessEvent.objects.order_by("id")[AccessEvent.objects.count() // 2]
    day = sample.at.replace(hour=0, minute=0, second=0)
    busy = TrailFilters(user=sample.actor_username)
    second_page = search_events(busy, limit=100).next_cursor
    searches: list[tuple[str, TrailFilters, str]] = [
        ("newest first, no filter", TrailFilters(), ""),
        ("oldest first, no filter", TrailFilters(sort="oldest"), ""),
        ("by user", busy, ""),
        ("by user, second page (cursor)", busy, second_page),
        ("by agency", TrailFilters(agency=sample.actor_agency), ""),
        ("exports only", TrailFilters(action="export"), ""),
        ("refused only", TrailFilters(outcome="refused"), ""),
        ("from one address", TrailFilters(address=str(sample.ip_address)), ""),
        ("record type", TrailFilters(object_type="safeguarding.case"), ""),
        ("one day", TrailFilters(since=day, until=day + timedelta(days=1)), ""),
        ("user in one day", TrailFilters(user=sample.actor_username, since=day, until=day + timedelta(days=1)), ""),
        (
            "agency, exports, one week",
            TrailFilters(agency=sample.actor_agency, action="export", since=day - timedelta(days=7), until=day),
            "",
        ),
    ]
    rows = []
    for label, filters, cursor in searches:
        timings = []
        for _ in range(4):
            started = time.perf_counter()
            page = search_events(filters, cursor=cursor)
            timings.append(time.perf_counter() - started)
        queryset, _ = search_queryset(filters, cursor=cursor)
        plan = queryset[:101].explain()
        rows.append(
            (
                label,
                f"{statistics.median(timings[1:]) * 1000:.1f}",
                str(len(page.events)),
                ", ".join(sorted(set(re.findall(r"using (\w+)", plan, flags=re.IGNORECASE)))) or "none (scan)",
            )
        )
    subject = AccessEvent.objects.filter(subjects__subject_type="safeguarding.case").values_list(
        "subjects__subject_id", flat=True
    )[0]
    timings = []
    for _ in range(4):
        started = time.perf_counter()
        timeline = subject_timeline("safeguarding.case", subject)
        timings.append(time.perf_counter() - started)
    rows.append(
        (
            f"who has seen case {subject} (timeline)",
            f"{statistics.median(timings[1:]) * 1000:.1f}",
            str(len(timeline.events)),
            "audit_subject_lookup, audit_event_object_at",
        )
    )
    return rows


if __name__ == "__main__":
    main()
