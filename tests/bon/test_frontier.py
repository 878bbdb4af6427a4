"""KL–win-rate frontier: best-of-n vs the optimal tilted policy and rewind-and-repeat (docs/concepts/best-of-n.md)."""

import numpy as np
import pytest

from alft.bon import (
    Reference,
    bon_frontier,
    continuous_frontier,
    continuous_optimal_win_rate,
    continuous_rewind_win_rate,
    kl_saturation,
    optimal_win_rate,
    rewind_point,
    rewind_threshold,
    tilted_point,
)
from alft.errors import AlftInputError


def test_spec_continuous_numbers_at_n_4():
    # docs/concepts/best-of-n.md (measured): KL 0.636, W_BoN 0.800, W_opt 0.804, W_rewind 0.735.
    (point,) = continuous_frontier([4])
    assert point.kl == pytest.approx(0.636, rel=0.01)
    assert point.win_bon == pytest.approx(0.800, rel=0.01)
    assert point.win_optimal == pytest.approx(0.804, rel=0.01)
    assert point.win_rewind == pytest.approx(0.735, rel=0.01)
    assert point.win_rewind < point.win_bon < point.win_optimal


def test_fine_discrete_support_reproduces_continuous_frontier():
    m = 20_000
    ref = Reference.from_arrays(np.full(m, 1 / m), np.arange(m))
    for discrete, continuous in zip(bon_frontier(ref, [2, 4, 16]), continuous_frontier([2, 4, 16])):
        assert discrete.kl == pytest.approx(continuous.kl, rel=1e-3)
        assert discrete.win_bon == pytest.approx(continuous.win_bon, rel=1e-3)
        assert discrete.win_optimal == pytest.approx(continuous.win_optimal, rel=1e-3)
        assert discrete.win_rewind == pytest.approx(continuous.win_rewind, rel=1e-3)


def test_tilted_continuous_closed_form_against_quadrature():
    # Independent check: density λe^{λu}/(e^λ − 1) integrated on a fine grid.
    u = (np.arange(200_000) + 0.5) / 200_000
    for lam in (0.5, 3.0, 12.0):
        density = lam * np.exp(lam * u) / np.expm1(lam)
        kl, win = np.mean(density * np.log(density)), np.mean(density * u)
        assert continuous_optimal_win_rate(kl) == pytest.approx(win, rel=1e-6)


def test_rewind_continuous_is_conditioning_on_the_top_quantiles():
    for t in (0.2, 0.5, 0.99):
        assert continuous_rewind_win_rate(-np.log(1 - t)) == pytest.approx((1 + t) / 2)


def test_optimal_dominates_everything_at_equal_kl():
    ref = Reference.from_arrays([0.3, 0.2, 0.25, 0.05, 0.2], [0, 1, 1, 2, 3])
    for point in bon_frontier(ref, [1, 2, 3, 5, 10, 40]):
        assert point.win_optimal >= point.win_bon - 1e-12
        assert point.win_optimal >= point.win_rewind - 1e-12
        assert point.rewind_draws >= 1


def test_solvers_hit_the_requested_kl():
    ref = Reference.from_arrays([0.3, 0.2, 0.25, 0.05, 0.2], [0, 1, 1, 2, 3])
    t = rewind_threshold(ref, 0.7)
    assert rewind_point(ref, t)[0] == pytest.approx(0.7, abs=1e-9)
    win = optimal_win_rate(ref, 0.7)
    lam_grid = np.linspace(0, 20, 4001)
    points = np.array([tilted_point(ref, lam) for lam in lam_grid])
    near = np.argmin(abs(points[:, 0] - 0.7))
    assert win == pytest.approx(points[near, 1], abs=1e-3)


def test_kl_beyond_saturation_is_rejected():
    ref = Reference.from_arrays([0.5, 0.5], [0, 1])
    with pytest.raises(AlftInputError, match="log\\(1/p_top\\)"):
        optimal_win_rate(ref, kl_saturation(ref) + 0.1)
    with pytest.raises(AlftInputError, match="kl: got"):
        continuous_optimal_win_rate(-1.0)
