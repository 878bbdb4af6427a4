"""Exact best-of-n for a discrete reference with ties (docs/concepts/best-of-n.md).

Best-of-n draws n outputs from π_ref and keeps the highest reward, breaking ties uniformly. Level j
is selected with probability F_j^n − F⁻_j^n, shared among its outputs in proportion to π_ref, so

    π_n(y) = π_ref(y) · ρ_j,      ρ_j = (F_j^n − F⁻_j^n) / q_j      for y in level j.

Numerics (valid for any n ≥ 1, including n = 10⁶, and level masses down to the smallest float): the
powers are never formed as raw (1 − ε)^n; we use
F_j^n − F⁻_j^n = exp(n log F_j) · (−expm1(n log(F⁻_j / F_j))) with log(F⁻_j/F_j) = log1p(−q_j/F_j).
"""

from __future__ import annotations

import numpy as np

from alft.bon.reference import Reference
from alft.errors import AlftInputError


def check_n(n: object, field_name: str = "n") -> int:
    """Validate a best-of-n sample count.

    Args:
        n: the number of samples.
        field_name: the name to use in the error message.

    Returns:
        ``n`` as an int.

    Raises:
        AlftInputError: unless n is an integer ≥ 1.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise AlftInputError(f"{field_name}: got {n!r}, expected an integer n ≥ 1")
    return int(n)


def level_log_selection(reference: Reference, n: int) -> np.ndarray:
    """log P(best-of-n selects level j) = log(F_j^n − F⁻_j^n), for every level.

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        One log-probability per level (−inf where it underflows).
    """
    n = check_n(n)
    lv = reference.levels
    if n == 1:
        return np.log(lv.mass)  # best-of-1 is π_ref: avoid rounding F·(q/F) against q
    with np.errstate(divide="ignore"):
        return n * lv.log_cdf + np.log(-np.expm1(n * lv.log_below_ratio))


def level_log_ratio(reference: Reference, n: int) -> np.ndarray:
    """log ρ_j = log(π_n(y)/π_ref(y)) for outputs y of level j: the exact per-sample KL contribution.

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        One log-ratio per level; increasing in the reward level.
    """
    return level_log_selection(reference, n) - np.log(reference.levels.mass)


def level_pmf(reference: Reference, n: int) -> np.ndarray:
    """Probability that best-of-n selects each reward level.

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        One probability per level, summing to 1.
    """
    return np.exp(level_log_selection(reference, n))


def bon_pmf(reference: Reference, n: int) -> np.ndarray:
    """The exact best-of-n distribution π_n over the reference's outputs (ties broken uniformly).

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        π_n(y) for every output, in the reference's order (0 for outputs of zero reference mass).
    """
    log_ratio = level_log_ratio(reference, n)
    index = reference.levels.index
    pmf = np.zeros(reference.size)
    positive = index >= 0
    pmf[positive] = reference.probs[positive] * np.exp(log_ratio[index[positive]])
    return pmf


def kl_exact(reference: Reference, n: int) -> float:
    """Exact KL(π_n ‖ π_ref) = Σ_j (F_j^n − F⁻_j^n) log ρ_j.

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        The KL divergence in nats; at most min(kl_formula(n), kl_saturation(reference)).
    """
    log_sel = level_log_selection(reference, n)
    selected = np.isfinite(log_sel)  # levels whose selection probability underflowed contribute 0
    log_ratio = log_sel[selected] - np.log(reference.levels.mass[selected])
    return float(np.sum(np.exp(log_sel[selected]) * log_ratio))


def kl_formula(n: int) -> float:
    """The classical expression log n − (n − 1)/n.

    It is the exact KL only when the reward distribution under π_ref has no atoms (continuous rewards)
    or when n = 1. For any discrete reference and n ≥ 2 it is a strict upper bound: discrete best-of-n
    is the continuous one seen through the quantile map, and the density n u^{n−1} is not constant on
    any level's quantile interval, so the data-processing inequality is strict (docs/concepts/best-of-n.md, seed 003).

    Args:
        n: number of samples, n ≥ 1.

    Returns:
        log n − (n − 1)/n.
    """
    n = check_n(n)
    return float(np.log(n) - (n - 1) / n)


def formula_is_exact(reference: Reference, n: int) -> bool:
    """Whether kl_formula(n) equals kl_exact for this discrete reference: only when n = 1.

    Args:
        reference: the reference policy with rewards (discrete, hence atoms).
        n: number of samples, n ≥ 1.

    Returns:
        True iff n = 1 (both are 0); for n ≥ 2 the formula strictly exceeds the exact KL.
    """
    del reference  # every discrete reference has atoms; see kl_formula
    return check_n(n) == 1


def kl_saturation(reference: Reference) -> float:
    """log(1/p_top): the limit of the exact KL as n → ∞ and a bound for every n.

    Under ties p_top is the reference mass of the whole top reward *level*: best-of-∞ is π_ref
    conditioned on that level, and KL ≤ max_y log ρ(y) = log ρ_top ≤ log(1/p_top).

    Args:
        reference: the reference policy with rewards.

    Returns:
        −log p_top in nats.
    """
    return float(-np.log(reference.levels.top_mass))


def win_rate(reference: Reference, n: int) -> float:
    """Exact win rate of best-of-n against a fresh π_ref sample, ties counting ½.

    W_n = ½ Σ_j (F_j^n − F⁻_j^n)(F_j + F⁻_j) (docs/concepts/best-of-n.md); at most n/(n+1).

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        The win rate in [0, 1].
    """
    lv = reference.levels
    return float(0.5 * np.sum(level_pmf(reference, n) * (lv.cdf + lv.cdf_below)))


def win_bound(n: int) -> float:
    """The upper bound n/(n+1) on the best-of-n win rate, attained for continuous rewards.

    Args:
        n: number of samples, n ≥ 1.

    Returns:
        n/(n+1).
    """
    n = check_n(n)
    return n / (n + 1)
