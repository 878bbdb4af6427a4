"""Tabular game dynamics: the exact control reaches p*, sampled runs settle at the estimator's fixed point."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import (
    Dynamics,
    Objective,
    Trajectory,
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
from alft.games.dynamics import ReferenceDraws
from alft.games.objectives import anchor as anchor_term, sharpened
from alft.games.sampled_groups import count_tables
from alft.games.dynamics import _sampled_oracle, equilibria, initial_state, parse_method, sample_counts, setup, step

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
    """The plug-in's bias, not noise, decides where sampled dynamics settle (docs/concepts/estimators.md#bias-moves-the-equilibrium)."""
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
    """GRPO's mean baseline contains the sample's own reward: E scales R by (K−1)/K (docs/concepts/estimators.md#grpo-caveats)."""
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


@pytest.mark.parametrize("objective", [sharpened(2.0), sharpened(3.0, beta=0.5),
                                       coherence(0.3) + anchor_term(1.0) + verifier()],
                         ids=["s=2", "s=3", "gamma+verifier"])
def test_exact_gradient_reaches_the_anchored_equilibrium(objective):
    """docs/concepts/game.md#the-anchor: with the KL carried by the reward, the exact control reaches p* ∝ p_ref^s·exp(r/(β−γ))."""
    trajectory = run(GAME, objective, "exact", 8, Dynamics(steps=400))
    assert trajectory.final_tv < 1e-6
    gamma, beta = objective.anchor_weights
    for prompt, p in zip(GAME.prompts, trajectory.final_p):
        r = verifier().linear_values(list(prompt.answers), prompt.scores) if objective.uses_verifier else 0.0
        expected = prompt.answer_reference ** objective.sharpening * np.exp(r / (beta - gamma))
        assert np.allclose(p, expected / expected.sum(), atol=1e-6)


def test_reference_draws_move_the_anchored_fixed_point_to_the_drawn_reference():
    """With M reference answers the exact control settles at p ∝ exp(β·g_ref[C]/(β−γ)), not at p*."""
    trajectory = run(GAME, sharpened(2.0), "exact", 8, Dynamics(steps=400), reference=ReferenceDraws(16), seed=3)
    table = get_estimator("digamma", 17).table
    for prompt, p in zip(GAME.prompts, trajectory.final_p):
        counts = sample_counts(np.random.default_rng([3, 16]), prompt.answer_reference, 16, 1)[0]
        expected = np.exp(1.0 * table[counts] / (1.0 - 0.5))
        assert np.allclose(p, expected / expected.sum(), atol=1e-6)
    assert trajectory.final_tv > 1e-3  # 16 draws are not p_ref


def test_an_answer_whose_probability_underflowed_gets_a_zero_estimate_not_nan():
    """In the anchored game at small K no table reaches log p* of the tail, so a tail answer's p_π can
    underflow to 0 (seen at K = 8, aqp, M = 128); its per-answer estimate must be 0, not 0/0."""
    tables = count_tables(coherence(-0.5), "aqp", 8, {})
    oracle = _sampled_oracle(tables, 8, Dynamics(groups=50))
    per_answer, shares = oracle(np.array([0.6, 0.4, 0.0]), np.zeros(3), np.random.default_rng(0))
    assert np.all(np.isfinite(per_answer)) and per_answer[2] == 0.0 and shares[2] == 0.0


def test_methods_carry_estimator_parameters():
    assert parse_method("aqp:kappa=4").params == (("kappa", 4.0),)
    assert parse_method("aqp", {"kappa": 2}).label == "aqp:kappa=2"
    assert parse_method("aqp:kappa=4", {"kappa": 2}).label == "aqp:kappa=4"  # the entry's own value wins
    assert parse_method("mean:aqp-floor:c=0.5").kind == "mean"
    tuned = run(GAME, 0.5 * coherence(), "mean:aqp:kappa=1.25", 8, Dynamics(steps=300))
    assert tuned.method == "mean:aqp:kappa=1.25"
    assert tuned.final_tv == pytest.approx(fixed_point_tv(GAME, 0.5 * coherence(), "aqp", 8, {"kappa": 1.25}), abs=1e-9)
    assert tuned.final_tv < fixed_point_tv(GAME, 0.5 * coherence(), "aqp", 8) / 5  # κ moves the fixed point


def test_step_is_pure():
    fixed = setup(GAME, 0.5 * diversity(), parse_method("aqp"), 4, Dynamics(groups=20))
    state = initial_state(fixed)
    before = [theta.copy() for theta in state.logits]
    first = step(fixed, state, np.random.default_rng(1))
    again = step(fixed, state, np.random.default_rng(1))
    assert all(np.array_equal(a, b) for a, b in zip(state.logits, before))  # the input state is untouched
    assert all(np.array_equal(a, b) for a, b in zip(first.logits, again.logits)) and first.step == 1


def test_samples_to_counts_until_the_curve_stays_below():
    trajectory = Trajectory("aqp", np.array([10, 20, 30, 40]), np.array([0.5, 0.01, 0.2, 0.01]), 0.01, (), samples_per_step=32)
    assert trajectory.steps_to(0.05) == 20  # first dip
    assert trajectory.settles_within(0.05) == 40 and trajectory.samples_to(0.05) == 40 * 32
    assert trajectory.settles_within(0.001) is None and trajectory.samples_to(0.001) is None
    assert Trajectory("exact", np.array([10]), np.array([0.0]), 0.0, ()).samples_to(0.05) is None


@pytest.mark.parametrize("method", ["aqp:kappa", "aqp:kappa=x", "mle:kappa=1", "mean:"])
def test_bad_method_strings(method):
    with pytest.raises(AlftInputError, match="method"):
        parse_method(method)


def test_anchor_and_constraints_together_are_refused():
    from alft.games import Constraint, DualState

    with pytest.raises(AlftInputError, match="dual"):
        run(GAME, sharpened(2.0), "exact", 4, Dynamics(steps=2), dual=DualState((Constraint("c", {"7"}, 0.1),)))


def test_the_old_name_compare_still_runs_the_methods_with_a_warning():
    from alft.games import compare, run_methods

    args = (GAME, 0.5 * coherence(), ["plugin"], 4, Dynamics(steps=5, groups=8))
    with pytest.warns(FutureWarning, match="run_methods"):
        old = compare(*args)
    assert old["plugin"][0].final_tv == run_methods(*args)["plugin"][0].final_tv
