"""The game layer (SPEC §2): objectives, group rewards, the target player, constraints and exact
tabular games. numpy/scipy only: no torch here.

>>> from alft.games import coherence, verifier, group_rewards
>>> group_rewards(["4", "4", "5", None], 0.5 * coherence() + verifier(), "aqp",
...               verifier_scores=[1, 1, 0, 0]).rewards
"""

from alft.games.constraints import Constraint, DualState, constrained
from alft.games.group import (
    UNEXTRACTABLE_POLICIES,
    BatchRewards,
    GroupRewards,
    batch_group_rewards,
    group_rewards,
)
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
    "OBJECTIVES",
    "UNEXTRACTABLE_POLICIES",
    "BatchRewards",
    "Constraint",
    "DualState",
    "GroupRewards",
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
    "verifier",
]
