"""The answer-level anchor (SPEC §2.6): the pure reward, its validation, and the simulator's use of it."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import Dynamics, coherence, default_game, verifier
from alft.games.anchor import Anchor, anchored_rewards, reference_rewards
from alft.games.dynamics import _tables, count_rewards, reference_linear, sample_counts


def test_exponent_and_gamma_describe_the_same_anchor():
    anchor = Anchor.from_exponent(2.0, 1.0)
    assert anchor.gamma == pytest.approx(0.5) and anchor.exponent == pytest.approx(2.0)
    assert Anchor(0.75, 1.5).exponent == pytest.approx(2.0)
    assert anchor.group_weight == pytest.approx(-0.5)


def test_anchored_reward_is_the_spec_formula():
    g, g_ref = get_estimator("aqp", 8).table, get_estimator("digamma", 65).table
    N, C, r = np.array([0, 3, 7, 1]), np.array([0, 10, 64, 2]), np.array([1.0, 0.0, 0.5, 0.0])
    rewards = anchored_rewards(N, C, g, g_ref, gamma=0.3, beta=1.2, verifier=r)
    assert np.allclose(rewards, r + (0.3 - 1.2) * g[N] + 1.2 * g_ref[C])
    assert np.allclose(reference_rewards(C, g_ref, 1.2), 1.2 * g_ref[C])


@pytest.mark.parametrize("name", ["digamma", "aqp", "plugin"])
def test_an_answer_never_drawn_in_the_reference_gets_a_finite_reward(name):
    table = get_estimator(name, 33).table
    rewards = anchored_rewards(np.array([0, 0]), np.array([0, 32]), get_estimator("aqp", 4).table, table, gamma=0.5, beta=1.0)
    assert np.all(np.isfinite(rewards)) and rewards[0] < rewards[1]  # unseen in the reference scores lower


def test_simulator_rewards_equal_the_pure_anchored_reward():
    """The simulator's count rewards in the anchored game are anchored_rewards sample by sample."""
    anchor = Anchor.from_exponent(2.0, 1.0, reference_draws=32)
    prompt, K = default_game().prompts[0], 6
    linear = verifier().linear_values(list(prompt.answers), prompt.scores) + reference_linear(prompt, anchor, seed=4)
    tables = _tables(verifier() + coherence(anchor.group_weight), "aqp", K, {})
    counts = sample_counts(np.random.default_rng(0), np.array([0.4, 0.3, 0.2, 0.1]), K, 50)
    reward, _ = count_rewards(counts, linear, tables, "loo")
    draws = sample_counts(np.random.default_rng([4, 32]), prompt.answer_reference, 32, 1)[0]
    expected = anchored_rewards(np.clip(counts - 1, 0, K - 1), draws[None, :], get_estimator("aqp", K).table,
                                get_estimator("digamma", 33).table, gamma=anchor.gamma, beta=anchor.beta,
                                verifier=np.asarray(prompt.scores))
    present = counts > 0
    assert np.allclose(reward[present], expected[present])


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: Anchor(1.0, 1.0), "gamma"),  # γ = β collapses
        (lambda: Anchor(0.5, 0.0), "beta"),
        (lambda: Anchor(float("nan"), 1.0), "gamma"),
        (lambda: Anchor.from_exponent(1.0, 1.0), "exponent"),
        (lambda: Anchor.from_exponent(float("inf"), 1.0), "exponent"),
        (lambda: Anchor(0.5, 1.0, reference_draws=1), "reference_draws"),
        (lambda: Anchor(0.5, 1.0, reference_draws=256), "reference_draws"),
        (lambda: anchored_rewards(np.array([4]), np.array([0]), np.zeros(4), np.zeros(3), gamma=0.5, beta=1.0), "group_counts"),
        (lambda: anchored_rewards(np.array([0]), np.array([3]), np.zeros(4), np.zeros(3), gamma=0.5, beta=1.0), "reference_counts"),
        (lambda: anchored_rewards(np.array([0]), np.array([0]), np.array([-np.inf, 0]), np.zeros(3), gamma=0.5, beta=1.0), "group_table"),
        (lambda: anchored_rewards(np.array([0]), np.array([0]), np.zeros(4), np.zeros(3), gamma=2.0, beta=1.0), "gamma"),
    ],
)
def test_bad_anchor_input(make, field):
    with pytest.raises(AlftInputError, match=field):
        make()


def test_anchored_objective_may_only_add_linear_terms():
    from alft.games.dynamics import run

    with pytest.raises(AlftInputError, match="objective"):
        run(default_game(), coherence(0.5), "exact", 4, anchor=Anchor(0.5, 1.0))
    assert run(default_game(), verifier(), "exact", 4, Dynamics(steps=5), anchor=Anchor(0.5, 1.0)).final_tv >= 0


@pytest.mark.parametrize("s", [1.5, 2.0, 3.0])
def test_the_training_reward_of_the_sharpened_objective_is_the_anchored_formula(s):
    """alft.games.Reward(objective=sharpened(s)) — what TRL, verl and alft train use — gives
    R = (γ − β)·g[N] + β·g_ref[C_ref] with γ = β(1 − 1/s), β = 1: the formula the simulator plays."""
    from alft.games import Reward, batch_group_rewards
    from alft.games.objectives import sharpened

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
