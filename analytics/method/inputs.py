"""The plain data the method takes: one named tuple per row kind of the input bundle (immutable,
and quick to build by the million), and the run parameters (METHOD.md sections 1 and 8).

The Django layer builds these from querysets; nothing here knows about the database. Ids are
strings and are compared as strings wherever an order is needed ("smallest id" means the
smallest in plain string order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
class ParamRange:
    """The accepted values of one of the method's *params*, and what to tell a person otherwise.

    `low` is excluded when `low_open` (the threshold: a threshold of 0 would keep every related
    nominal, however weak the evidence). `whole` asks for a whole number.
    """

    name: str
    meaning: str
    low: float
    high: float
    default: float
    low_open: bool = False
    whole: bool = False

    @property
    def problem_text(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        bounds = f"above {self.low:g} and at most" if self.low_open else f"from {self.low:g} to"
        return f"{self.meaning}: use {kind} {bounds} {self.high:g} (default {self.default:g})."

    def problem(self, value: object) -> str | None:
        """Why `value` cannot be this parameter, or None when it can."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.problem_text
        if self.whole and not float(value).is_integer():
            return self.problem_text
        above_low = value > self.low if self.low_open else value >= self.low
        # Written so that NaN fails both comparisons and is refused.
        if not (above_low and value <= self.high):
            return self.problem_text
        return None


PARAM_RANGES: Mapping[str, ParamRange] = {
    "beta": ParamRange("beta", "beta weights the evidence of related nominals", 0, 10, 0.25),
    "threshold": ParamRange(
        "threshold", "The threshold is the weighting a nominal needs to be kept", 0, 1, 0.5, low_open=True
    ),
    "steps": ParamRange("steps", "Walktrap steps are the length of its random walks", 1, 50, 4, whole=True),
}
"""The one statement of the ranges (and defaults) of beta, threshold and steps. `AnalysisParams`
refuses values outside them, and the portal's service, run form and `analyse` command all ask
this table, so no entry point accepts what another refuses."""


def param_problems(values: Mapping[str, object]) -> dict[str, str]:
    """For each parameter of `values` named in `PARAM_RANGES` whose value is out of range, the
    sentence saying why (parameters not given are not checked)."""
    return {
        name: problem
        for name, value in values.items()
        if name in PARAM_RANGES and (problem := PARAM_RANGES[name].problem(value)) is not None
    }


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
    beta: float = PARAM_RANGES["beta"].default
    threshold: float = PARAM_RANGES["threshold"].default
    steps: int = int(PARAM_RANGES["steps"].default)
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
        problems = param_problems({"beta": self.beta, "threshold": self.threshold, "steps": self.steps})
        if problems:
            raise ValueError(" ".join(f"{name}: {problem}" for name, problem in problems.items()))
        if self.betweenness_sampled_sources < 2 * BATCHES:
            raise ValueError(f"betweenness_sampled_sources must be at least {2 * BATCHES}")
        if self.validation_sample_size < 0:
            raise ValueError("validation_sample_size must not be negative")
