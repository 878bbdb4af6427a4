"""Sampled groups in count form, for the game dynamics (:mod:`alft.games.dynamics`): G groups of K answers drawn
as multinomial counts, and each sample's group reward and baseline from its answer's count.

The rewards are :func:`alft.games.group_rewards`' (own-class), sample by sample, through the same
:meth:`alft.estimators.Estimator.rewards` lookup; counts make them cost O(G·A), not O(G·K). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alft.estimators import Estimator, get_estimator
from alft.games.objectives import Objective


@dataclass(frozen=True)
class CountTables:
    """The estimators of a sampled run: for groups of K, and of K − 1 (the leave-one-out baseline's group
    without the sample). None: the objective has no estimated part, or K = 2 (a group of one has no estimate)."""

    g: Estimator | None
    g_loo: Estimator | None

    def own(self, n: np.ndarray) -> np.ndarray:
        """g[n] of the group of K, per answer (n = n_z − 1)."""
        return _lookup(self.g, n)

    def without_one(self, n: np.ndarray) -> np.ndarray:
        """g[n] of the group of K − 1, per answer."""
        return _lookup(self.g_loo, n)


def _lookup(estimator: Estimator | None, n: np.ndarray) -> np.ndarray:
    """:meth:`Estimator.rewards` at n clipped below at 0, and 0 at n ≥ K of the table and without a table.

    The clipped and zeroed entries carry no weight: n < 0 is an answer not drawn (or a term weighted by
    n_z − 1 = 0), and n = K of the K − 1 table (one answer fills the group) cancels out of the baseline."""
    if estimator is None:
        return np.zeros(n.shape)
    return np.where(n >= estimator.K, 0.0, estimator.rewards(np.clip(n, 0, estimator.K - 1)))


def count_tables(objective: Objective, name: str, K: int, params: dict) -> CountTables:
    target = objective.target
    if target is None:
        return CountTables(None, None)
    g_loo = get_estimator(name, K - 1, target=target, **params) if K > 2 else None
    return CountTables(get_estimator(name, K, target=target, **params), g_loo)


def sample_counts(rng: np.random.Generator, p: np.ndarray, K: int, G: int) -> np.ndarray:
    """G multinomial(K, p) count vectors, by sequential binomials (vectorised over groups)."""
    counts = np.zeros((G, p.size), dtype=np.int64)
    remaining = np.full(G, K, dtype=np.int64)
    mass = 1.0
    for z in range(p.size - 1):
        prob = min(1.0, max(0.0, p[z] / mass)) if mass > 0 else 0.0
        counts[:, z] = rng.binomial(remaining, prob)
        remaining -= counts[:, z]
        mass -= p[z]
    counts[:, -1] = remaining
    return counts


def count_rewards(counts: np.ndarray, linear: np.ndarray, tables: CountTables, baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """(reward, baseline) of a sample with answer z in each group, shape (G, A), from answer counts.

    Equal to :func:`alft.games.group_rewards` (own-class) sample by sample: every sample of answer z
    has N = n_z − 1 (rewards are only meaningful where n_z ≥ 1).
    """
    K = int(counts[0].sum())
    reward = linear[None, :] + tables.own(counts - 1)
    if baseline == "none":
        return reward, np.zeros_like(reward)
    if baseline == "mean":
        return reward, np.broadcast_to((counts * reward).sum(axis=1, keepdims=True) / K, reward.shape)
    # Leave-one-out (docs/concepts/estimators.md#grpo-caveats): the others' rewards in the group without this sample, K−1 tables.
    own = tables.without_one(counts - 1)
    total = (counts * (linear[None, :] + own)).sum(axis=1, keepdims=True)
    fewer = tables.without_one(counts - 2)
    return reward, (total - counts * own - linear[None, :] + (counts - 1) * fewer) / (K - 1)
