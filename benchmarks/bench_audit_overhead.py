"""What auditing costs a request: the same pages with the access trail written and with its
writes switched off, in the same run, on PostgreSQL (target: at most 5 ms added at p95).

    python -m benchmarks.bench_audit_overhead [--requests 300]

"Off" replaces the trail's two writes (the access event and the rows it showed) with nothing;
everything else - access checks, the purpose check, rendering - is the same. Requests alternate
on and off so that both sides see the same machine. As in production (Redis at REDIS_URL, by
default redis://127.0.0.1:6379/7), the on side includes queueing the chaining task
(portal/audit/chain.py `chain_pending_soon`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from contextlib import contextmanager
from datetime import date

from benchmarks._common import fresh_postgres, print_table


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # The production shape: a broker and its cache, so chaining is a queued task (no worker
    # needs to run: the benchmark measures the request).
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/7")
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.demo"
    # One client asks hundreds of times a minute: the API's rate limit is not what is measured.
    os.environ["API_RATE"] = "1000000/minute"
    import django

    django.setup()


def _seed(cases: int):
    """A Birmingham MASH practitioner and `cases` children referred to Birmingham, through the
    real services."""
    from portal.accounts.roles import Role
    from portal.accounts.services import agencies_seed, user_create
    from safeguarding.models import CaseKind
    from safeguarding.services import case_create, pathway_reference_data_seed

    agencies = agencies_seed()
    pathway_reference_data_seed()
    mash = user_create(
        username="bench.mash", password="x", agency=agencies["birmingham"], role=Role.MASH_PRACTITIONER, validate=False
    )
    made = [
        case_create(
            actor=mash,
            kind=CaseKind.CHILD,
            forenames=f"Child{number}",
            surname=f"Bench{number}",
            date_of_birth=date(2011, 1, 1),
            local_authority=agencies["birmingham"],
            summary="Seen with older men at the station.",
        )
        for number in range(cases)
    ]
    return mash, made


@contextmanager
def _auditing_off():
    """The trail's writes replaced by nothing (the measurement's baseline)."""
    from portal.audit import services
    from portal.audit.models import AccessEvent

    save, write_subjects = AccessEvent.save, services._write_subjects
    AccessEvent.save = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
    services._write_subjects = lambda event, keys: None
    try:
        yield
    finally:
        AccessEvent.save = save  # type: ignore[method-assign]
        services._write_subjects = write_subjects


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per page and side")
    parser.add_argument("--cases", type=int, default=50)
    args = parser.parse_args()
    _setup(fresh_postgres("portal_bench_audit_overhead"))
    from django.test import Client
    from django.urls import reverse

    from portal.audit.models import AccessEvent

    mash, cases = _seed(args.cases)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(mash)
    pages = [
        ("case page", reverse("safeguarding:case_detail", args=[cases[0].pk])),
        (f"case list ({args.cases} rows)", reverse("safeguarding:case_list")),
        ("case API detail", reverse("case-detail", args=[cases[1].pk])),
    ]
    rows = []
    for label, url in pages:
        for _ in range(10):  # warm caches and connections on both sides
            client.get(url)
        timings: dict[bool, list[float]] = {True: [], False: []}
        events_before = AccessEvent.objects.count()
        for _ in range(args.requests):
            for audited in (True, False):
                if audited:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings[True].append((time.perf_counter() - started) * 1000)
                else:
                    with _auditing_off():
                        started = time.perf_counter()
                        response = client.get(url)
                        timings[False].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
        on, off = timings[True], timings[False]
        per_request = (AccessEvent.objects.count() - events_before) / args.requests
        rows.append(
            (
                label,
                f"{per_request:.1f}",
                f"{statistics.median(off):.2f}",
                f"{statistics.median(on):.2f}",
                f"{_p95(off):.2f}",
                f"{_p95(on):.2f}",
                f"{_p95(on) - _p95(off):+.2f}",
                f"{_p95(on) / _p95(off):.2f}x",
            )
        )
    print_table(
        f"Auditing on against off, {args.requests} requests per page and side, PostgreSQL "
        f"({AccessEvent.objects.count():,} events written)",
        (
            "page",
            "events per request",
            "off p50 ms",
            "on p50 ms",
            "off p95 ms",
            "on p95 ms",
            "added at p95 ms",
            "p95 ratio",
        ),
        rows,
    )


if __name__ == "__main__":
    main()
