"""The game layer (docs/concepts/game.md): objectives, group rewards, the target player, constraints and exact
tabular games. numpy/scipy only: no torch here.

>>> from alft.games import Reward, group_rewards
>>> reward = Reward(estimator="aqp")      # the anchored game p* ∝ p_ref^2; validated once, carried unchanged
>>> group_rewards(["4", "4", "5", None], reward, reference_counts=[5, 5, 2, 1], reference_draws=8).rewards
"""

from alft.games.constraints import Constraint, DualState, constrained, parse_constraint
from alft.games.peers import PEERS, Peer, log_frequency_rewards, majority_vote_rewards
from alft.games.reward import UNEXTRACTABLE_POLICIES, Reward, parse_estimator_params, reward_fields
from alft.games.group import (
    BatchRewards,
    GroupRewards,
    PreflightGroup,
    batch_group_rewards,
    group_rewards,
    preflight,
    preflight_group,
)
from alft.games.dynamics import Dynamics, Trajectory, compare, equilibria, fixed_point_tv, run, run_methods
from alft.games.equilibrium import (
    closed_form_equilibrium,
    estimator_fixed_point,
    objective_equilibrium,
    stationary_point,
    total_variation,
)
from alft.games.tabular import TabularGame, TabularPrompt, default_game
from alft.games.objectives import (
    OBJECTIVES,
    Objective,
    Term,
    bregman,
    coherence,
    diversity,
    gini_diversity,
    pairwise_coherence,
    parse_objective,
    verifier,
)

__all__ = [
    "PEERS",
    "Peer",
    "Reward",
    "log_frequency_rewards",
    "majority_vote_rewards",
    "parse_constraint",
    "parse_estimator_params",
    "reward_fields",
    "OBJECTIVES",
    "Dynamics",
    "TabularGame",
    "TabularPrompt",
    "Trajectory",
    "closed_form_equilibrium",
    "compare",
    "run_methods",
    "equilibria",
    "default_game",
    "estimator_fixed_point",
    "fixed_point_tv",
    "objective_equilibrium",
    "run",
    "stationary_point",
    "total_variation",
    "UNEXTRACTABLE_POLICIES",
    "BatchRewards",
    "Constraint",
    "DualState",
    "GroupRewards",
    "PreflightGroup",
    "Objective",
    "Term",
    "batch_group_rewards",
    "bregman",
    "coherence",
    "constrained",
    "diversity",
    "gini_diversity",
    "group_rewards",
    "pairwise_coherence",
    "parse_objective",
    "preflight",
    "preflight_group",
    "verifier",
]
