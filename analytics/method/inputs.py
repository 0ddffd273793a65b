"""The plain data the method takes: one named tuple per row kind of the input bundle (immutable,
and quick to build by the million), and the run parameters (METHOD.md sections 1 and 8).

The Django layer builds these from querysets; nothing here knows about the database. Ids are
strings and are compared as strings wherever an order is needed ("smallest id" means the
smallest in plain string order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from .centrality import BATCHES, ESTIMATE_ABOVE, SAMPLED_SOURCES
from .terms import DEFAULT_TERM_GROUPS, TermGroup

HARM_ROLES = frozenset({"SUSPECT", "OFFENDER", "ARRESTED", "CHARGED"})
"""Roles in which a record's harm counts against a nominal (METHOD.md section 5)."""
VICTIM_ROLE = "VICTIM"
VULNERABLE_ADULT_FLAG = "VULNERABLE_ADULT"


class Nominal(NamedTuple):
    nominal_id: str
    date_of_birth: date | None = None
    local_authority: str = ""
    flags: frozenset[str] = frozenset()


class Record(NamedTuple):
    record_id: str
    text: str
    offence_code: str = ""
    source: str = ""
    recorded_at: date | None = None


class RecordLink(NamedTuple):
    """A nominal named on a record in a role. A nominal may appear on a record in several roles."""

    record_id: str
    nominal_id: str
    role: str


class Association(NamedTuple):
    """A known relationship not tied to a record (family, partner, associate...)."""

    nominal_id_a: str
    nominal_id_b: str
    kind: str = ""


class SocMembership(NamedTuple):
    soc_group_id: str
    nominal_id: str


class HarmEntry(NamedTuple):
    offence_code: str
    cchi_days: float
    ons_weight: float
    description: str = ""


@dataclass(frozen=True)
class AnalysisInputs:
    """Everything one run reads. `harm_index` is the table in force for the import (the shipped
    default or the bundle's own); the caller chooses it."""

    nominals: Sequence[Nominal]
    records: Sequence[Record]
    links: Sequence[RecordLink]
    associations: Sequence[Association] = ()
    soc_memberships: Sequence[SocMembership] = ()
    harm_index: Sequence[HarmEntry] = ()


@dataclass(frozen=True)
class AnalysisParams:
    """The parameters of a run; all are stored with the run.

    `beta`, `threshold` and `steps` are the method's *params* (METHOD.md sections 3 and 4) and
    appear in the result document. The rest tune what the method leaves open:

    - `validation_sample_size`, `validation_seed`: the review sample (section 7).
    - `dismantling_exact_max_nodes`: while the largest connected component has at most this many
      nominals, scores are recomputed after every removal; above it, once per batch of
      `dismantling_batch_fraction` of the component, with betweenness estimated from sampled
      sources (see `dismantling`).
    - `betweenness_estimate_above`, `betweenness_sampled_sources`: components with more than
      `betweenness_estimate_above` nominals (default 25,000) get betweenness estimated from that
      many sampled sources, with a 95% margin; smaller ones are exact; None makes everything
      exact, whatever it costs (see `centrality`).
    - `matching_engine`: "auto", "re2", "python" or "reference" (see `scoring.make_matcher`).
    - `workers`, `parallel_min_nodes`: with `workers` > 1 and a kept network of at least
      `parallel_min_nodes` nominals, Walktrap, betweenness and dismantling run in that many worker
      processes (see `workers`). The result is the same either way.
    """

    reference_date: date
    beta: float = 0.25
    threshold: float = 0.5
    steps: int = 4
    term_groups: tuple[TermGroup, ...] = field(default=DEFAULT_TERM_GROUPS)
    validation_sample_size: int = 100
    validation_seed: int = 0
    dismantling_exact_max_nodes: int = 500
    dismantling_batch_fraction: float = 0.02
    betweenness_estimate_above: int | None = ESTIMATE_ABOVE
    betweenness_sampled_sources: int = SAMPLED_SOURCES
    matching_engine: str = "auto"
    workers: int = 1
    parallel_min_nodes: int = 2_000
    run_id: int | None = None

    def __post_init__(self) -> None:
        if not self.beta >= 0:
            raise ValueError("beta must be a non-negative number")
        if not 0 <= self.threshold <= 1:
            raise ValueError("threshold must be between 0 and 1")
        if self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.betweenness_sampled_sources < 2 * BATCHES:
            raise ValueError(f"betweenness_sampled_sources must be at least {2 * BATCHES}")
        if self.validation_sample_size < 0:
            raise ValueError("validation_sample_size must not be negative")
