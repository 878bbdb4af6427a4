"""The d_n estimator, its exact-quantile variant and the Monte-Carlo estimate from log-probabilities."""

import numpy as np
import pytest

from alft.bon import (
    Reference,
    estimate_kl_from_samples,
    exact_quantile_contribution,
    expected_kl_estimator,
    kl_estimator,
    kl_estimator_log,
    kl_exact,
    kl_formula,
    level_log_ratio,
    level_pmf,
)
from alft.errors import AlftInputError


def _direct_d_n(eps, n):
    # The docs/concepts/best-of-n.md expression, written out naively: fine for moderate ε and n.
    a = (1 - eps) ** n
    return a * (np.log(n) + (n - 1) * np.log(1 - eps) - (n - 1) / n) + (1 - a) * np.log((1 - a) / eps)


@pytest.mark.parametrize("n", [1, 2, 7, 50])
@pytest.mark.parametrize("eps", [0.9, 0.5, 0.1, 1e-3])
def test_matches_the_written_formula(eps, n):
    assert float(kl_estimator(eps, n)) == pytest.approx(_direct_d_n(eps, n), rel=1e-10, abs=1e-14)


def test_endpoints():
    assert float(kl_estimator(1.0, 10)) == 0.0
    assert float(kl_estimator(0.0, 10)) == pytest.approx(kl_formula(10))
    assert float(kl_estimator_log(-np.inf, 10)) == pytest.approx(kl_formula(10))


def test_tiny_eps_huge_n_is_stable():
    # With raw powers 1 − (1 − 1e-15)^(10⁶) cancels badly; the atom term n·ε·log n ≈ 1.4e-8 must survive.
    value = float(kl_estimator(1e-15, 10**6))
    assert value == pytest.approx(kl_formula(10**6), rel=1e-12)
    assert value <= kl_formula(10**6)
    assert float(kl_estimator(1e-6, 10**6)) == pytest.approx(_direct_d_n(1e-6, 10**6), rel=1e-9)
    # Sequence log-probabilities far below float64's smallest normal still work through log ε.
    assert float(kl_estimator_log(-2000.0, 64)) == pytest.approx(kl_formula(64), rel=1e-12)


def test_decreasing_in_eps():
    eps = np.linspace(1e-6, 1, 1000)
    assert np.all(np.diff(kl_estimator(eps, 16)) <= 1e-15)


def test_exact_quantile_variant_averages_to_exact_kl():
    ref = Reference.from_arrays([0.3, 0.2, 0.25, 0.05, 0.2], [0, 1, 1, 2, 3])
    lv = ref.levels
    for n in (2, 5, 30):
        contributions = exact_quantile_contribution(lv.cdf, lv.cdf_below, n)
        np.testing.assert_allclose(contributions, level_log_ratio(ref, n), rtol=1e-12)
        assert np.sum(level_pmf(ref, n) * contributions) == pytest.approx(kl_exact(ref, n), rel=1e-12)


def test_expected_estimator_is_tighter_than_formula_under_ties():
    ref = Reference.from_arrays([0.3, 0.2, 0.25, 0.05, 0.2], [0, 1, 1, 2, 3])
    for n in (2, 8, 64):
        exact, est = kl_exact(ref, n), expected_kl_estimator(ref, n)
        assert abs(est - exact) < kl_formula(n) - exact


def test_monte_carlo_estimate_from_logprobs():
    estimate = estimate_kl_from_samples(np.log([0.5, 0.1, 0.1, 1e-9]), 4)
    expected = kl_estimator([0.5, 0.1, 0.1, 1e-9], 4)
    assert estimate.mean == pytest.approx(expected.mean())
    assert estimate.stderr == pytest.approx(expected.std(ddof=1) / 2)
    assert estimate.count == 4


@pytest.mark.parametrize("values", [[0.1], [np.nan], []])
def test_bad_logprobs(values):
    with pytest.raises(AlftInputError, match="ref_logprobs"):
        estimate_kl_from_samples(values, 4)


def test_bad_eps_and_quantiles():
    with pytest.raises(AlftInputError, match="eps: got 1.5"):
        kl_estimator([0.5, 1.5], 4)
    with pytest.raises(AlftInputError, match="cdf_below < cdf"):
        exact_quantile_contribution([0.5], [0.5], 4)
