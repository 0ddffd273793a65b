"""Cases from a run: the portal's one set-based pass against a naive per-child ORM loop, on
PostgreSQL, for a run that identifies 5,000 children (target: under 10 s).

    python -m benchmarks.bench_cases [--children 5000]

Each side opens the cases of 5,000 new children (first run), then links a second run to the
same 5,000 existing cases (new intelligence). The naive loop does per child what the pass does
per run: look the case up, take a reference, create it, grant the police access, write the
transition, link the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date

from benchmarks._common import fresh_postgres, print_table

AUTHORITIES = ["Birmingham", "Coventry", "Dudley", "Sandwell", "Solihull", "Walsall", "Wolverhampton"]


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.demo"
    import django

    django.setup()


def _seed_run(prefix: str, count: int, actor):
    """A run whose kept nominals are `count` children (results inserted directly: the benchmark
    measures case creation, not the analysis)."""
    from analytics.analysis import analysis_run_create
    from analytics.models import Nominal, NominalResult

    Nominal.objects.bulk_create(
        [
            Nominal(
                nominal_id=f"{prefix}{number:06d}",
                surname=f"Surname{number}",
                forenames="Child",
                date_of_birth=date(2010, 1, 1),
                local_authority=AUTHORITIES[number % len(AUTHORITIES)],
            )
            for number in range(count)
        ],
        ignore_conflicts=True,
        batch_size=5_000,
    )
    run = analysis_run_create(actor=actor, reference_date=date(2026, 6, 30))
    NominalResult.objects.bulk_create(
        [
            NominalResult(
                run=run,
                nominal_id=f"{prefix}{number:06d}",
                direct_evidence=1.0,
                score=1.0,
                group=number % 50,
                is_child=True,
                route_to=AUTHORITIES[number % len(AUTHORITIES)],
            )
            for number in range(count)
        ],
        batch_size=5_000,
    )
    return run


def naive_cases_from_run(*, run) -> None:
    """The baseline: one child at a time through the ORM."""
    from django.db import transaction
    from guardian.shortcuts import assign_perm

    from analytics.models import NominalResult
    from portal.accounts.models import Agency
    from safeguarding.identification import local_authority_index
    from safeguarding.models import Case, CaseRun, CaseTransition, HubCoverage
    from safeguarding.references import next_references

    police = Agency.objects.get(code="wmp")
    authorities = local_authority_index()
    with transaction.atomic():
        for result in NominalResult.objects.filter(run=run, is_child=True).select_related("nominal"):
            case = Case.objects.filter(nominal_id=result.nominal_id).first()
            opened = case is None
            if opened:
                authority = authorities.get(result.nominal.local_authority.lower())
                coverage = HubCoverage.objects.filter(local_authority=authority).first()
                case = Case.objects.create(
                    reference=next_references(1)[0],
                    kind="child",
                    nominal_id=result.nominal_id,
                    forenames=result.nominal.forenames,
                    surname=result.nominal.surname,
                    date_of_birth=result.nominal.date_of_birth,
                    local_authority=authority,
                    hub=coverage.hub if coverage else None,
                )
                for codename in ("safeguarding.view_case", "safeguarding.change_case"):
                    assign_perm(codename, police.group, case)
                CaseTransition.objects.create(case=case, to_state="identified", actor_label=f"run {run.pk}")
            CaseRun.objects.get_or_create(case=case, run=run, defaults={"opened_case": opened})


def _timed(function, **kwargs) -> tuple[float, int]:
    """Seconds and the number of SQL statements `function` sent."""
    from django.db import connection

    count = 0

    def counting(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        started = time.perf_counter()
        function(**kwargs)
        seconds = time.perf_counter() - started
    return seconds, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=5_000)
    args = parser.parse_args()
    url = fresh_postgres("portal_bench_cases")
    _setup(url)
    from portal.accounts.models import Agency
    from portal.accounts.services import user_create
    from safeguarding.identification import cases_from_run
    from safeguarding.models import Case

    actor = user_create(
        username="bench", password="x", agency=Agency.objects.get(code="wmp"), role="analyst", validate=False
    )
    count = args.children
    set_runs = [_seed_run("S", count, actor) for _ in range(2)]
    naive_runs = [_seed_run("B", count, actor) for _ in range(2)]
    rows = []
    for label, index in (("open new cases (first run)", 0), ("link existing cases (second run)", 1)):
        set_seconds, set_queries = _timed(cases_from_run, run=set_runs[index])
        naive_seconds, naive_queries = _timed(naive_cases_from_run, run=naive_runs[index])
        rows.append(
            (
                label,
                f"{set_seconds:.2f}",
                set_queries,
                f"{naive_seconds:.2f}",
                naive_queries,
                f"{naive_seconds / set_seconds:.1f}x",
            )
        )
    assert Case.objects.filter(nominal__nominal_id__startswith="S").count() == count
    assert Case.objects.filter(nominal__nominal_id__startswith="B").count() == count
    print_table(
        f"Cases from a run of {count:,} children on PostgreSQL (target: under 10 s)",
        ["pass", "set-based s", "queries", "per-child ORM s", "queries", "ratio"],
        rows,
    )
    worst = max(float(row[1]) for row in rows)
    if worst >= 10:
        sys.exit(f"set-based pass took {worst:.1f} s: over the 10 s target")


if __name__ == "__main__":
    main()
