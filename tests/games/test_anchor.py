"""The answer-level anchor (docs/concepts/game.md#the-anchor), one game: the objective ``sharpened(s)`` that training plays is the one the
simulator plays; both give the formula R = r + (γ − β)·g[N] + β·g_ref[C_ref], written out here."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import Dynamics, Reward, batch_group_rewards, coherence, default_game, verifier
from alft.games.dynamics import ReferenceDraws, reference_log_p_of, run
from alft.games.sampled_groups import count_rewards, count_tables, sample_counts
from alft.games.objectives import anchor, parse_objective, sharpened
from alft.games.reward import reference_log_p, reference_table


def anchored_rewards(group_counts, reference_counts, group_table, reference_table_, *, gamma, beta, verifier_scores=0.0):
    """docs/concepts/game.md#the-anchor written out: R = r + (γ − β)·g[N] + β·g_ref[C_ref]."""
    return (np.asarray(verifier_scores, dtype=float) + (gamma - beta) * np.asarray(group_table)[group_counts]
            + beta * np.asarray(reference_table_)[reference_counts])


def test_the_sharpened_objective_has_the_weights_of_its_exponent():
    objective = sharpened(2.0, beta=1.5)
    assert objective.anchor_weights == pytest.approx((0.75, 1.5)) and objective.sharpening == pytest.approx(2.0)
    assert parse_objective("sharpened:2") == sharpened(2.0)
    assert (coherence(0.75) + anchor(1.5)).sharpening == pytest.approx(2.0)


@pytest.mark.parametrize("name", ["digamma", "aqp", "plugin"])
def test_an_answer_never_drawn_in_the_reference_gets_a_finite_log_p(name):
    values = reference_log_p(np.array([0, 32]), reference_table(name, 32))
    assert np.all(np.isfinite(values)) and values[0] < values[1]  # unseen in the reference scores lower


def test_simulator_rewards_equal_the_formula():
    """The simulator's count rewards in the anchored game are the formula, sample by sample."""
    objective, reference = sharpened(2.0) + verifier(), ReferenceDraws(32, "digamma")
    prompt, K = default_game().prompts[0], 6
    linear = objective.linear_values(list(prompt.answers), prompt.scores, reference_log_p_of(prompt, reference, seed=4))
    counts = sample_counts(np.random.default_rng(0), np.array([0.4, 0.3, 0.2, 0.1]), K, 50)
    reward, _ = count_rewards(counts, linear, count_tables(objective, "aqp", K, {}), "loo")
    draws = sample_counts(np.random.default_rng([4, 32]), prompt.answer_reference, 32, 1)[0]
    expected = anchored_rewards(np.clip(counts - 1, 0, K - 1), draws[None, :], get_estimator("aqp", K).table,
                                get_estimator("digamma", 33).table, gamma=0.5, beta=1.0,
                                verifier_scores=np.asarray(prompt.scores))
    present = counts > 0
    assert np.allclose(reward[present], expected[present])


@pytest.mark.parametrize("s", [1.5, 2.0, 3.0])
def test_the_training_reward_of_the_sharpened_objective_is_the_formula(s):
    """alft.games.Reward(objective=sharpened(s)) — what TRL, verl and alft train use — gives the formula with
    γ = β(1 − 1/s), β = 1: the same game the simulator plays (test above)."""
    K, M = 8, 32
    rng = np.random.default_rng(int(10 * s))
    answers = [str(a) for a in rng.integers(0, 4, 4 * K)]
    reference = rng.integers(0, M + 1, 4 * K)
    reward = Reward(objective=sharpened(s), estimator="aqp", reference_estimator="digamma")
    got = batch_group_rewards(answers, K, reward, reference_counts=reference, reference_draws=M, loo_baseline=False)
    groups = np.array(answers).reshape(-1, K)
    loo = (groups[:, :, None] == groups[:, None, :]).sum(axis=2).ravel() - 1  # N_i: the others with z_i's answer
    expected = anchored_rewards(loo, reference, get_estimator("aqp", K).table, get_estimator("digamma", M + 1).table,
                                gamma=1.0 - 1.0 / s, beta=1.0)
    assert np.allclose(got.rewards, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: sharpened(1.0), "sharpening"),
        (lambda: sharpened(float("inf")), "sharpening"),
        (lambda: sharpened(2.0, beta=0.0), "beta"),
        (lambda: reference_table("digamma", 0), "reference draws"),
        (lambda: reference_table("digamma", 256), "reference draws"),
        (lambda: reference_table("ustat", 8), "reference_estimator"),
        (lambda: reference_log_p(np.array([9]), reference_table("digamma", 8)), "reference_counts"),
        (lambda: reference_log_p(np.array([0.5]), reference_table("digamma", 8)), "reference_counts"),
    ],
)
def test_bad_anchor_input(make, field):
    with pytest.raises(AlftInputError, match=field):
        make()


def test_the_simulator_refuses_what_has_no_anchored_equilibrium():
    with pytest.raises(AlftInputError, match="objective"):  # γ = β: the collapse
        run(default_game(), coherence(1.0) + anchor(1.0), "exact", 4, Dynamics(steps=2))
    with pytest.raises(AlftInputError, match="diversity"):  # another estimated term: no closed form here
        run(default_game(), sharpened(2.0) + parse_objective("0.1*diversity"), "exact", 4, Dynamics(steps=2))
    trajectory = run(default_game(), sharpened(2.0) + verifier(), "exact", 4, Dynamics(steps=300))
    assert trajectory.tv_curve[-1] < trajectory.tv_curve[0]  # the exact gradient moves toward p*
