from __future__ import annotations

import pytest

from analytics.method.validation import beta_cdf, beta_lower_bound, draw_validation_sample, summarise_review


def test_the_two_reference_bounds_of_method_section_7():
    assert round(beta_lower_bound(correct=100, wrong=0), 4) == 0.9708
    assert round(beta_lower_bound(correct=98, wrong=2), 4) == 0.9390


def test_zero_wrong_has_a_closed_form():
    # Beta(101, 1) has distribution function x^101, so the 5% quantile is 0.05^(1/101).
    assert beta_lower_bound(100, 0) == pytest.approx(0.05 ** (1 / 101), abs=1e-12)


def test_beta_cdf_by_hand():
    # Beta(2, 2): I_x = 3x^2 - 2x^3; at 0.5 that is 0.5.
    assert beta_cdf(0.5, 2, 2) == pytest.approx(0.5)
    assert beta_cdf(0.25, 2, 2) == pytest.approx(3 * 0.25**2 - 2 * 0.25**3)
    # Beta(1, 3): 1 - (1 - x)^3.
    assert beta_cdf(0.2, 1, 3) == pytest.approx(1 - 0.8**3)


def test_summarise_review():
    summary = summarise_review([True] * 98 + [False] * 2)
    assert (summary.reviewed, summary.correct, summary.wrong) == (100, 98, 2)
    assert round(summary.lower_bound, 4) == 0.9390


def test_the_sample_is_reproducible_and_bounded():
    adding = [f"R{i:03d}" for i in range(500)]
    not_adding = [f"S{i:03d}" for i in range(40)]
    first = draw_validation_sample(adding, not_adding, size=100, seed=7)
    again = draw_validation_sample(list(reversed(adding)), not_adding, size=100, seed=7)
    assert first == again
    assert len(first.adding) == 100 and set(first.adding) <= set(adding)
    assert first.not_adding == tuple(not_adding)  # fewer than n: all of them
    assert draw_validation_sample(adding, not_adding, size=100, seed=8).adding != first.adding
    # One population's draw does not depend on the other population.
    assert draw_validation_sample(adding, not_adding[:5], size=100, seed=7).adding == first.adding
