"""The answer-level anchor (SPEC §2.6): the KL to the reference policy carried by the reward.

With coherence weight γ, KL weight β to p_ref and verifier reward r, the per-sample reward of
max_p r·p + γ Σ p log p − β KL(p ‖ p_ref) is, by the envelope argument of §2.1,

    R_i = r(z_i) + (γ − β)·log p̂(z_i) + β·log p̂_ref(z_i),

log p̂ from the group (a §3 table at K, indexed by the leave-one-out count N_i) and log p̂_ref from M
reference draws made once per prompt (a §3 table at size M + 1, indexed by the count C_ref(z_i) among
the M draws; an answer never drawn uses the entry C = 0, finite for every registered log table). Its
stationary point is p* ∝ p_ref^s·exp(r/(β − γ)) with the sharpening exponent s = β/(β − γ).

numpy only. The exact-game simulator plays this game through :class:`Anchor`; the training reward writes the
same R through the objective terms ``sharpened(s)`` = β(1 − 1/s)·coherence + β·anchor (:mod:`alft.games.objectives`)
and :class:`alft.games.Reward`. :func:`anchored_rewards` is the formula written out, against which both are tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alft.errors import AlftInputError
from alft.estimators import MAX_K

MIN_REFERENCE_DRAWS = 2
MAX_REFERENCE_DRAWS = MAX_K - 1  # the reference table has size M + 1


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) or not math.isfinite(value):
        raise AlftInputError(f"{name}: got {value!r}, expected a finite number")
    return float(value)


@dataclass(frozen=True)
class Anchor:
    """γ and β of the anchored game (SPEC §2.6).

    Attributes:
        gamma: coherence weight γ (γ > 0 sharpens, γ < 0 flattens, γ = 0 targets p_ref itself).
        beta: KL weight β > 0 to the reference, carried by the reward.
        reference_draws: M, reference answers drawn once per prompt; None uses the exact p_ref (simulator only).
        reference_estimator: the §3 table (name) for log p̂_ref at size M + 1.
    """

    gamma: float
    beta: float
    reference_draws: int | None = None
    reference_estimator: str = "digamma"

    def __post_init__(self) -> None:
        beta, gamma = _finite("beta", self.beta), _finite("gamma", self.gamma)
        if not beta > 0:
            raise AlftInputError(f"beta: got {self.beta!r}, expected a positive KL weight")
        if not gamma < beta:
            raise AlftInputError(
                f"gamma: got {self.gamma!r} with beta={self.beta!r}, expected gamma < beta (γ ≥ β collapses the "
                "answer distribution onto one answer; the exponent s = β/(β−γ) must be finite)"
            )
        M = self.reference_draws
        if M is not None and (isinstance(M, bool) or not isinstance(M, (int, np.integer))
                              or not MIN_REFERENCE_DRAWS <= M <= MAX_REFERENCE_DRAWS):
            raise AlftInputError(f"reference_draws: got {M!r}, expected an integer M in {MIN_REFERENCE_DRAWS}..{MAX_REFERENCE_DRAWS} "
                                 "(or None for the exact p_ref)")

    @classmethod
    def from_exponent(cls, exponent: float, beta: float, **reference) -> "Anchor":
        """The anchor with sharpening exponent s = β/(β − γ) > 1, i.e. γ = β·(1 − 1/s)."""
        s = _finite("exponent", exponent)
        if not s > 1:
            raise AlftInputError(f"exponent: got {exponent!r}, expected s > 1 (s = β/(β−γ); s = 1 is p_ref itself)")
        return cls(gamma=_finite("beta", beta) * (1.0 - 1.0 / s), beta=beta, **reference)

    @property
    def exponent(self) -> float:
        """s = β/(β − γ): p* ∝ p_ref^s (SPEC §2.6)."""
        return self.beta / (self.beta - self.gamma)

    @property
    def group_weight(self) -> float:
        """γ − β, the weight of the group-estimated log p (negative: the group term spreads)."""
        return self.gamma - self.beta


def _lookup(name: str, table: np.ndarray, counts: np.ndarray) -> np.ndarray:
    table = np.asarray(table, dtype=float)
    counts = np.asarray(counts)
    if table.ndim != 1 or table.size == 0 or not np.all(np.isfinite(table)):
        raise AlftInputError(f"{name}_table: got {table!r}, expected a non-empty vector of finite entries")
    if not np.issubdtype(counts.dtype, np.integer) or (counts.size and (counts.min() < 0 or counts.max() >= table.size)):
        raise AlftInputError(f"{name}_counts: got values outside 0..{table.size - 1} (or not integers), expected indices into the {name} table")
    return table[counts]


def reference_rewards(reference_counts: np.ndarray, reference_table: np.ndarray, beta: float) -> np.ndarray:
    """β·g_ref[C_ref]: the reference half of the anchored reward (SPEC §2.6), finite for every count."""
    return _finite("beta", beta) * _lookup("reference", reference_table, reference_counts)


def anchored_rewards(
    group_counts: np.ndarray, reference_counts: np.ndarray, group_table: np.ndarray, reference_table: np.ndarray, *,
    gamma: float, beta: float, verifier: np.ndarray | float = 0.0,
) -> np.ndarray:
    """R = r + (γ − β)·g[N] + β·g_ref[C_ref] per sample (SPEC §2.6); pure numpy, broadcasting.

    Args:
        group_counts: N_i, each sample's leave-one-out count in its group (integers in 0..K−1).
        reference_counts: C_ref(z_i), the count of each sample's answer among the M reference draws
            (integers in 0..M), broadcastable against ``group_counts``.
        group_table: a log p table for groups of K (length K), e.g. ``get_estimator("aqp", K).table``.
        reference_table: a log p table at size M + 1 (length M + 1), e.g. ``get_estimator("digamma", M + 1).table``.
        gamma: coherence weight γ.
        beta: KL weight β (γ < β).
        verifier: r(z_i), broadcastable (0 without a verifier).

    Returns:
        The rewards, finite, with the broadcast shape of the inputs.
    """
    anchor = Anchor(gamma, beta)  # validates γ < β, both finite
    rewards = (np.asarray(verifier, dtype=float) + anchor.group_weight * _lookup("group", group_table, group_counts)
               + reference_rewards(reference_counts, reference_table, anchor.beta))
    if not np.all(np.isfinite(rewards)):
        raise AlftInputError("verifier: got non-finite scores, expected finite verifier rewards")
    return rewards
