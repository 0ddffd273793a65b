"""`run_analysis`: every stage of the method, in order, with progress, cancellation and timings.

Between stages the pipeline calls `should_cancel()` and raises `Cancelled` if it returns true;
after each stage it calls `progress(stage_name, fraction_done)` with fraction_done in (0, 1].
With `params.workers` > 1 on a large kept network, Walktrap, betweenness and dismantling run side
by side in worker processes from the moment their inputs exist; a stage's timing is then how
long the pipeline waited for its result, and a cancellation is noticed within about a second.
Inputs must be consistent (every link names a known record and nominal; ids unique): the import
guarantees it, and `run_analysis` raises ValueError naming the first problem otherwise.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from .centrality import Centrality, start_centrality
from .dismantling import DismantlingPlan, start_harm_aware_plan
from .document import build_result_document
from .explain import NominalExplanation, explain_nominal
from .groups import Groups, associate_soc_groups, start_detect_groups
from .harm import GroupHarm, NominalHarm, group_priority, nominal_harm
from .inputs import VICTIM_ROLE, AnalysisInputs, AnalysisParams, Nominal
from .network import Network, build_network, group_links_by_record, records_adding_relationships
from .people import CHILD, PersonToSafeguard, identify_people_for_safeguarding, is_child
from .scoring import Re2SetMatcher, RecordScore, make_matcher, score_records
from .validation import ValidationSample, draw_validation_sample
from .workers import Workers

STAGES = (
    "score records",
    "build network",
    "harm",
    "groups and priority",
    "people to safeguard",
    "explanations",
    "validation sample",
    "centrality",
    "dismantling",
    "result document",
)


class Cancelled(Exception):
    """The run was cancelled between two stages; nothing of it should be stored."""


@dataclass(frozen=True)
class StageTiming:
    stage: str
    seconds: float


@dataclass(frozen=True)
class DataQuality:
    """Counts for the run's data-quality report.

    - `unknown_offence_codes`: offence code -> records carrying a code missing from the harm
      table on which a kept nominal has a harm role (they contributed 0 harm).
    - `records_without_offence_code`: such records with no offence code at all.
    - `kept_without_date_of_birth`: kept nominals whose age cannot be worked out.
    - `texts_matched_by_reference_engine`: texts the fast engine handed to plain `re` (see
      `scoring`); `terms_on_reference_engine`: patterns it could not run at all.
    """

    unknown_offence_codes: Mapping[str, int]
    records_without_offence_code: int
    kept_without_date_of_birth: int
    texts_matched_by_reference_engine: int
    terms_on_reference_engine: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisResult:
    params: AnalysisParams
    record_scores: Mapping[str, RecordScore]
    network: Network
    groups: Groups
    soc_labels: Mapping[int, str | None]
    harm: NominalHarm
    group_harm: Mapping[int, GroupHarm]
    children_by_group: Mapping[int, tuple[str, ...]]
    centrality: Centrality
    dismantling: DismantlingPlan
    people: tuple[PersonToSafeguard, ...]
    explanations: Mapping[str, NominalExplanation]
    validation_sample: ValidationSample
    data_quality: DataQuality
    timings: tuple[StageTiming, ...]
    document: dict[str, Any]


ProgressCallback = Callable[[str, float], None]
CancelCallback = Callable[[], bool]


def run_analysis(
    inputs: AnalysisInputs,
    params: AnalysisParams,
    *,
    progress: ProgressCallback | None = None,
    should_cancel: CancelCallback | None = None,
) -> AnalysisResult:
    """Run the whole method on `inputs` with `params`."""
    with _without_cyclic_gc():
        return _run_analysis(inputs, params, progress, should_cancel)


@contextmanager
def _without_cyclic_gc() -> Iterator[None]:
    """Pause the cycle collector for the run, then restore its previous state.

    A million-record input is millions of container objects, and every full collection walks
    all of them while the run allocates millions more: that alone roughly doubled the time of
    the network stages. The method builds no reference cycles (plain dicts, sets, tuples and
    frozen dataclasses), so nothing is left for the collector to find.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _run_analysis(
    inputs: AnalysisInputs,
    params: AnalysisParams,
    progress: ProgressCallback | None,
    should_cancel: CancelCallback | None,
) -> AnalysisResult:
    timings: list[StageTiming] = []
    stage_index = 0

    def stage(name: str) -> _Stage:
        nonlocal stage_index
        assert name == STAGES[stage_index], f"stage {name!r} out of order"
        _raise_if_cancelled(should_cancel, f"cancelled before {name}")
        stage_index += 1
        return _Stage(name, stage_index / len(STAGES), timings, progress)

    _check_consistent(inputs)
    nominals = {nominal.nominal_id: nominal for nominal in inputs.nominals}

    with stage("score records"):
        matcher = make_matcher(params.term_groups, engine=params.matching_engine)
        scores = score_records(((r.record_id, r.text) for r in inputs.records), matcher)

    with stage("build network"):
        record_nominals = group_links_by_record(map(attrgetter("record_id", "nominal_id"), inputs.links))
        associations = [(a.nominal_id_a, a.nominal_id_b) for a in inputs.associations]
        network = build_network(
            {record_id: scored.score for record_id, scored in scores.items()},
            record_nominals,
            associations,
            beta=params.beta,
            threshold=params.threshold,
        )

    kept = set(network.kept)
    processes = params.workers if len(kept) >= params.parallel_min_nodes else 1
    with Workers(processes, check=lambda: _raise_if_cancelled(should_cancel)) as workers:
        # Walktrap and betweenness start now, dismantling as soon as harm is known (it does not
        # need the groups). With worker processes they overlap, and each stage below times how
        # long it waits for its result.
        groups_done = start_detect_groups(network.kept, network.edges, workers, steps=params.steps)
        centrality_done = start_centrality(
            network.kept,
            network.edges,
            workers,
            estimate_above=params.betweenness_estimate_above,
            sampled_sources=params.betweenness_sampled_sources,
        )

        with stage("harm"):
            # Only kept nominals' harm is reported, so only their links are read.
            harm_links = [
                (link.record_id, link.nominal_id, link.role) for link in inputs.links if link.nominal_id in kept
            ]
            needed = {record_id for record_id, _, _ in harm_links}
            harm = nominal_harm(
                {record.record_id: record.offence_code for record in inputs.records if record.record_id in needed},
                harm_links,
                inputs.harm_index,
            )
            dismantling_done = start_harm_aware_plan(
                network.kept,
                network.edges,
                {n: harm.cchi.get(n, 0.0) for n in network.kept},
                workers,
                exact_max_nodes=params.dismantling_exact_max_nodes,
                batch_fraction=params.dismantling_batch_fraction,
            )

        with stage("groups and priority"):
            groups = groups_done()
            soc_labels = associate_soc_groups(
                groups.members, ((m.soc_group_id, m.nominal_id) for m in inputs.soc_memberships)
            )
            group_harm = group_priority(groups.members, harm)

        # These need neither centrality nor dismantling: they run while the workers finish.
        with stage("people to safeguard"):
            victim_records: defaultdict[str, list[str]] = defaultdict(list)
            for link in inputs.links:
                if link.role == VICTIM_ROLE:
                    victim_records[link.nominal_id].append(link.record_id)
            # Keyed to the group's property, not its name: renaming the group keeps the rule.
            cuckoo_records = [
                record_id
                for record_id, scored in scores.items()
                if any(term.marks_cuckooing for term in scored.matched)
            ]
            people = identify_people_for_safeguarding(
                network.kept, nominals, victim_records, cuckoo_records, params.reference_date
            )
            # Shown beside group priority (METHOD.md section 5): the children in each group.
            children_of: defaultdict[int, list[str]] = defaultdict(list)
            for person in people:
                if person.category == CHILD:
                    children_of[groups.group_of[person.nominal_id]].append(person.nominal_id)
            children_by_group = {group: tuple(children_of.get(group, ())) for group in groups.members}

        with stage("explanations"):
            records_of_nominal: defaultdict[str, list[str]] = defaultdict(list)
            for record_id, on_record in record_nominals.items():
                for nominal_id in on_record:
                    if nominal_id in kept:
                        records_of_nominal[nominal_id].append(record_id)
            associated_with = _associations_by_nominal(associations)
            explanations = {
                nominal_id: explain_nominal(
                    nominal_id, network, scores, records_of_nominal, record_nominals, associated_with
                )
                for nominal_id in network.kept
            }

        with stage("validation sample"):
            adding, not_adding = records_adding_relationships(
                {record_id: scored.score for record_id, scored in scores.items()}, record_nominals, network.kept
            )
            sample = draw_validation_sample(
                adding, not_adding, size=params.validation_sample_size, seed=params.validation_seed
            )

        with stage("centrality"):
            kept_centrality = centrality_done()

        with stage("dismantling"):
            plan = dismantling_done()

    with stage("result document"):
        children = {n: is_child(nominals.get(n, Nominal(n)).date_of_birth, params.reference_date) for n in network.kept}
        document = build_result_document(
            params=params,
            network=network,
            groups=groups,
            soc_labels=soc_labels,
            harm=harm,
            group_harm=group_harm,
            centrality=kept_centrality,
            dismantling=plan,
            children=children,
        )
        quality = DataQuality(
            unknown_offence_codes=harm.unknown_offence_codes,
            records_without_offence_code=harm.records_without_offence_code,
            kept_without_date_of_birth=sum(1 for value in children.values() if value is None),
            texts_matched_by_reference_engine=getattr(matcher, "reference_texts", 0),
            terms_on_reference_engine=tuple(matcher.terms[i].pattern for i in getattr(matcher, "reference_only", ()))
            if isinstance(matcher, Re2SetMatcher)
            else (),
        )

    return AnalysisResult(
        params=params,
        record_scores=scores,
        network=network,
        groups=groups,
        soc_labels=soc_labels,
        harm=harm,
        group_harm=group_harm,
        children_by_group=children_by_group,
        centrality=kept_centrality,
        dismantling=plan,
        people=tuple(people),
        explanations=explanations,
        validation_sample=sample,
        data_quality=quality,
        timings=tuple(timings),
        document=document,
    )


