"""The analyst's API list endpoints on PostgreSQL with a run of 100,000 people in 2,000 groups:
p50 and p95 of each over N requests through the Django test client (every middleware, session
authentication, access checks, the access trail with the ids shown), beside a plain baseline in
the same run: the raw SQL `SELECT ... LIMIT` of the same page. Target: p95 under 200 ms.

    python -m benchmarks.bench_api [--people 100000] [--requests 60]

The database is BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/portal_bench_api),
dropped, created and migrated first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from benchmarks._common import print_table, run_child

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench_api"
AUTHORITIES = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]
TARGET_MS = 200.0
GROUP_SIZE = 50


def _fresh(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    run_child([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], database_url=url)


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.demo"
    os.environ.setdefault("API_RATE", "1000000/minute")  # the benchmark is not about the rate limit
    import django

    django.setup()


def _explanation(number: int) -> dict:
    """A realistic explanation (a few records and related people): what the lists must not load."""
    return {
        "lines": [f"d = {number % 7 / 10:.1f} from 2 records", "W adds related people's evidence"],
        "records": [
            {
                "record_id": f"R{number:07d}-{k}",
                "score": 0.5,
                "terms": [{"group": "COUNTY LINE", "pattern": "COUNTY\\s+LINES?", "weight": 1.0}],
                "arithmetic": "1 - (1 - 0.5) = 0.5",
            }
            for k in range(3)
        ],
        "related": [
            {
                "nominal_id": f"P{(number + k) % 100_000:07d}",
                "direct_evidence": 0.4,
                "shared_records": [],
                "associated": True,
            }
            for k in range(1, 6)
        ],
    }


def _seed(people: int, actor):
    """A finished run of `people` kept nominals in groups of GROUP_SIZE (results written in bulk:
    the benchmark measures the API, not the analysis)."""
    from django.db import connection

    from analytics.analysis import analysis_run_create
    from analytics.models import AnalysisRun, GroupResult, Nominal, NominalResult

    Nominal.objects.bulk_create(
        [
            Nominal(
                nominal_id=f"P{number:07d}",
                surname=f"Surname{number}",
                forenames="Bench",
                date_of_birth=date(2008 if number % 20 == 0 else 1990, 1, 1),
                local_authority=AUTHORITIES[number % len(AUTHORITIES)],
            )
            for number in range(people)
        ],
        batch_size=5_000,
    )
    run = analysis_run_create(actor=actor, reference_date=date(2026, 6, 30))
    batch: list[NominalResult] = []
    for number in range(people):
        batch.append(
            NominalResult(
                run=run,
                nominal_id=f"P{number:07d}",
                direct_evidence=(number % 7) / 10,
                score=((number * 7919) % 10_000) / 10_000,
                group=number // GROUP_SIZE,
                is_child=number % 20 == 0,
                is_vulnerable_adult=number % 97 == 0,
                harm_cchi=float(number % 365),
                betweenness=float((number * 31) % 1000),
                dismantle_rank=number + 1,
                route_to=AUTHORITIES[number % len(AUTHORITIES)] if number % 20 == 0 else "",
                explanation=_explanation(number),
            )
        )
        if len(batch) == 5_000:
            NominalResult.objects.bulk_create(batch)
            batch = []
    NominalResult.objects.bulk_create(batch)
    groups = (people + GROUP_SIZE - 1) // GROUP_SIZE
    GroupResult.objects.bulk_create(
        [
            GroupResult(
                run=run,
                group=g,
                members=[f"P{n:07d}" for n in range(g * GROUP_SIZE, min(people, (g + 1) * GROUP_SIZE))],
                size=min(GROUP_SIZE, people - g * GROUP_SIZE),
                harm_cchi=float((g * 37) % 5000),
                harm_ons=float((g * 13) % 900),
                priority_rank=g + 1,
                children_present=sum(1 for n in range(g * GROUP_SIZE, (g + 1) * GROUP_SIZE) if n % 20 == 0),
                soc_group_id=f"SOC-{g % 40}" if g % 3 == 0 else "",
            )
            for g in range(groups)
        ],
        batch_size=2_000,
    )
    AnalysisRun.objects.filter(pk=run.pk).update(status=AnalysisRun.Status.SUCCEEDED)
    with connection.cursor() as cursor:
        # What autovacuum does soon after a run is stored: statistics, and the visibility map
        # that lets COUNT(*) read the (run, ...) indexes alone.
        cursor.execute("VACUUM ANALYZE")
    return run


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time(call: Callable[[], object], requests: int) -> tuple[float, float]:
    for _ in range(3):  # warm caches and connections
        call()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    _fresh(url)
    _setup(url)
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from portal.accounts.models import Agency
    from portal.accounts.services import user_create

    analyst = user_create(
        username="bench.analyst", password="x", agency=Agency.objects.get(code="wmp"), role="analyst", validate=False
    )
    started = time.perf_counter()
    run = _seed(args.people, analyst)
    print(
        f"seeded {args.people:,} people in {(args.people + GROUP_SIZE - 1) // GROUP_SIZE:,} groups in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    client = Client()
    client.force_login(analyst)
    deep = (args.people // 2) // 50  # a page half way down the list
    from analytics.models import NominalResult
    from portal.keyset import cursor_for

    before_deep = NominalResult.objects.filter(run=run).order_by("-score", "nominal_id")[deep * 50 - 1]
    deep_cursor = cursor_for("-score", [before_deep.score, before_deep.nominal_id])  # as page deep's next link
    people = reverse("run-nominal-list", args=[run.pk])
    groups = reverse("run-group-list", args=[run.pk])
    result_columns = (
        "r.nominal_id, n.forenames, n.surname, n.date_of_birth, r.group, r.score, r.direct_evidence, r.is_child, "
        "r.is_vulnerable_adult, r.age_unknown, r.harm_cchi, r.harm_ons, r.betweenness, r.betweenness_margin, "
        "r.strength, r.eigenvector, r.dismantle_rank, r.route_to"
    )
    from_results = (
        "FROM analytics_nominalresult r JOIN analytics_nominal n ON n.nominal_id = r.nominal_id WHERE r.run_id = %s"
    )
    group_columns = "g.group, g.priority_rank, g.size, g.harm_cchi, g.harm_ons, g.children_present, g.soc_group_id"
    cases: list[tuple[str, str, dict[str, Any], str, list[Any]]] = [
        (
            "runs",
            reverse("analysis-run-list"),
            {},
            "SELECT id, status, stage FROM analytics_analysisrun ORDER BY created_at DESC, id DESC LIMIT 50",
            [],
        ),
        (
            "groups, by priority",
            groups,
            {},
            f"SELECT {group_columns} FROM analytics_groupresult g WHERE g.run_id = %s "
            "ORDER BY g.priority_rank, g.group LIMIT 50",
            [run.pk],
        ),
        (
            "groups, children, by CCHI",
            groups,
            {"children": "true", "ordering": "-harm_cchi"},
            f"SELECT {group_columns} FROM analytics_groupresult g WHERE g.run_id = %s AND g.children_present > 0 "
            "ORDER BY g.harm_cchi DESC, g.priority_rank LIMIT 50",
            [run.pk],
        ),
        (
            "people, by W",
            people,
            {},
            f"SELECT {result_columns} {from_results} ORDER BY r.score DESC, r.nominal_id LIMIT 50",
            [run.pk],
        ),
        (
            f"people, by W, page {deep + 1} (next link; SQL by OFFSET)",
            people,
            {"cursor": deep_cursor},
            f"SELECT {result_columns} {from_results} ORDER BY r.score DESC, r.nominal_id LIMIT 50 OFFSET %s",
            [run.pk, deep * 50],
        ),
        (
            "people in one group",
            people,
            {"group": 777},
            f"SELECT {result_columns} {from_results} AND r.group = %s ORDER BY r.score DESC, r.nominal_id LIMIT 50",
            [run.pk, 777],
        ),
        (
            "people to protect",
            people,
            {"protect": "true"},
            f"SELECT {result_columns} {from_results} "
            "AND (r.is_child OR r.is_vulnerable_adult) ORDER BY r.score DESC, r.nominal_id LIMIT 50",
            [run.pk],
        ),
        (
            "people, by dismantling rank",
            people,
            {"ordering": "dismantle_rank"},
            f"SELECT {result_columns} {from_results} ORDER BY r.dismantle_rank, r.nominal_id LIMIT 50",
            [run.pk],
        ),
    ]
    rows = []
    worst = 0.0
    for label, path, params, sql, sql_params in cases:
        response = client.get(path, params)
        assert response.status_code == 200, (label, response.status_code, response.content[:300])
        assert response.json()["results"], label

        def raw(sql=sql, sql_params=sql_params):
            with connection.cursor() as cursor:
                cursor.execute(sql, sql_params)
                return cursor.fetchall()

        def api(path=path, params=params):
            return client.get(path, params)

        api_p50, api_p95 = _time(api, args.requests)
        sql_p50, sql_p95 = _time(raw, args.requests)
        worst = max(worst, api_p95)
        rows.append(
            (
                label,
                f"{api_p50:.1f}",
                f"{api_p95:.1f}",
                f"{sql_p50:.1f}",
                f"{sql_p95:.1f}",
                "yes" if api_p95 < TARGET_MS else "NO",
            )
        )
    print_table(
        f"API list endpoints, run of {args.people:,} people on PostgreSQL, {args.requests} requests each"
        " "
        f"(target: p95 under {TARGET_MS:.0f} ms)",
        ["endpoint", "API p50 ms", "API p95 ms", "raw SQL p50 ms", "raw SQL p95 ms", "under target"],
        rows,
    )
    if worst >= TARGET_MS:
        sys.exit(f"slowest list endpoint p95 {worst:.0f} ms: over the {TARGET_MS:.0f} ms target")


if __name__ == "__main__":
    main()
