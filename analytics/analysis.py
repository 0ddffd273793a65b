"""Analysis runs: the Django side of the county-lines method (the method itself is the pure
core in analytics.method).

A run is created QUEUED with its parameters, the search-term version and the harm table in
force; a Celery task executes it. Progress is written to the run row as each stage ends (outside
any transaction, so the page sees it at once); cancellation is a flag the pipeline checks between
stages. Results are stored in one transaction at the end, so a failed or cancelled run leaves
nothing half-written and earlier runs are never touched. A completed run is immutable (see
`AnalysisRunQuerySet` and the database guard of migration 0006).

Every change of status is a transition (`_transition`): it locks the run row, checks the source
status, and writes the new status together with one `AnalysisRunTransition` row and one
TRANSITION access event naming who acted: the requester on creation, the person who cancelled,
otherwise the worker or the `analyse` command (as "command:<os user>").
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import date
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from portal.accounts.roles import Role
from portal.audit.models import AccessAction
from portal.audit.services import record_access

from .importing import harm_table_for
from .layout import run_layout_store
from .loading import load_inputs
from .method.explain import explanation_json
from .method.inputs import PARAM_RANGES, AnalysisParams, param_problems
from .method.people import AGE_UNKNOWN, CHILD, VULNERABLE_ADULT
from .method.pipeline import AnalysisResult, Cancelled, run_analysis
from .method.scoring import make_matcher
from .models import (
    AnalysisRun,
    AnalysisRunTransition,
    GroupResult,
    HarmTable,
    ImportBatch,
    NominalResult,
    ValidationItem,
)
from .services import cuckooing_problem, groups_from_json, term_version_current
from .signals import run_succeeded

STORE_BATCH = 5_000


def _harm_table_in_force() -> HarmTable:
    """The harm table of the newest successful import (a bundle's own, or the shipped default)."""
    latest = (
        ImportBatch.objects.filter(status=ImportBatch.Status.SUCCEEDED, harm_table__isnull=False)
        .select_related("harm_table")
        .first()
    )
    if latest is not None and latest.harm_table is not None:
        return latest.harm_table
    return harm_table_for(None)


def analysis_params_problems(*, beta: float, threshold: float, steps: int) -> dict[str, str]:
    """Parameter name -> why its value is out of range; empty when all are fine.

    The ranges are the method's `PARAM_RANGES`, the one table the run form and the `analyse`
    command also defer to.
    """
    return param_problems({"beta": beta, "threshold": threshold, "steps": steps})


Status = AnalysisRun.Status
WORKER = "worker"
"""Who executes a run queued from the portal: the Celery worker (no person acts)."""
UNATTENDED = "unattended"
"""Who requests a run created by code with neither a person nor the `analyse` command behind it."""


def _command_label(command_user: str) -> str:
    return f"command:{command_user}"


def _record_transition(
    run: AnalysisRun,
    *,
    from_status: str,
    actor,
    actor_label: str,
    reason: str,
    request=None,
    command_user: str = "",
) -> AnalysisRunTransition:
    """Write the transition row and its access event for a status `run` has just taken.

    Caller must hold the row lock (or have just created the row) inside a transaction, so the
    status, the row and the event commit or fail together.
    """
    transition = AnalysisRunTransition.objects.create(
        run=run,
        from_status=from_status,
        to_status=run.status,
        actor=actor,
        actor_label=actor_label[:150],
        reason=reason[:500],
    )
    record_access(
        action=AccessAction.TRANSITION,
        request=request,
        actor=actor,
        obj=run,
        reason=f"{from_status or 'new'} → {run.status}: {reason}",
        via="command" if command_user else "",
        actor_username=command_user or actor_label,
        detail={"from": from_status, "to": run.status, "actor_label": actor_label, "transition": transition.pk},
    )
    return transition


def _transition(
    run: AnalysisRun,
    *,
    to: str,
    sources: tuple[str, ...],
    actor_label: str,
    reason: str,
    actor=None,
    request=None,
    command_user: str = "",
    **fields,
) -> bool:
    """Move `run` from one of `sources` to `to`, writing `fields` with the status, and record
    the transition. Returns False, changing nothing, when the stored status is not one of
    `sources` (another process got there first)."""
    before = {name: getattr(run, name) for name in ("status", *fields)}
    try:
        with transaction.atomic():
            stored = AnalysisRun.objects.select_for_update().filter(pk=run.pk).values_list("status", flat=True).first()
            if stored not in sources:
                return False
            AnalysisRun.objects.filter(pk=run.pk).update(status=to, **fields)
            run.status = to
            for name, value in fields.items():
                setattr(run, name, value)
            _record_transition(
                run,
                from_status=stored,
                actor=actor,
                actor_label=actor_label,
                reason=reason,
                request=request,
                command_user=command_user,
            )
    except BaseException:
        # The database kept the old state; so does the caller's instance.
        for name, value in before.items():
            setattr(run, name, value)
        raise
    return True


@transaction.atomic
def analysis_run_create(
    *,
    actor,
    reference_date: date | None = None,
    beta: float = PARAM_RANGES["beta"].default,
    threshold: float = PARAM_RANGES["threshold"].default,
    steps: int = int(PARAM_RANGES["steps"].default),
    request=None,
    command_user: str = "",
) -> AnalysisRun:
    """A QUEUED run with its parameters, search-term version and harm table recorded.

    `actor` is the person requesting it (None when the `analyse` command runs without
    `--requested-by`); `command_user` the operating-system user when the command asks.
    Raises ValidationError, creating nothing, for a parameter out of range, or when the current
    search terms mark no single group as cuckooing (a version stored before the property
    existed, with that group renamed): such a run would silently skip the vulnerable-adult rule.
    """
    problems = analysis_params_problems(beta=beta, threshold=threshold, steps=steps)
    if problems:
        raise ValidationError(problems)
    term_version = term_version_current()
    terms_problem = cuckooing_problem(groups_from_json(term_version.groups))
    if terms_problem:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: f"The search terms (version {term_version.number}) cannot be used: {terms_problem} "
                "An intelligence supervisor can do this in the search-term editor."
            }
        )
    run = AnalysisRun.objects.create(
        requested_by=actor,
        reference_date=reference_date or timezone.localdate(),
        beta=beta,
        threshold=threshold,
        steps=steps,
        term_version=term_version,
        harm_table=_harm_table_in_force(),
    )
    if command_user:
        label = _command_label(command_user)
    else:
        label = actor.get_username() if actor is not None else UNATTENDED
    via = "command" if command_user else ""
    detail = {"os_user": command_user} if command_user else {}
    record_access(
        action=AccessAction.CREATE,
        request=request,
        actor=actor,
        obj=run,
        reason="analysis requested",
        via=via,
        actor_username=command_user or label,
        detail=detail,
    )
    _record_transition(
        run,
        from_status="",
        actor=actor,
        actor_label=label,
        reason="analysis requested",
        request=request,
        command_user=command_user,
    )
    return run


