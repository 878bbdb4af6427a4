"""Property tests on random discrete references with ties (docs/concepts/best-of-n.md bounds)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.bon import (
    Reference,
    bon_frontier,
    bon_pmf,
    expected_kl_estimator,
    kl_estimator,
    kl_exact,
    kl_formula,
    kl_saturation,
    level_pmf,
    win_bound,
    win_rate,
)

TOL = 1e-10


@st.composite
def references(draw):
    size = draw(st.integers(1, 25))
    weights = draw(st.lists(st.floats(1e-6, 1.0), min_size=size, max_size=size))
    zeros = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    weights = np.where(zeros, 0.0, weights)
    if weights.sum() == 0:
        weights[0] = 1.0
    # Few distinct reward values, so ties are common.
    rewards = draw(st.lists(st.integers(0, draw(st.integers(0, 6))), min_size=size, max_size=size))
    return Reference.from_arrays(weights / weights.sum(), rewards)


ns = st.one_of(st.integers(1, 50), st.integers(51, 10**6))


@settings(max_examples=150, deadline=None)
@given(references(), ns)
def test_pmf_is_a_distribution_supported_on_the_reference(ref, n):
    pmf = bon_pmf(ref, n)
    assert np.all(pmf >= 0)
    assert abs(pmf.sum() - 1) < 1e-9
    assert np.all(pmf[ref.probs == 0] == 0)
    assert abs(level_pmf(ref, n).sum() - 1) < 1e-9


@settings(max_examples=150, deadline=None)
@given(references(), ns)
def test_kl_bounds(ref, n):
    kl = kl_exact(ref, n)
    assert -TOL <= kl <= kl_formula(n) + TOL
    assert kl <= kl_saturation(ref) + TOL


@settings(max_examples=150, deadline=None)
@given(references(), ns)
def test_estimator_bounds(ref, n):
    assert -TOL <= expected_kl_estimator(ref, n) <= kl_formula(n) + TOL
    d = kl_estimator(ref.levels.mass, n)
    assert np.all(d >= 0) and np.all(d <= kl_formula(n))


@settings(max_examples=150, deadline=None)
@given(references(), ns)
def test_win_rate_bound(ref, n):
    w = win_rate(ref, n)
    assert 0.5 - TOL <= w <= win_bound(n) + TOL


@settings(max_examples=150, deadline=None)
@given(references(), st.integers(1, 40))
def test_kl_and_win_rate_grow_with_n(ref, n):
    assert kl_exact(ref, n + 1) >= kl_exact(ref, n) - TOL
    assert win_rate(ref, n + 1) >= win_rate(ref, n) - TOL


@settings(max_examples=40, deadline=None)
@given(references(), st.integers(1, 64))
def test_tilted_policy_is_the_best_at_equal_kl(ref, n):
    (point,) = bon_frontier(ref, [n])
    assert point.win_optimal >= point.win_bon - 1e-9
    assert point.win_optimal >= point.win_rewind - 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 200), st.integers(20_000, 60_000), st.randoms(use_true_random=False))
def test_continuous_limit_with_random_masses(n, size, random):
    # All rewards distinct, masses random but tiny: the exact KL approaches log n − (n−1)/n.
    rng = np.random.default_rng(random.randint(0, 2**32))
    weights = rng.uniform(0.5, 1.5, size)
    ref = Reference.from_arrays(weights / weights.sum(), rng.permutation(size))
    gap = kl_formula(n) - kl_exact(ref, n)
    assert 0 <= gap < 1e-3 * max(kl_formula(n), 1e-2)
    assert abs(win_bound(n) - win_rate(ref, n)) < 1e-3
