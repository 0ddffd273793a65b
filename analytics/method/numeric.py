"""How scores are added up, so that the threshold test means what a person expects.

Weights are decimals (0.1, 0.7, 0.25) that binary floating point cannot hold exactly: summed
naively, 0.1 + 0.1 + 0.1 is 0.30000000000000004 and a nominal "at" the threshold can fall a hair
either side of it depending on the order of the sum. Every score of the method is therefore

- summed with `math.fsum` (correctly rounded, so the order of the terms does not matter), and
- rounded to `SCORE_DECIMALS` decimal places before it is compared, capped or stored.

Nine places are far finer than any weight a person would enter and far coarser than the
rounding noise, so the result is the decimal arithmetic an analyst would do by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

SCORE_DECIMALS = 9


def settle(value: float) -> float:
    """`value` rounded to SCORE_DECIMALS places; -0.0 becomes 0.0."""
    return round(value, SCORE_DECIMALS) + 0.0


def capped_sum(values: Iterable[float]) -> float:
    """min(1, sum of values), summed exactly and settled."""
    return min(1.0, settle(math.fsum(values)))