def analysis_run_may_cancel(*, run: AnalysisRun, user) -> bool:
    """Whether `user` may cancel `run`: the person who requested it, or an intelligence
    supervisor (who oversees the analysts' use of the workers)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return run.requested_by_id == user.pk or user.role == Role.INTELLIGENCE_SUPERVISOR


def analysis_run_cancel(*, run: AnalysisRun, actor, request=None) -> bool:
    """Cancel a queued run at once, or ask a running one to stop at the end of its current
    stage; True when the run is cancelled or will stop, False when it had already finished.

    The caller must have fetched `run` for `actor` (every police data role sees every run).
    Anyone but the requester or an intelligence supervisor gets PermissionDenied, and the
    refusal is recorded. Who asked is kept on the run (`cancel_requested_by`) and becomes the
    actor of the transition to CANCELLED, also when the worker makes it later.
    """
    if not analysis_run_may_cancel(run=run, user=actor):
        # Recorded outside any transaction, so the refusal stays when PermissionDenied unwinds.
        record_access(
            action=AccessAction.REFUSED,
            request=request,
            actor=actor,
            obj=run,
            reason="cancel: only the requester or an intelligence supervisor may cancel a run",
        )
        raise PermissionDenied("Only the person who requested this run or an intelligence supervisor can cancel it.")
    now = timezone.now()
    if _transition(
        run,
        to=Status.CANCELLED,
        sources=(Status.QUEUED,),
        actor=actor,
        actor_label=actor.get_username(),
        reason="cancelled before it started",
        request=request,
        cancel_requested=True,
        cancel_requested_by=actor,
        finished_at=now,
        stage="Cancelled",
    ):
        return True
    with transaction.atomic():
        stored = (
            AnalysisRun.objects.select_for_update().filter(pk=run.pk).values_list("status", "cancel_requested").first()
        )
        if stored is None or stored[0] != Status.RUNNING:
            return False
        if stored[1]:
            return True  # already asked; the first request stands
        AnalysisRun.objects.filter(pk=run.pk).update(cancel_requested=True, cancel_requested_by=actor)
        run.cancel_requested, run.cancel_requested_by = True, actor
        record_access(
            action=AccessAction.UPDATE,
            request=request,
            actor=actor,
            obj=run,
            reason="cancellation requested; the run stops at the end of its current stage",
        )
    return True


def _record_progress(run: AnalysisRun, **fields) -> None:
    """Stage and fraction done of a running run: not a transition, and never of a finished one."""
    AnalysisRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(**fields)
    for name, value in fields.items():
        setattr(run, name, value)


def analysis_run_execute(*, run: AnalysisRun, command_user: str = "") -> AnalysisRun:
    """Execute a QUEUED run to the end: SUCCEEDED with results, CANCELLED or FAILED with why.

    A run no longer queued (cancelled before a worker took it, or taken by another worker) is
    returned as stored, untouched. `command_user` names the operating-system user when the
    `analyse` command executes the run in its own process; otherwise the worker does.
    """
    executor = _command_label(command_user) if command_user else WORKER
    if not _transition(
        run,
        to=Status.RUNNING,
        sources=(Status.QUEUED,),
        reason="started",
        started_at=timezone.now(),
        stage="Loading data",
        progress=0.0,
        actor_label=executor,
        command_user=command_user,
    ):
        run.refresh_from_db()
        return run
    timings: dict[str, float] = {}

    def cancelled() -> bool:
        return AnalysisRun.objects.filter(pk=run.pk, cancel_requested=True).exists()

    def progress(stage: str, fraction: float) -> None:
        # Loading takes about a tenth of a run; the method's stages share the rest.
        _record_progress(run, stage=stage, progress=round(0.1 + 0.85 * fraction, 3))

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
        _record_progress(run, stage="Loaded", progress=0.1, data_counts=counts)
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
        _store(run, result, timings, started, actor_label=executor, command_user=command_user)
    except Cancelled as stopped:
        run.refresh_from_db(fields=["cancel_requested_by"])
        requester = run.cancel_requested_by
        _transition(
            run,
            to=Status.CANCELLED,
            sources=(Status.RUNNING,),
            actor=requester,
            reason=f"{stopped}, as asked by {requester.get_username() if requester else 'an unknown user'}",
            finished_at=timezone.now(),
            stage="Cancelled",
            actor_label=executor,
            command_user=command_user,
        )
    except Exception as error:
        why = f"{type(error).__name__}: {error}"
        _transition(
            run,
            to=Status.FAILED,
            sources=(Status.RUNNING,),
            reason=why,
            finished_at=timezone.now(),
            stage="Failed",
            error=why,
            actor_label=executor,
            command_user=command_user,
        )
        raise
    return run


_M = TypeVar("_M", bound=models.Model)


def _insert(model: type[_M], objects: Sequence[_M]) -> None:
    """Insert new `objects` of `model`: one COPY on PostgreSQL (tens of thousands of rows with
    JSON in a few seconds, where INSERTs took several times longer), bulk_create elsewhere.
    The rows are built by the portal with values of the right types."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objects, batch_size=STORE_BATCH)
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    # Numbers, text, booleans and ids go to psycopg as they are; JSON needs the field's adapter.
    json_fields = [(i, f) for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    quote = connection.ops.quote_name
    # A concrete field is one with a column, which the stubs cannot say.
    columns = ", ".join(quote(cast(str, f.column)) for f in fields)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                row = [getattr(obj, f.attname) for f in fields]
                for i, field in json_fields:
                    row[i] = field.get_db_prep_save(row[i], connection)
                copy.write_row(row)


def _json_ready(value: Any) -> Any:
    return dataclasses.asdict(value) if dataclasses.is_dataclass(value) and not isinstance(value, type) else value


@transaction.atomic
def _store(
    run: AnalysisRun,
    result: AnalysisResult,
    timings: dict[str, float],
    started: float,
    *,
    actor_label: str,
    command_user: str,
) -> None:
    """Store the results and make the run SUCCEEDED, all in one transaction."""
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
    # The network view's drawing commits with the results (analytics.layout).
    timings["layout"] = run_layout_store(run=run, result=result)
    plan = result.dismantling
    quality = result.data_quality
    timings["store results"] = time.perf_counter() - started - timings["layout"]
    completed = _transition(
        run,
        to=Status.SUCCEEDED,
        sources=(Status.RUNNING,),
        actor_label=actor_label,
        command_user=command_user,
        reason="results stored",
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
    if not completed:
        # Someone else moved the run on while it ran: store nothing (the transaction unwinds).
        raise RuntimeError(f"run {run.pk} stopped running while its results were stored")
    run.refresh_from_db()
    run_succeeded.send(sender=AnalysisRun, run=run)


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
        reviewed = ValidationItem.objects.filter(run=run, sample=sample, correct__isnull=False)
        # Reviewed items only, so no verdict is None (which the column's type cannot say).
        verdicts = cast(list[bool], list(reviewed.values_list("correct", flat=True)))
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
