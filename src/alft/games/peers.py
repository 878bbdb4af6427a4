"""Group rewards of the peer methods alft is compared with (docs/concepts/peers.md). numpy only.

Peers are not objectives: they have no F(p) and no equilibrium, only a rule that scores a group.

* **TTRL** (test-time RL): reward 1 if a completion's answer is its group's majority answer, else 0.
  Ties go to the class seen first; unanswered completions get 0 and never form the majority.
* **EMPO** (semantic-entropy minimisation): reward log(c_i/K), c_i the size of the completion's answer class
  counting itself, with EMPO's entropy gate: a group whose answer entropy exceeds ``max_entropy`` carries no
  reliable consensus and gets reward 0 for every completion (no advantage). The gate is EMPO's; its default
  threshold, 0.75·log K, is our choice [DESIGN]. An unanswered completion counts as its own class (c = 1).

Both rewards are finite by construction, for every group (all unanswered included). Groups are integer
label arrays of shape (G, K) with −1 for an unanswered completion (:data:`alft.answers.stats.UNANSWERED`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alft.answers.stats import UNANSWERED, class_sizes, majority_labels
from alft.errors import AlftInputError, require

PEERS = ("ttrl", "empo")


def majority_vote_rewards(ids: np.ndarray) -> np.ndarray:
    """TTRL's reward: 1.0 where the completion's answer is its group's majority answer, else 0.0.

    Args:
        ids: (G, K) integer answer labels, −1 for unanswered.
    """
    majority = majority_labels(ids)
    return ((ids == majority[:, None]) & (ids != UNANSWERED)).astype(float)


def log_frequency_rewards(ids: np.ndarray, max_entropy: float | None = None) -> np.ndarray:
    """EMPO's reward log(c_i/K) with the entropy gate.

    Args:
        ids: (G, K) integer answer labels, −1 for unanswered.
        max_entropy: groups whose answer entropy (nats, unanswered completions as singletons) is above
            this get reward 0; ``None`` for 0.75·log K.

    Returns:
        (G, K) finite rewards in [log(1/K), 0].
    """
    K = ids.shape[1]
    require(K >= 2, "group size", K, "at least 2 completions per group")
    gate = 0.75 * math.log(K) if max_entropy is None else max_entropy
    require(math.isfinite(gate) and gate >= 0, "max_entropy", max_entropy, "a finite number ≥ 0")
    log_freq = np.log(np.maximum(class_sizes(ids), 1) / K)  # an unanswered completion is a class of one
    entropy = -log_freq.mean(axis=1)  # Σ_classes f log f rewritten per completion
    return np.where(entropy[:, None] > gate, 0.0, log_freq)


@dataclass(frozen=True)
class Peer:
    """A peer method's group rule (docs/concepts/peers.md).

    Attributes:
        name: ``ttrl`` or ``empo``.
    """

    name: str

    def __post_init__(self) -> None:
        if self.name not in PEERS:
            raise AlftInputError(f"peer: got {self.name!r}, expected one of {', '.join(PEERS)}")

    uses_verifier = False

    def rewards(self, ids: np.ndarray) -> np.ndarray:
        """(G, K) rewards for (G, K) answer labels (−1 = unanswered)."""
        return majority_vote_rewards(ids) if self.name == "ttrl" else log_frequency_rewards(ids)
