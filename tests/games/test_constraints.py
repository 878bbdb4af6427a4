"""Constraints: projected dual ascent, Lagrangian rewards, constraint games end within tolerance."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.games import Constraint, DualState, Reward, constrained, diversity, group_rewards
from alft.games.dynamics import Dynamics, equilibria, run
from alft.games.tabular import default_game

UNSAFE = Constraint("unsafe", {"7", "0", "2"}, 0.05)


def test_dual_ascent_is_projected_and_pure():
    state = DualState((UNSAFE, Constraint("fair", lambda a: float(a == "12"), 0.4, ">=")), step=0.5)
    up = state.update([0.25, 0.1])
    assert up.multipliers == pytest.approx((0.1, 0.15))
    assert state.multipliers == (0.0, 0.0)  # the old state is unchanged
    assert up.update({"unsafe": 0.0, "fair": 0.9}).multipliers == pytest.approx((0.075, 0.0))


def test_equality_multiplier_may_go_negative():
    state = DualState((Constraint("share", {"a"}, 0.5, "=="),), step=1.0)
    assert state.update([0.2]).multipliers == pytest.approx((-0.3,))


def test_lagrangian_reward_penalises_the_constrained_answers():
    state = DualState((UNSAFE,), (2.0,))
    answers = ["7", "12", "12", "0"]
    base = group_rewards(answers, Reward(diversity(), "digamma")).rewards
    with_constraint = group_rewards(answers, Reward(constrained(diversity(), state), "digamma")).rewards
    assert np.allclose(with_constraint - base, [-2.0, 0.0, 0.0, -2.0])


def test_batch_estimate_is_the_mean_indicator():
    assert DualState((UNSAFE,)).estimate(["7", "1", None, "2"]) == pytest.approx([0.5])


@pytest.mark.parametrize(
    "make, field",
    [
        (lambda: Constraint("c", {"a"}, 0.1, "<"), "kind"),
        (lambda: Constraint("c", {"a"}, float("nan")), "bound"),
        (lambda: Constraint("c", "a", 0.1), "indicator"),
        (lambda: DualState((UNSAFE,), (0.0, 1.0)), "multipliers"),
        (lambda: DualState((UNSAFE,)).update([float("nan")]), r"batch_estimates\[0\]"),
        (lambda: DualState((UNSAFE,)).update([0.1, 0.2]), "batch_estimates"),
        (lambda: DualState((UNSAFE,)).estimate([]), "answers"),
        (lambda: Constraint("c", lambda a: float("inf"), 0.1).values(["x"]), "c"),
    ],
)
def test_bad_constraint_input(make, field):
    with pytest.raises(AlftInputError, match=field):
        make()


@pytest.mark.parametrize("constraint", [UNSAFE, Constraint("fair", {"12", "6", "42"}, 0.6, ">="), Constraint("eq", {"13", "8", "24"}, 0.2, "==")])
def test_constraint_game_ends_within_tolerance(constraint):
    """Exact dynamics with dual ascent reach the constrained optimum and satisfy the constraint to 1e−4."""
    game, objective, dual = default_game(), diversity(0.5), DualState((constraint,))
    trajectory = run(game, objective, "exact", 8, Dynamics(steps=1500, dual_step=1.0), dual=dual)
    value = trajectory.constraint_values[0]
    unconstrained = np.mean([float(sum(p[i] for i, a in enumerate(pr.answers) if a in constraint.indicator))
                             for pr, p in zip(game.prompts, equilibria(game, objective))])
    assert not constraint.satisfied(unconstrained, 1e-3)  # the constraint binds
    assert constraint.satisfied(value, 1e-4) and abs(value - constraint.bound) < 1e-4  # active at the optimum
    assert trajectory.final_tv < 1e-6  # and the policy is at the exact constrained optimum
