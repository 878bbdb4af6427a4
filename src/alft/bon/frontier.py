"""The KL–win-rate frontier: best-of-n against the optimal tilted policy and rewind-and-repeat (docs/concepts/best-of-n.md).

Every policy is compared with π_ref on the same two axes: KL(π ‖ π_ref) and the win rate against a fresh
reference sample (ties ½). The win rate of a policy is linear in it: W(π) = E_π[w(y)] with
w(y) = (F(y) + F⁻(y))/2, the output's mid-quantile. Hence:

* **Optimal tilted policy**: the most win rate for a given KL is π_λ(y) ∝ π_ref(y) exp(λ w(y)) (exponential
  tilting by the win probability, maximising a linear functional under a KL budget); λ sweeps the frontier.
* **Rewind-and-repeat**: draw from π_ref, rewind and draw again until the output's reward quantile
  reaches a threshold t (under ties the output's quantile is drawn uniformly inside its level, i.e.
  the boundary level is accepted with the matching probability). The result is π_ref conditioned on
  the top 1 − t of quantiles: KL = −log(1 − t), expected 1/(1 − t) draws. With continuous rewards its
  win rate is 1 − e^{−KL}/2, e.g. 0.735 at KL = log 4 − 3/4, against 0.800 for best-of-4 and 0.804 for
  the tilted optimum (docs/concepts/best-of-n.md *(measured)*).
* **Continuous rewards** (no atoms) give closed forms: best-of-n (log n − (n−1)/n, n/(n+1)); tilting has
  density λe^{λu}/(e^λ − 1) on the quantile u.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import logsumexp

from alft.bon.exact import check_n, kl_exact, kl_formula, win_bound, win_rate
from alft.bon.reference import Reference
from alft.errors import AlftInputError

_ROOT_XTOL = 1e-13


@dataclass(frozen=True)
class FrontierPoint:
    """Best-of-n and its two competitors at best-of-n's KL.

    Attributes:
        n: number of samples of best-of-n.
        kl: KL(π_n ‖ π_ref), shared by the three policies.
        win_bon: best-of-n's win rate.
        win_optimal: the tilted policy's win rate at the same KL (the best possible).
        win_rewind: rewind-and-repeat's win rate at the same KL.
        rewind_draws: expected number of reference draws rewind-and-repeat needs (e^KL for continuous rewards).
    """

    n: int
    kl: float
    win_bon: float
    win_optimal: float
    win_rewind: float
    rewind_draws: float


def _check_kl(kl: float) -> float:
    if not np.isfinite(kl) or kl < 0:
        raise AlftInputError(f"kl: got {kl!r}, expected a finite KL budget ≥ 0 (nats)")
    return float(kl)


def _solve_increasing(func, target: float, lo: float, hi: float) -> float:
    """Root of func(x) = target for func increasing on [lo, hi], growing hi until it brackets."""
    while func(hi) < target:
        lo, hi = hi, 2.0 * hi
    return brentq(lambda x: func(x) - target, lo, hi, xtol=_ROOT_XTOL)


# ------------------------------------------------------------------------------------------ continuous


def _continuous_tilt_win(lam: float) -> float:
    # E[u] under density ∝ e^{λu} on [0, 1]: 1/(1 − e^{−λ}) − 1/λ.
    return 0.5 if lam == 0 else float(1.0 / -np.expm1(-lam) - 1.0 / lam)


def _continuous_tilt_kl(lam: float) -> float:
    # KL = log(λ/(e^λ − 1)) + λ E[u], with log(e^λ − 1) = λ + log1p(−e^{−λ}) to avoid overflow.
    if lam == 0:
        return 0.0
    return float(np.log(lam) - lam - np.log1p(-np.exp(-lam)) + lam * _continuous_tilt_win(lam))


def continuous_optimal_win_rate(kl: float) -> float:
    """The largest win rate any policy reaches at KL ≤ kl when rewards are continuous.

    Args:
        kl: KL budget in nats, ≥ 0.

    Returns:
        The tilted policy's win rate, in [½, 1).
    """
    kl = _check_kl(kl)
    if kl == 0:
        return 0.5
    return _continuous_tilt_win(_solve_increasing(_continuous_tilt_kl, kl, 1e-9, 1.0))


def continuous_rewind_win_rate(kl: float) -> float:
    """Rewind-and-repeat's win rate at KL = kl with continuous rewards: 1 − e^{−kl}/2.

    Args:
        kl: KL in nats, ≥ 0.

    Returns:
        The win rate.
    """
    return float(1.0 - 0.5 * np.exp(-_check_kl(kl)))


def continuous_frontier(ns: list[int]) -> list[FrontierPoint]:
    """Best-of-n against the tilted optimum and rewind-and-repeat, continuous rewards.

    Args:
        ns: values of n, each ≥ 1.

    Returns:
        One :class:`FrontierPoint` per n.
    """
    points = []
    for n in ns:
        kl = kl_formula(n)
        points.append(FrontierPoint(n=check_n(n), kl=kl, win_bon=win_bound(n),
                                    win_optimal=continuous_optimal_win_rate(kl),
                                    win_rewind=continuous_rewind_win_rate(kl), rewind_draws=float(np.exp(kl))))
    return points


# -------------------------------------------------------------------------------------------- discrete


def _mid_quantile(reference: Reference) -> np.ndarray:
    lv = reference.levels
    return 0.5 * (lv.cdf + lv.cdf_below)


def tilted_point(reference: Reference, lam: float) -> tuple[float, float]:
    """KL and win rate of π_λ ∝ π_ref · exp(λ w), w the win probability (mid-quantile) of each output.

    Args:
        reference: the reference policy with rewards.
        lam: tilt strength λ ≥ 0 (0 is π_ref itself).

    Returns:
        (KL(π_λ ‖ π_ref), win rate of π_λ).
    """
    w = _mid_quantile(reference)
    # Exponent shifted to ≤ 0: KL = E[λw] − log Z would cancel two terms of size λ (5e-5 nats lost at λ = 1e6).
    exponent = lam * (w - w.max())
    log_z = logsumexp(exponent, b=reference.levels.mass)
    tilted = reference.levels.mass * np.exp(exponent - log_z)
    return max(float(np.sum(tilted * exponent) - log_z), 0.0), float(np.sum(tilted * w))


def rewind_point(reference: Reference, threshold: float) -> tuple[float, float]:
    """KL and win rate of rewind-and-repeat with quantile threshold t.

    Args:
        reference: the reference policy with rewards.
        threshold: t in [0, F⁻ of the top level]; outputs are kept when their (uniformised) quantile ≥ t.

    Returns:
        (KL, win rate) of π_ref conditioned on quantile ≥ t.
    """
    lv = reference.levels
    kept = np.clip(lv.cdf - np.maximum(threshold, lv.cdf_below), 0.0, None) / (1.0 - threshold)
    on = kept > 0
    kl = float(np.sum(kept[on] * np.log(kept[on] / lv.mass[on])))
    return max(kl, 0.0), float(np.sum(kept * _mid_quantile(reference)))


def _saturated(reference: Reference, kl: float) -> bool:
    # At (or numerically at) log(1/p_top) every policy is π_ref conditioned on the top level.
    return kl >= -np.log(reference.levels.top_mass) * (1 - 1e-12)


def _check_reachable(reference: Reference, kl: float) -> None:
    saturation = -np.log(reference.levels.top_mass)
    if kl > saturation * (1 + 1e-9) + 1e-12:
        raise AlftInputError(
            f"kl: got {kl!r}, expected at most log(1/p_top) = {saturation:.6g}: no policy over this support "
            "is further from π_ref"
        )


def optimal_win_rate(reference: Reference, kl: float) -> float:
    """The largest win rate any policy reaches with KL(π ‖ π_ref) ≤ kl (tilted policy, solved for λ).

    Args:
        reference: the reference policy with rewards.
        kl: KL budget in nats, in [0, log(1/p_top)].

    Returns:
        The optimal win rate.
    """
    kl = _check_kl(kl)
    _check_reachable(reference, kl)
    if kl == 0 or reference.levels.mass.size == 1:
        return tilted_point(reference, 0.0)[1]
    if _saturated(reference, kl):
        return float(_mid_quantile(reference)[-1])
    lam = _solve_increasing(lambda x: tilted_point(reference, x)[0], kl, 0.0, 1.0)
    return tilted_point(reference, lam)[1]


def rewind_threshold(reference: Reference, kl: float) -> float:
    """The quantile threshold t at which rewind-and-repeat's KL equals kl.

    Args:
        reference: the reference policy with rewards.
        kl: KL in nats, in [0, log(1/p_top)].

    Returns:
        t; rewind-and-repeat then needs 1/(1 − t) reference draws on average.
    """
    kl = _check_kl(kl)
    _check_reachable(reference, kl)
    top_below = float(reference.levels.cdf_below[-1])
    if kl == 0 or top_below == 0:
        return 0.0
    if _saturated(reference, kl):
        return top_below
    return brentq(lambda x: rewind_point(reference, x)[0] - kl, 0.0, top_below, xtol=_ROOT_XTOL)


def rewind_win_rate(reference: Reference, kl: float) -> float:
    """Rewind-and-repeat's win rate when its threshold is set so that its KL equals kl.

    Args:
        reference: the reference policy with rewards.
        kl: KL in nats, in [0, log(1/p_top)].

    Returns:
        The win rate.
    """
    return rewind_point(reference, rewind_threshold(reference, kl))[1]


def bon_frontier(reference: Reference, ns: list[int]) -> list[FrontierPoint]:
    """Best-of-n against the tilted optimum and rewind-and-repeat, each at best-of-n's exact KL.

    Args:
        reference: the reference policy with rewards.
        ns: values of n, each ≥ 1.

    Returns:
        One :class:`FrontierPoint` per n.
    """
    points = []
    for n in ns:
        kl = kl_exact(reference, n)
        threshold = rewind_threshold(reference, kl)
        points.append(FrontierPoint(n=check_n(n), kl=kl, win_bon=win_rate(reference, n),
                                    win_optimal=optimal_win_rate(reference, kl),
                                    win_rewind=rewind_point(reference, threshold)[1],
                                    rewind_draws=1.0 / (1.0 - threshold)))
    return points
