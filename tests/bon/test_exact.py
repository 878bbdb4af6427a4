"""Exact best-of-n against independent closed forms (docs/concepts/best-of-n.md)."""

import numpy as np
import pytest

from alft.bon import (
    Reference,
    bon_pmf,
    formula_is_exact,
    kl_estimator,
    kl_exact,
    kl_formula,
    kl_saturation,
    win_bound,
    win_rate,
)
from alft.errors import AlftInputError


def _two_outputs(p):
    return Reference.from_arrays([1 - p, p], [0.0, 1.0])


@pytest.mark.parametrize("p", [0.5, 0.1, 1e-3])
@pytest.mark.parametrize("n", [1, 2, 3, 10, 100])
def test_two_outputs_match_hand_derivation(p, n):
    # Best-of-n keeps the good output unless all n draws are bad: P = 1 − (1−p)^n.
    bad = (1 - p) ** n
    good = 1 - bad
    ref = _two_outputs(p)
    np.testing.assert_allclose(bon_pmf(ref, n), [bad, good], rtol=1e-12)
    expected_kl = bad * np.log(bad / (1 - p)) + good * np.log(good / p)
    assert kl_exact(ref, n) == pytest.approx(expected_kl, rel=1e-9, abs=1e-15)
    # Good beats a bad reference draw and ties a good one; bad ties a bad one.
    expected_win = good * ((1 - p) + p / 2) + bad * (1 - p) / 2
    assert win_rate(ref, n) == pytest.approx(expected_win, rel=1e-12)


def test_ties_share_the_level_in_proportion_to_reference():
    ref = Reference.from_arrays([0.2, 0.3, 0.1, 0.4], [1, 1, 2, 0])
    pmf = bon_pmf(ref, 3)
    # Level "1" holds mass 0.5 with F = 0.9, F⁻ = 0.4: selected w.p. 0.9³ − 0.4³, split 2 : 3.
    level = 0.9**3 - 0.4**3
    np.testing.assert_allclose(pmf[[0, 1]], [0.4 * level, 0.6 * level], rtol=1e-12)
    np.testing.assert_allclose(pmf[2], 1 - 0.9**3, rtol=1e-12)
    np.testing.assert_allclose(pmf[3], 0.4**3, rtol=1e-12)


def test_zero_mass_outputs_are_never_selected():
    ref = Reference.from_arrays([0.5, 0.0, 0.5], [0, 10, 1])
    pmf = bon_pmf(ref, 5)
    assert pmf[1] == 0
    assert pmf.sum() == pytest.approx(1.0)


def test_formula_is_strict_upper_bound_for_discrete_and_exact_only_at_n_1():
    ref = Reference.from_arrays(np.full(50, 0.02), np.arange(50))
    assert kl_exact(ref, 1) == kl_formula(1) == 0.0 and formula_is_exact(ref, 1)
    for n in (2, 5, 40):
        assert kl_exact(ref, n) < kl_formula(n)
        assert not formula_is_exact(ref, n)


def test_continuous_limit_kl_and_win_rate_reach_the_formulas():
    ref = Reference.from_arrays(np.full(200_000, 1 / 200_000), np.arange(200_000))
    for n in (2, 4, 16, 256):
        assert kl_exact(ref, n) == pytest.approx(kl_formula(n), rel=1e-6)
        assert win_rate(ref, n) == pytest.approx(win_bound(n), rel=1e-6)


def test_continuous_limit_gap_shrinks_with_support():
    gaps = [kl_formula(8) - kl_exact(Reference.from_arrays(np.full(m, 1 / m), np.arange(m)), 8)
            for m in (10, 100, 1000)]
    assert gaps[0] > gaps[1] > gaps[2] > 0


def test_saturation_is_limit_and_bound():
    ref = Reference.from_arrays([0.5, 0.3, 0.15, 0.05], [0, 1, 2, 2])  # top level mass 0.2
    assert kl_saturation(ref) == pytest.approx(np.log(5))
    kls = [kl_exact(ref, n) for n in (1, 3, 10, 100, 10**6)]
    assert all(k <= kl_saturation(ref) + 1e-12 for k in kls)
    assert np.all(np.diff(kls) > 0) or kls[-1] == pytest.approx(kls[-2])
    assert kls[-1] == pytest.approx(np.log(5), rel=1e-12)


def test_estimator_equals_exact_kl_of_continuum_plus_top_atom():
    # d_n(ε) is by construction the KL of a continuum of mass 1 − ε below an atom ε (docs/concepts/best-of-n.md).
    eps, m = 0.05, 200_000
    probs = np.append(np.full(m, (1 - eps) / m), eps)
    ref = Reference.from_arrays(probs, np.arange(m + 1))
    for n in (2, 8, 64):
        assert kl_exact(ref, n) == pytest.approx(float(kl_estimator(eps, n)), rel=1e-5)


def test_huge_n_and_tiny_masses_stay_finite_and_accurate():
    # Top mass 1e-12: P(top selected) = 1 − (1 − 1e-12)^n ≈ n·1e-12, lost by naive powers.
    ref = Reference.from_arrays([1 - 1e-12, 1e-12], [0, 1])
    pmf = bon_pmf(ref, 10**6)
    assert pmf[1] == pytest.approx(-np.expm1(10**6 * np.log1p(-1e-12)), rel=1e-9)
    assert np.isfinite(kl_exact(ref, 10**6)) and kl_exact(ref, 10**6) > 0


@pytest.mark.parametrize("n", [0, -3, 2.5, "4", True, None])
def test_bad_n_is_rejected(n):
    ref = _two_outputs(0.5)
    with pytest.raises(AlftInputError, match="n: got"):
        kl_exact(ref, n)
