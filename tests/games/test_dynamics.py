"""Tabular game dynamics: the exact control reaches p*, sampled runs settle at the estimator's fixed point."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.games import (
    Dynamics,
    TabularPrompt,
    bregman,
    coherence,
    default_game,
    diversity,
    fixed_point_tv,
    gini_diversity,
    pairwise_coherence,
    run,
    total_variation,
    verifier,
)
from alft.games.dynamics import equilibria, sample_counts

GAME = default_game()
EXACT_OBJECTIVES = [
    0.5 * coherence(), 0.5 * diversity(), gini_diversity(), 0.4 * pairwise_coherence(), verifier(),
    bregman("kl", 0.5), bregman("l2"), bregman("tsallis:3"), bregman("kl+l2:0.5", 0.3),
    0.3 * coherence() + verifier(),
]


@pytest.mark.parametrize("objective", EXACT_OBJECTIVES, ids=lambda o: o.name)
def test_exact_gradient_reaches_equilibrium(objective):
    trajectory = run(GAME, objective, "exact", 8, Dynamics(steps=400))
    assert trajectory.final_tv < 1e-6
    start = np.mean([total_variation(pr.answer_reference, p) for pr, p in zip(GAME.prompts, equilibria(GAME, objective))])
    assert start > 0.01  # it started away from p*


def test_mean_field_run_reaches_the_predicted_fixed_point():
    objective = 0.5 * coherence()
    trajectory = run(GAME, objective, "mean:plugin", 4, Dynamics(steps=400))
    assert trajectory.final_tv == pytest.approx(fixed_point_tv(GAME, objective, "plugin", 4), abs=1e-9)


def test_sampled_plugin_shifts_and_unbiased_polynomial_does_not():
    """The plug-in's bias, not noise, decides where sampled dynamics settle (SPEC §3.7)."""
    dynamics = Dynamics(steps=200, groups=500)
    objective = 0.5 * coherence()
    plugin = run(GAME, objective, "plugin", 4, dynamics, seed=1)
    predicted = fixed_point_tv(GAME, objective, "plugin", 4)
    assert predicted > 0.1 and plugin.final_tv == pytest.approx(predicted, abs=0.01)
    unbiased = run(GAME, 0.4 * pairwise_coherence(), "ustat", 4, dynamics, seed=1)
    assert unbiased.final_tv < 0.01


def test_same_seed_same_numbers_and_baselines_differ_only_in_noise():
    dynamics = Dynamics(steps=40, groups=200)
    first = run(GAME, 0.5 * diversity(), "aqp", 8, dynamics, seed=5)
    again = run(GAME, 0.5 * diversity(), "aqp", 8, dynamics, seed=5)
    assert np.array_equal(first.tv_curve, again.tv_curve)
    other = run(GAME, 0.5 * diversity(), "aqp", 8, dynamics, seed=6)
    assert not np.array_equal(first.tv_curve, other.tv_curve)


def test_group_mean_baseline_shifts_the_fixed_point_relative_to_loo():
    """GRPO's mean baseline contains the sample's own reward: E scales R by (K−1)/K (SPEC §3.8)."""
    objective, dynamics = 0.4 * pairwise_coherence(), Dynamics(steps=300, groups=2000)
    loo = run(GAME, objective, "ustat", 2, dynamics, seed=0)
    mean = run(GAME, objective, "ustat", 2, Dynamics(steps=300, groups=2000, baseline="mean"), seed=0)
    assert loo.final_tv < 0.01 < mean.final_tv


def test_sample_counts_are_multinomial():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    counts = sample_counts(np.random.default_rng(0), p, 8, 50_000)
    assert np.all(counts.sum(axis=1) == 8) and np.all(counts[:, 3] == 0)
    assert np.allclose(counts.mean(axis=0) / 8, p, atol=0.005)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: Dynamics(steps=0), "steps"),
        (lambda: Dynamics(baseline="median"), "baseline"),
        (lambda: Dynamics(step_size=float("nan")), "step_size"),
        (lambda: run(GAME, coherence(0.5), "mle", 4), "method"),
        (lambda: run(GAME, verifier(), "exact", 1), "K"),
        (lambda: TabularPrompt(("a", "b"), (0, 0), (0.5, 0.5)), "trace_answer"),
        (lambda: TabularPrompt(("a",), (0,), (-1.0,)), "reference"),
    ],
)
def test_bad_simulation_input(make, field):
    with pytest.raises(AlftInputError, match=field):
        make()
