"""Tables with a closed form: the plug-in baselines, digamma, and exact U-statistics (docs/concepts/estimators.md)."""

from __future__ import annotations

from math import comb

import numpy as np
from scipy.special import digamma as psi

from alft.errors import AlftInputError
from alft.estimators.target import RewardForm


def plugin_log_table(K: int) -> np.ndarray:
    """log(C/K) with C = N + 1: the add-one plug-in, always finite, p-weighted bias Θ(1/K) (docs/concepts/estimators.md#plug-in)."""
    return np.log(np.arange(1, K + 1) / K)


def plugin_half_log_table(K: int) -> np.ndarray:
    """log((N + ½)/K): the add-½ (Krichevsky–Trofimov) plug-in on the K − 1 other samples."""
    return np.log((np.arange(K) + 0.5) / K)


def digamma_log_table(K: int) -> np.ndarray:
    """ψ(N + 1) − ψ(K) = H_N − H_{K−1}: the U-statistic of log's degree-(K−1) Taylor polynomial at 1 (docs/concepts/estimators.md#digamma).

    Its bias is exactly Σ_{j≥K} (1−p)^j / j ≥ 0.
    """
    return psi(np.arange(1, K + 1)) - psi(K)


def digamma_bias(K: int, p: np.ndarray) -> np.ndarray:
    """Closed-form bias of the digamma table: Σ_{j≥K} (1−p)^j/j = −log p − Σ_{j<K} (1−p)^j/j."""
    p = np.asarray(p, dtype=float)
    j = np.arange(1, K)
    return -np.log(p) - np.sum((1 - p)[..., None] ** j / j, axis=-1)


def ustat_table(target: RewardForm, K: int) -> np.ndarray:
    """The unique unbiased table for a polynomial target of degree ≤ K−1 (docs/concepts/estimators.md#u-statistics).

    E[(N)_m / (n)_m] = p^m for N ~ Binomial(n, p), so g[k] = Σ_m a_m (k)_m/(n)_m (UMVUE).
    """
    n = K - 1
    if target.degree > n:
        raise AlftInputError(
            f"target: no unbiased estimator exists for degree {target.degree} with K={K} samples "
            f"(the leave-one-out count sees {n} others, so degree ≤ {n}); use K ≥ {target.degree + 1}"
        )
    k = np.arange(K)
    table = np.zeros(K)
    for m, a in enumerate(target.poly):
        # (k)_m / (n)_m = C(k, m) / C(n, m)
        table += a * np.array([comb(int(j), m) for j in k], dtype=float) / comb(n, m)
    return table
