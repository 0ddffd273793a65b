"""Analysis runs: the Django side of the county-lines method (the method itself is the pure
core in analytics.method).

A run is created QUEUED with its parameters, the search-term version and the harm table in
force; a Celery task executes it. Progress is written to the run row as each stage ends (outside
any transaction, so the page sees it at once); cancellation is a flag the pipeline checks between
stages. Results are stored in one transaction at the end, so a failed or cancelled run leaves
nothing half-written and earlier runs are never touched. A completed run is immutable.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .importing import harm_table_for
from .loading import load_inputs
from .method.explain import explanation_json
from .method.inputs import AnalysisParams
from .method.people import AGE_UNKNOWN, CHILD, VULNERABLE_ADULT
from .method.pipeline import AnalysisResult, Cancelled, run_analysis
from .method.scoring import make_matcher
from .models import AnalysisRun, GroupResult, HarmTable, ImportBatch, NominalResult, ValidationItem
from .services import groups_from_json, term_version_current

STORE_BATCH = 5_000


def _harm_table_in_force() -> HarmTable:
    """The harm table of the newest successful import (a bundle's own, or the shipped default)."""
    latest = (
        ImportBatch.objects.filter(status=ImportBatch.Status.SUCCEEDED, harm_table__isnull=False)
        .select_related("harm_table")
        .first()
    )
    return latest.harm_table if latest is not None else harm_table_for(None)


def analysis_params_problems(*, beta: float, threshold: float, steps: int) -> dict[str, str]:
    problems = {}
    if not 0 <= beta <= 10:
        problems["beta"] = "beta weights related nominals' evidence; use a number from 0 to 10 (default 0.25)."
    if not 0 < threshold <= 1:
        problems["threshold"] = "The threshold is a weighting between 0 and 1 (default 0.5)."
    if not 1 <= steps <= 50:
        problems["steps"] = "Walktrap steps must be a whole number from 1 to 50 (default 4)."
    return problems


@transaction.atomic
def analysis_run_create(
    *,
    actor,
    reference_date: date | None = None,
    beta: float = 0.25,
    threshold: float = 0.5,
    steps: int = 4,
    request=None,
) -> AnalysisRun:
    """A QUEUED run with its parameters, search-term version and harm table recorded."""
    problems = analysis_params_problems(beta=beta, threshold=threshold, steps=steps)
    if problems:
        raise ValidationError(problems)
    run = AnalysisRun.objects.create(
        requested_by=actor,
        reference_date=reference_date or timezone.localdate(),
        beta=beta,
        threshold=threshold,
        steps=steps,
        term_version=term_version_current(),
        harm_table=_harm_table_in_force(),
    )
    if actor is not None:
        record_access(action=AccessAction.CREATE, request=request, actor=actor, obj=run, reason="analysis requested")
    return run


def analysis_run_cancel(*, run: AnalysisRun) -> bool:
    """Ask a queued or running run to stop; True when the request was recorded."""
    return bool(
        AnalysisRun.objects.filter(
            pk=run.pk, status__in=[AnalysisRun.Status.QUEUED, AnalysisRun.Status.RUNNING]
        ).update(cancel_requested=True)
    )


def _set_state(run: AnalysisRun, **fields) -> None:
    AnalysisRun.objects.filter(pk=run.pk).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def analysis_run_execute(*, run: AnalysisRun) -> AnalysisRun:
    """Execute a QUEUED run to the end: SUCCEEDED with results, CANCELLED or FAILED with why."""
    if run.status != AnalysisRun.Status.QUEUED:
        return run
    _set_state(run, status=AnalysisRun.Status.RUNNING, started_at=timezone.now(), stage="Loading data", progress=0.0)
    timings: dict[str, float] = {}

    def cancelled() -> bool:
        return AnalysisRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    def progress(stage: str, fraction: float) -> None:
        # Loading takes about a tenth of a run; the method's stages share the rest.
        _set_state(run, stage=stage, progress=round(0.1 + 0.85 * fraction, 3))

    try:
        started = time.perf_counter()
        counts: dict[str, int] = {}
        term_groups = groups_from_json(run.term_version.groups)
        matcher = make_matcher(term_groups)
        inputs = load_inputs(
            harm_table=run.harm_table,
            on_table=lambda name, n: counts.__setitem__(name, n),
            keep_text=lambda text: bool(text and matcher.match(text)),
        )
        timings["load data"] = time.perf_counter() - started
        if cancelled():
            raise Cancelled("cancelled before the method started")
        _set_state(run, stage="Loaded", progress=0.1, data_counts=counts)
        params = AnalysisParams(
            reference_date=run.reference_date,
            beta=run.beta,
            threshold=run.threshold,
            steps=run.steps,
            term_groups=term_groups,
            run_id=run.pk,
            workers=settings.ANALYSIS_WORKERS,
            parallel_min_nodes=settings.ANALYSIS_PARALLEL_MIN_NODES,
            betweenness_estimate_above=settings.ANALYSIS_BETWEENNESS_ESTIMATE_ABOVE,
            betweenness_sampled_sources=settings.ANALYSIS_BETWEENNESS_SAMPLED_SOURCES,
        )
        result = run_analysis(inputs, params, progress=progress, should_cancel=cancelled)
        timings.update({t.stage: t.seconds for t in result.timings})
        started = time.perf_counter()
        _store(run, result, timings, started)
    except Cancelled:
        _set_state(run, status=AnalysisRun.Status.CANCELLED, finished_at=timezone.now(), stage="Cancelled")
    except Exception as error:
        _set_state(
            run,
            status=AnalysisRun.Status.FAILED,
            finished_at=timezone.now(),
            stage="Failed",
            error=f"{type(error).__name__}: {error}",
        )
        raise
    return run


def _insert(model: type[models.Model], objects: list[models.Model]) -> None:
    """Insert new `objects` of `model`: one COPY on PostgreSQL (tens of thousands of rows with
    JSON in a few seconds, where INSERTs took several times longer), bulk_create elsewhere.
    The rows are built by the portal with values of the right types."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=STORE_BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    # Numbers, text, booleans and ids go to psycopg as they are; JSON needs the field's adapter.
    json_fields = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                row = [getattr(obj, f.attname) for f in fields]
                for i, field in json_fields:
                    row[i] = field.get_db_prep_save(row[i], connection)
                copy.write_row(row)


def _json_ready(value):
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value


@transaction.atomic
def _store(run: AnalysisRun, result: AnalysisResult, timings: dict[str, float], started: float) -> None:
    people = {person.nominal_id: person for person in result.people}
    document_rows = {row["nominal_id"]: row for row in result.document["nominals"]}
    rows = []
    for nominal_id in result.network.kept:
        row = document_rows[nominal_id]
        person = people.get(nominal_id)
        rows.append(
            NominalResult(
                run=run,
                nominal_id=nominal_id,
                direct_evidence=result.network.direct_evidence.get(nominal_id, 0.0),
                score=row["score"],
                group=row["group"],
                is_child=bool(person and person.category == CHILD),
                age_unknown=bool(person and person.category == AGE_UNKNOWN),
                is_vulnerable_adult=bool(person and person.category == VULNERABLE_ADULT),
                harm_cchi=row["harm_cchi"],
                harm_ons=row["harm_ons"],
                betweenness=row["betweenness"],
                betweenness_margin=result.centrality.betweenness_margin.get(nominal_id),
                strength=row["strength"],
                eigenvector=row["eigenvector"],
                dismantle_rank=row["dismantle_rank"],
                route_to=(person.route_to or "") if person else "",
                safeguarding_reasons=list(person.reasons) if person else [],
                explanation=explanation_json(result.explanations[nominal_id]),
            )
        )
    _insert(NominalResult, rows)
    _insert(
        GroupResult,
        [
            GroupResult(
                run=run,
                group=group["group"],
                members=group["members"],
                size=len(group["members"]),
                soc_group_id=group["soc_group_id"] or "",
                harm_cchi=group["harm_cchi"],
                harm_ons=group["harm_ons"],
                priority_rank=group["priority_rank"],
                children_present=len(result.children_by_group.get(group["group"], ())),
            )
            for group in result.document["groups"]
        ],
    )
    sample = result.validation_sample
    ValidationItem.objects.bulk_create(
        [ValidationItem(run=run, record_id=r, sample=ValidationItem.Sample.ADDING) for r in sample.adding]
        + [ValidationItem(run=run, record_id=r, sample=ValidationItem.Sample.NOT_ADDING) for r in sample.not_adding]
    )
    plan = result.dismantling
    quality = result.data_quality
    timings["store results"] = time.perf_counter() - started
    AnalysisRun.objects.filter(pk=run.pk).update(
        status=AnalysisRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
        stage="Complete",
        progress=1.0,
        document=result.document,
        stage_timings={stage: round(seconds, 3) for stage, seconds in timings.items()},
        data_quality={
            "unknown_offence_codes": dict(quality.unknown_offence_codes),
            "records_without_offence_code": quality.records_without_offence_code,
            "kept_without_date_of_birth": quality.kept_without_date_of_birth,
            "texts_matched_by_reference_engine": quality.texts_matched_by_reference_engine,
            "terms_on_reference_engine": list(quality.terms_on_reference_engine),
            "betweenness_estimated_nominals": len(result.centrality.betweenness_margin),
            "betweenness_sampled_sources": result.centrality.sampled_sources,
            "betweenness_estimate_above": result.params.betweenness_estimate_above,
            "groups_strategy": result.groups.strategy,
            "modularity": result.groups.modularity,
        },
        dismantling={
            "strategy": plan.strategy,
            "summary": plan.summary,
            "robustness": plan.robustness,
            "robustness_by_strategy": dict(plan.robustness_by_strategy),
            "removals": [_json_ready(removal) for removal in plan.removals[:200]],
            "lcc_sizes": list(plan.lcc_sizes),
        },
    )
    run.refresh_from_db()


@transaction.atomic
def validation_mark(*, run: AnalysisRun, marks: dict[int, bool | None], reviewer, request=None) -> int:
    """Record a reviewer's verdicts on items of `run`'s validation sample; returns how many
    changed. Verdicts live beside the run, which itself stays unchanged."""
    changed = 0
    items = ValidationItem.objects.select_for_update().filter(run=run, pk__in=list(marks))
    for item in items:
        verdict = marks[item.pk]
        if item.correct == verdict:
            continue
        item.correct = verdict
        item.reviewed_by = reviewer if verdict is not None else None
        item.reviewed_at = timezone.now() if verdict is not None else None
        item.save(update_fields=["correct", "reviewed_by", "reviewed_at"])
        changed += 1
    if changed:
        record_access(
            action=AccessAction.UPDATE,
            request=request,
            actor=reviewer,
            obj=run,
            reason=f"validation review: {changed} verdict(s)",
        )
    return changed


def validation_report(run: AnalysisRun) -> dict[str, dict]:
    """Per sample: items, how many reviewed, correct, wrong and the 95% lower credible bound
    (precision for the records that added relationships, specificity for the others)."""
    from .method.validation import summarise_review

    report = {}
    for sample, label in ValidationItem.Sample.choices:
        verdicts = list(
            ValidationItem.objects.filter(run=run, sample=sample, correct__isnull=False).values_list(
                "correct", flat=True
            )
        )
        summary = summarise_review(verdicts)
        report[sample] = {
            "label": label,
            "measure": "precision" if sample == ValidationItem.Sample.ADDING else "specificity",
            "size": ValidationItem.objects.filter(run=run, sample=sample).count(),
            "reviewed": summary.reviewed,
            "correct": summary.correct,
            "wrong": summary.wrong,
            "lower_bound": summary.lower_bound,
        }
    return report
