"""Validation sample and the credible bound reviewers' marks give (METHOD.md section 7).

Two populations of records that matched a term (s(r) > 0): those that add a relationship to the
kept network (at least two of their nominals are kept) and those that do not. Reviewers mark
`n` random records of each: in the first, whether the record really is county-lines activity
(precision); in the second, whether it really is not (specificity). Each is reported as the 95%
one-sided lower credible bound of a Beta(1 + correct, 1 + wrong) posterior (uniform prior).

The bound is computed exactly, without SciPy: for integers a, b the Beta(a, b) distribution
function is a binomial tail, I_x(a, b) = P(Binomial(a + b - 1, x) >= a), and the quantile is
found by bisection. 0 wrong of 100 gives 0.05^(1/101) = 0.9708; 2 wrong of 100 gives 0.9390.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def beta_cdf(x: float, a: int, b: int) -> float:
    """I_x(a, b) for positive integers a, b."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    n = a + b - 1
    log_x, log_1mx = math.log(x), math.log1p(-x)

    def term(j: int) -> float:
        log_choose = math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
        return math.exp(log_choose + j * log_x + (n - j) * log_1mx)

    if b <= a:  # the upper tail has b terms
        return min(1.0, math.fsum(term(j) for j in range(a, n + 1)))
    return max(0.0, 1.0 - math.fsum(term(j) for j in range(a)))


def beta_lower_bound(correct: int, wrong: int, level: float = 0.95) -> float:
    """The one-sided lower credible bound at `level` of Beta(1 + correct, 1 + wrong)."""
    if correct < 0 or wrong < 0:
        raise ValueError("counts must not be negative")
    a, b = 1 + correct, 1 + wrong
    low, high = 0.0, 1.0
    for _ in range(200):
        middle = (low + high) / 2
        if beta_cdf(middle, a, b) < 1 - level:
            low = middle
        else:
            high = middle
        if high - low < 1e-15:
            break
    return (low + high) / 2


@dataclass(frozen=True)
class ValidationSample:
    """Record ids to review, sorted: `adding` (for precision) and `not_adding` (specificity)."""

    adding: tuple[str, ...]
    not_adding: tuple[str, ...]
    size: int
    seed: int


def draw_validation_sample(
    adding: Sequence[str], not_adding: Sequence[str], *, size: int = 100, seed: int = 0
) -> ValidationSample:
    """Draw up to `size` records from each population, reproducibly for a given seed.

    Each population has its own random stream, so a change in one never changes the other's draw.
    """

    def draw(population: Sequence[str], stream: str) -> tuple[str, ...]:
        rng = random.Random(f"{seed}:{stream}")
        pool = sorted(set(population))
        return tuple(sorted(rng.sample(pool, min(size, len(pool)))))

    return ValidationSample(draw(adding, "adding"), draw(not_adding, "not-adding"), size, seed)


@dataclass(frozen=True)
class ReviewSummary:
    reviewed: int
    correct: int
    wrong: int
    lower_bound: float


def summarise_review(marks: Iterable[bool], level: float = 0.95) -> ReviewSummary:
    """Marks are True where the reviewer agrees with the method (the record is what the method
    says it is). Returns the counts and the lower credible bound at `level`."""
    marks = list(marks)
    correct = sum(1 for mark in marks if mark)
    wrong = len(marks) - correct
    return ReviewSummary(len(marks), correct, wrong, beta_lower_bound(correct, wrong, level))
