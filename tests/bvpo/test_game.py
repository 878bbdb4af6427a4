"""The exact BVPO game (src/alft/bvpo/game.py, mixing.py): gradients, the MSE decomposition, α*, the variance
identity and Monte Carlo, against enumeration (issue 23's exact-game targets)."""

import itertools

import numpy as np
import pytest

from alft.bvpo import ExactGame, GradientMoments, TableModel, grid_minimiser
from alft.bvpo.game import EMPTY
from alft.errors import AlftInputError

GAMES = [ExactGame.random(seed) for seed in range(24)]


def _flat(model: TableModel) -> np.ndarray:
    X, R, Y = model.shape
    return np.concatenate([np.concatenate([model.z[x], model.u[x], model.w[x].ravel()]) for x in range(X)])


def _unflat(theta: np.ndarray, shape) -> TableModel:
    X, R, Y = shape
    blocks = theta.reshape(X, R + Y + R * Y)
    return TableModel(blocks[:, :R].copy(), blocks[:, R:R + Y].copy(), blocks[:, R + Y:].reshape(X, R, Y).copy())


def _finite_difference(model: TableModel, f, h=1e-6) -> np.ndarray:
    theta = _flat(model)
    out = np.empty_like(theta)
    for i in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(_unflat(up, model.shape)) - f(_unflat(down, model.shape))) / (2 * h)
    return out


def test_gradients_match_finite_differences():
    model = GAMES[1].policy
    x, r, y = 1, 2, 3
    assert np.allclose(model.grad_log_joint(x, r, y), _finite_difference(model, lambda m: m.log_joint[x, r, y]), atol=1e-7)
    assert np.allclose(model.grad_log_marginal(x, y), _finite_difference(model, lambda m: m.log_marginal[x, y]), atol=1e-7)
    assert np.allclose(model.grad_log_empty(x, y),
                       _finite_difference(model, lambda m: m.log_answer_given_trace[x, EMPTY, y]), atol=1e-7)


def test_outcome_probabilities_sum_to_one_per_prompt():
    game = GAMES[0]
    for outcomes in (game.marginal_outcomes, game.trace_outcomes, game.empty_outcomes):
        assert all(abs(p.sum() - 1) < 1e-12 for p in outcomes.probs)


def _direct_mse(game: ExactGame, alpha: float) -> float:
    """E‖α g_t + (1−α) g_e − μ‖² by enumerating the joint outcomes (g_t, g_e independent given the prompt)."""
    t, e = game.trace_outcomes, game.empty_outcomes
    total = 0.0
    for x in range(game.policy.shape[0]):
        for (pt, gt), (pe, ge) in itertools.product(zip(t.probs[x], t.grads[x]), zip(e.probs[x], e.grads[x])):
            d = alpha * gt + (1 - alpha) * ge - game.mu
            total += pt * pe * (d @ d)
    return total / game.policy.shape[0]


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_the_decomposition_equals_the_enumerated_mse(alpha):
    game = GAMES[2]
    assert game.moments.mse(alpha) == pytest.approx(_direct_mse(game, alpha), rel=1e-10)


@pytest.mark.parametrize("n", [1, 16])
def test_closed_form_equals_the_grid_minimiser_on_random_games(n):
    interior = 0
    for game in GAMES:
        moments = game.moments.batch(n)
        assert abs(moments.alpha_star - grid_minimiser(moments)) <= 1e-6
        interior += 0 < moments.alpha_star < 1
    assert interior >= 10  # the games exercise the unclipped case


def test_the_optimum_beats_both_endpoints_strictly_inside():
    checked = 0
    for game, n in itertools.product(GAMES, (1, 4, 64, 1024)):
        m = game.moments.batch(n)
        best, ends = m.mse(m.alpha_star), min(m.mse(0.0), m.mse(1.0))
        assert best <= ends + 1e-15
        if 1e-9 < m.alpha_star < 1 - 1e-9:
            assert best < ends
            checked += 1
    assert checked >= 20


def test_clipping_lands_on_an_endpoint():
    m = GradientMoments(np.zeros(2), np.array([1.0, 0.0]), var_trace=0.01, var_empty=0.5, cov_trace_empty=0.05)
    assert m.alpha_unclipped > 1 and m.alpha_star == 1.0 and grid_minimiser(m) == 1.0
    m = GradientMoments(np.zeros(2), np.zeros(2), var_trace=5.0, var_empty=0.1, cov_trace_empty=1.0)
    assert m.alpha_unclipped < 0 and m.alpha_star == 0.0 and grid_minimiser(m) == 0.0


@pytest.mark.parametrize("alpha", [0.0, 0.25, 0.5, 0.9, 1.0])
def test_variance_over_traces_is_alpha_squared_times_the_trace_variance(alpha):
    game = GAMES[3]
    var_c, var_t = game.trace_variance(alpha, x=0, trace_pair=(int(np.argmax(game.scores[0])), 0), empty_pair=(1, 2))
    assert var_t > 1e-4
    assert abs(var_c - alpha**2 * var_t) <= 1e-12


def test_the_trace_gradient_is_unbiased_at_the_reference_and_biased_away_from_it():
    at_reference = ExactGame.random(5, step=0.0).moments
    moved = ExactGame.random(5, step=1.0).moments
    assert at_reference.bias_trace @ at_reference.bias_trace < 1e-20
    assert moved.bias_trace @ moved.bias_trace > 1e-6
    assert at_reference.bias_empty @ at_reference.bias_empty > 1e-4  # the empty trace is biased even there


@pytest.mark.parametrize("alpha,n", [(0.0, 4), (0.5, 8), (1.0, 2)])
def test_monte_carlo_mse_within_three_standard_errors(alpha, n):
    game = GAMES[4]
    mean, se = game.monte_carlo_mse(alpha, n, batches=4000, seed=11)
    exact = game.moments.batch(n).mse(alpha)
    assert abs(mean - exact) <= 3 * se, (mean, exact, se)


def test_bad_games_are_refused():
    game = GAMES[0]
    with pytest.raises(AlftInputError, match="beta"):
        ExactGame(game.policy, game.reference, game.scores, beta=0.0)
    with pytest.raises(AlftInputError, match="distinct scores"):
        ExactGame(game.policy, game.reference, np.ones_like(game.scores))
    with pytest.raises(AlftInputError, match="alpha"):
        game.trace_variance(1.5, 0, (0, 1), (0, 1))
    with pytest.raises(AlftInputError, match="finite logits"):
        TableModel(game.policy.z * np.nan, game.policy.u, game.policy.w)
