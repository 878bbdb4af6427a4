"""Exact quantities agree with simulated best-of-n within 3 standard errors (10⁵ draws here; the 10⁶-draw
check is benchmarks/bon_montecarlo.py)."""

import numpy as np
import pytest
from scipy.stats import chisquare

from alft.bon import (
    Reference,
    builtin_reference,
    expected_kl_estimator,
    kl_exact,
    level_pmf,
    monte_carlo_summary,
    sample_best_of_n,
    win_rate,
)
from alft.errors import AlftInputError

DRAWS = 100_000


def _references():
    rng = np.random.default_rng(12)
    weights = rng.dirichlet(np.ones(30))
    return {
        "ties-demo": builtin_reference("ties-demo"),
        "zipf-1000": builtin_reference("zipf-1000"),
        "random-ties": Reference.from_arrays(weights, rng.integers(0, 8, 30)),
    }


@pytest.mark.parametrize("name", ["ties-demo", "zipf-1000", "random-ties"])
@pytest.mark.parametrize("n", [2, 5, 16])
def test_exact_agrees_with_simulation(name, n):
    ref = _references()[name]
    summary = monte_carlo_summary(ref, n, DRAWS, np.random.default_rng(n))
    for estimate, exact in [(summary.kl, kl_exact(ref, n)), (summary.win_rate, win_rate(ref, n)),
                            (summary.kl_estimator, expected_kl_estimator(ref, n))]:
        assert abs(estimate.mean - exact) <= 3 * estimate.stderr + 1e-12
    # Level frequencies: a chi-square goodness-of-fit test against the exact level pmf.
    expected = level_pmf(ref, n) * DRAWS
    keep = expected > 5
    counts = summary.level_counts
    observed, expected_kept = counts[keep], expected[keep]
    if not keep.all():  # pool the rare levels into one bin
        observed = np.append(observed, counts[~keep].sum())
        expected_kept = np.append(expected_kept, expected[~keep].sum())
    expected = expected_kept
    assert chisquare(observed, expected * observed.sum() / expected.sum()).pvalue > 1e-4


def test_simulation_is_reproducible_and_uses_first_maximiser():
    ref = builtin_reference("ties-demo")
    a = sample_best_of_n(ref, 4, 1000, np.random.default_rng(1))
    b = sample_best_of_n(ref, 4, 1000, np.random.default_rng(1))
    assert np.array_equal(a, b)
    # Within the tied top level (outputs 10, 11: masses 0.04, 0.02) picks follow π_ref, 2 : 1.
    picks = sample_best_of_n(ref, 64, 20_000, np.random.default_rng(2))
    top = picks[np.isin(picks, [10, 11])]
    share = np.mean(top == 10)
    assert abs(share - 2 / 3) < 3 * np.sqrt(2 / 9 / top.size)


def test_bad_draws():
    with pytest.raises(AlftInputError, match="draws"):
        sample_best_of_n(builtin_reference("ties-demo"), 4, 0, np.random.default_rng(0))
