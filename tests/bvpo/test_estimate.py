"""α̂* from a batch (src/alft/bvpo/estimate.py) and the DPO pieces (dpo.py), checked on exact games."""

import numpy as np
import pytest

from alft.bvpo import MIN_BATCH, ExactGame, dpo_gradient_weight, dpo_loss, dpo_margin, estimate_alpha
from alft.bvpo.estimate import apply_sketch, count_sketch
from alft.bvpo.mixing import check_alpha, mixed
from alft.errors import AlftInputError


def test_dpo_weight_is_the_derivative_of_the_loss():
    h, beta, eps = np.linspace(-30, 30, 13), 0.7, 1e-6
    numeric = (dpo_loss(h + eps, beta) - dpo_loss(h - eps, beta)) / (2 * eps)
    assert np.allclose(dpo_gradient_weight(h, beta), numeric, atol=1e-8)
    assert np.all(np.isfinite(dpo_loss(np.array([-1e4, 1e4]), beta)))


def test_non_finite_log_probabilities_are_refused():
    with pytest.raises(AlftInputError, match=r"policy_rejected\[1\].*finite log-probability"):
        dpo_margin([0.0, -1.0], [-1.0, -np.inf], [0.0, 0.0], [0.0, 0.0])


@pytest.mark.parametrize("alpha", [-0.1, 1.01, float("nan"), "0.5"])
def test_alpha_outside_the_unit_interval_is_refused(alpha):
    with pytest.raises(AlftInputError, match=r"alpha.*\[0, 1\]"):
        check_alpha(alpha)
    with pytest.raises(AlftInputError):
        mixed(alpha, np.zeros(2), np.zeros(2))


def test_a_batch_too_small_is_refused_naming_the_minimum():
    with pytest.raises(AlftInputError, match=f"at least {MIN_BATCH} examples"):
        estimate_alpha(np.zeros((1, 3)), np.zeros((1, 3)))
    with pytest.raises(AlftInputError, match="g_empty"):
        estimate_alpha(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(AlftInputError, match="finite gradients"):
        estimate_alpha(np.full((4, 3), np.nan), np.zeros((4, 3)))


@pytest.mark.parametrize("use_mu", [False, True])
def test_numerator_and_denominator_are_unbiased_when_their_assumption_holds(use_mu):
    game = ExactGame.random(7, step=0.0)  # θ = θ_ref: E g_t = μ exactly, so the default assumption holds
    n, batches = 8, 6000
    m = game.moments.batch(n)
    bt, be = m.bias_trace, m.bias_empty
    target_num = m.var_empty - m.cov_trace_empty + be @ be - bt @ be
    target_den = m.var_trace + m.var_empty - 2 * m.cov_trace_empty + (bt - be) @ (bt - be)
    rng = np.random.default_rng(0)
    nums, dens = np.empty(batches), np.empty(batches)
    for i in range(batches):
        est = estimate_alpha(*game.sample_batch(rng, n), mu=game.mu if use_mu else None)
        nums[i], dens[i] = est.numerator, est.denominator
    se = lambda v: v.std(ddof=1) / np.sqrt(batches)
    assert abs(nums.mean() - target_num) <= 3.5 * se(nums)
    assert abs(dens.mean() - target_den) <= 3.5 * se(dens)


def test_the_estimate_follows_alpha_star_with_large_batches():
    game = ExactGame.random(3, step=0.0)
    n = 4096
    est = estimate_alpha(*game.sample_batch(np.random.default_rng(1), n))
    assert abs(est.alpha - game.moments.batch(n).alpha_star) < 0.15
    assert 0.0 <= est.alpha <= 1.0


def test_count_sketch_keeps_inner_products_on_average():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(size=500)
    width = 64
    values = [(lambda s: apply_sketch(a, s, width)[0] @ apply_sketch(b, s, width)[0])(count_sketch(500, width, seed))
              for seed in range(400)]
    assert abs(np.mean(values) - a @ b) <= 3.5 * np.std(values) / np.sqrt(len(values))