class _Stage:
    """Times one stage and reports progress when it ends (only if it ends without error)."""

    def __init__(
        self, name: str, fraction: float, timings: list[StageTiming], progress: ProgressCallback | None
    ) -> None:
        self.name, self.fraction, self.timings, self.progress = name, fraction, timings, progress

    def __enter__(self) -> _Stage:
        self.started = time.perf_counter()
        return self

    def __exit__(self, error_type: object, error: object, traceback: object) -> None:
        if error_type is not None:
            return
        self.timings.append(StageTiming(self.name, time.perf_counter() - self.started))
        if self.progress is not None:
            self.progress(self.name, self.fraction)


def _raise_if_cancelled(should_cancel: CancelCallback | None, message: str = "cancelled") -> None:
    if should_cancel is not None and should_cancel():
        raise Cancelled(message)


def _associations_by_nominal(associations: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    partners: defaultdict[str, set[str]] = defaultdict(set)
    for a, b in associations:
        partners[a].add(b)
        partners[b].add(a)
    return {nominal_id: frozenset(others) for nominal_id, others in partners.items()}


def _check_consistent(inputs: AnalysisInputs) -> None:
    # Whole-set operations first (a million links in a fraction of a second); the slow search for
    # the first offender only runs when something is wrong.
    nominal_ids = _unique(list(map(attrgetter("nominal_id"), inputs.nominals)), "nominal")
    record_ids = _unique(list(map(attrgetter("record_id"), inputs.records)), "record")
    checks = (
        (inputs.links, ("record_id",), record_ids, "record link names unknown record"),
        (inputs.links, ("nominal_id",), nominal_ids, "record link names unknown nominal"),
        (inputs.associations, ("nominal_id_a", "nominal_id_b"), nominal_ids, "association names unknown nominal"),
        (inputs.soc_memberships, ("nominal_id",), nominal_ids, "SOC membership names unknown nominal"),
    )
    for rows, fields, known, message in checks:
        for field in fields:
            if not known.issuperset(map(attrgetter(field), rows)):
                unknown = next(value for value in map(attrgetter(field), rows) if value not in known)
                raise ValueError(f"{message} {unknown!r}")


def _unique(ids: list[str], kind: str) -> set[str]:
    distinct = set(ids)
    if len(distinct) != len(ids):
        seen: set[str] = set()
        for identifier in ids:
            if identifier in seen:
                raise ValueError(f"duplicate {kind} id {identifier!r}")
            seen.add(identifier)
    return distinct
