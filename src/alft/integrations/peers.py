"""Group rewards of the peer methods alft is compared with (SPEC §5), on answer class ids. numpy only.

* **TTRL** (test-time RL): reward 1 if a completion's answer is its group's majority answer, else 0.
  Ties go to the class seen first; unextractable completions get 0 and never form the majority.
* **EMPO** (semantic-entropy minimisation): reward log(c_i/K), c_i the size of the completion's answer class
  counting itself, with EMPO's entropy gate: a group whose answer entropy exceeds ``max_entropy`` carries no
  reliable consensus and gets reward 0 for every completion (no advantage). The gate is EMPO's; its default
  threshold, 0.75·log K, is our choice [DESIGN]. An unextractable completion counts as its own class (c = 1).

Both rewards are finite by construction, for every group (all unextractable included).
"""

from __future__ import annotations

import math

import numpy as np

from alft.errors import require
from alft.integrations.groups import ClassIds

PEER_METHODS = ("ttrl", "empo")


def _class_sizes(ids: tuple[int | None, ...]) -> np.ndarray:
    """c_i per completion: its class size counting itself; 1 for an unextractable completion."""
    known = [i for i in ids if i is not None]
    counts = np.bincount(known) if known else np.zeros(0, dtype=int)
    return np.array([1 if i is None else counts[i] for i in ids], dtype=float)


def majority_vote_rewards(class_ids: ClassIds) -> np.ndarray:
    """TTRL's reward, flat over the batch.

    Args:
        class_ids: per group, one class id per completion (``None`` = unextractable).

    Returns:
        1.0 where the completion's class is its group's majority class, else 0.0.
    """
    rewards = []
    for ids in class_ids:
        known = [i for i in ids if i is not None]
        majority = int(np.argmax(np.bincount(known))) if known else None  # argmax: first (lowest id) on ties
        rewards.extend(1.0 if (i is not None and i == majority) else 0.0 for i in ids)
    return np.asarray(rewards, dtype=float)


def log_frequency_rewards(class_ids: ClassIds, max_entropy: float | None = None) -> np.ndarray:
    """EMPO's reward log(c_i/K), flat over the batch, with the entropy gate.

    Args:
        class_ids: per group, one class id per completion.
        max_entropy: groups whose answer entropy (nats, unextractable completions as singletons) is above
            this get reward 0; ``None`` for 0.75·log K.

    Returns:
        Finite rewards, in [log(1/K), 0].
    """
    rewards = []
    for ids in class_ids:
        K = len(ids)
        require(K >= 2, "group size", K, "at least 2 completions per group")
        gate = 0.75 * math.log(K) if max_entropy is None else max_entropy
        require(math.isfinite(gate) and gate >= 0, "max_entropy", max_entropy, "a finite number ≥ 0")
        sizes = _class_sizes(ids)
        entropy = float(-np.mean(np.log(sizes / K)))  # Σ_classes f log f rewritten per completion
        rewards.extend(np.zeros(K) if entropy > gate else np.log(sizes / K))
    return np.asarray(rewards, dtype=float)
