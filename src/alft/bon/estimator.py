"""The best-of-n KL estimator d_n(ε) and its exact-quantile variant (docs/concepts/best-of-n.md, seed 003).

d_n(ε) is the exact KL of best-of-n for a reference made of a continuum of mass 1 − ε below one atom
of mass ε at the top:

    d_n(ε) = (1−ε)^n [log n + (n−1) log(1−ε) − (n−1)/n] + (1 − (1−ε)^n) log((1 − (1−ε)^n)/ε).

With ε the reference mass of the *selected output's reward level* and averaged over best-of-n draws, it
tracks the exact KL far more closely than log n − (n−1)/n. 0 ≤ d_n(ε) ≤ log n − (n−1)/n, with d_n(1) = 0
and d_n(ε) → log n − (n−1)/n as ε → 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alft.bon.exact import check_n, level_pmf
from alft.bon.reference import Reference
from alft.errors import AlftInputError


@dataclass(frozen=True)
class Estimate:
    """A Monte-Carlo mean with its standard error.

    Attributes:
        mean: the sample mean.
        stderr: its standard error (sample std / √count; 0 for a single sample).
        count: the number of samples averaged.
    """

    mean: float
    stderr: float
    count: int


def mean_with_stderr(values: np.ndarray) -> Estimate:
    """Sample mean and standard error of a 1-D array of finite values.

    Args:
        values: the samples (at least one).

    Returns:
        The :class:`Estimate`.
    """
    values = np.asarray(values, dtype=float)
    count = values.size
    stderr = float(np.std(values, ddof=1) / np.sqrt(count)) if count > 1 else 0.0
    return Estimate(mean=float(np.mean(values)), stderr=stderr, count=int(count))


def _floats(values: object, field_name: str) -> np.ndarray:
    """``values`` as a float array, or a clear error naming the field (strings, None, ragged lists)."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise AlftInputError(f"{field_name}: got {values!r:.80}, expected numbers") from None


def _check_log_eps(log_eps: np.ndarray, field_name: str) -> None:
    bad = np.flatnonzero(~(log_eps <= 0))  # also catches NaN
    if bad.size:
        raise AlftInputError(
            f"{field_name}: got {float(log_eps.flat[bad[0]])!r} at index {bad[0]}, expected log-probabilities "
            "in [−inf, 0] (probabilities in [0, 1])"
        )


def kl_estimator_log(log_eps: object, n: int) -> np.ndarray:
    """d_n evaluated at ε = exp(log_eps), vectorised and stable for tiny ε and huge n.

    Args:
        log_eps: log of the reference mass of the selected output's reward level, each in [−inf, 0].
            ε = 0 (log_eps = −inf, or too small for float64) gives the formula's value, its ε → 0 limit.
        n: number of samples, n ≥ 1.

    Returns:
        d_n(ε), same shape as ``log_eps``, each in [0, log n − (n−1)/n].
    """
    n = check_n(n)
    log_eps = _floats(log_eps, "log_eps")
    _check_log_eps(log_eps, "log_eps")
    eps = np.exp(log_eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_stay = n * np.log1p(-eps)  # log (1−ε)^n, never (1−ε)^n directly
        stay = np.exp(log_stay)
        leave = -np.expm1(log_stay)  # 1 − (1−ε)^n
        continuum = stay * (np.log(n) + (n - 1) * np.log1p(-eps) - (n - 1) / n)
        atom = leave * (np.log(leave) - log_eps)
    # ε = 1: the continuum is empty (0·(−inf) := 0) and the atom is the whole reference (log 1 = 0).
    continuum = np.where(stay > 0, continuum, 0.0)
    # ε = 0: nothing in the atom; (1 − (1−ε)^n) log(...) → 0.
    atom = np.where(leave > 0, atom, 0.0)
    # 0 ≤ d_n ≤ log n − (n−1)/n exactly (it is a KL bounded by data processing); clip last-ulp rounding.
    return np.clip(continuum + atom, 0.0, np.log(n) - (n - 1) / n)


def kl_estimator(eps: object, n: int) -> np.ndarray:
    """d_n(ε) for ε given directly (see :func:`kl_estimator_log` to pass log ε for tiny masses).

    Args:
        eps: reference mass of the selected output's reward level, each in [0, 1].
        n: number of samples, n ≥ 1.

    Returns:
        d_n(ε), same shape as ``eps``.
    """
    eps = _floats(eps, "eps")
    bad = np.flatnonzero(~((eps >= 0) & (eps <= 1)))
    if bad.size:
        raise AlftInputError(
            f"eps: got {float(eps.flat[bad[0]])!r} at index {bad[0]}, expected probabilities in [0, 1]"
        )
    with np.errstate(divide="ignore"):
        return kl_estimator_log(np.log(eps), n)


def expected_kl_estimator(reference: Reference, n: int) -> float:
    """E[d_n(ε)] under best-of-n, ε the selected level's reference mass: Σ_j P(level j) d_n(q_j).

    Args:
        reference: the reference policy with rewards.
        n: number of samples, n ≥ 1.

    Returns:
        The expected estimate in nats.
    """
    lv = reference.levels
    return float(np.sum(level_pmf(reference, n) * kl_estimator_log(np.log(lv.mass), n)))


def exact_quantile_contribution(cdf: object, cdf_below: object, n: int) -> np.ndarray:
    """The exact-quantile estimator: log ρ = log((F^n − F⁻^n)/(F − F⁻)) at the selected output's level.

    Its mean under best-of-n is exactly KL(π_n ‖ π_ref); it needs the selected output's quantiles
    F = P(r ≤ r(y)) and F⁻ = P(r < r(y)) rather than only its mass.

    Args:
        cdf: F at each selected output, in (0, 1].
        cdf_below: F⁻ at each selected output, in [0, F).
        n: number of samples, n ≥ 1.

    Returns:
        log ρ per sample.
    """
    n = check_n(n)
    cdf = _floats(cdf, "cdf")
    cdf_below = _floats(cdf_below, "cdf_below")
    bad = np.flatnonzero(~((cdf > 0) & (cdf <= 1) & (cdf_below >= 0) & (cdf_below < cdf)))
    if bad.size:
        raise AlftInputError(
            f"cdf, cdf_below: got ({float(cdf.flat[bad[0]])!r}, {float(cdf_below.flat[bad[0]])!r}) at index "
            f"{bad[0]}, expected 0 ≤ cdf_below < cdf ≤ 1"
        )
    mass = cdf - cdf_below
    with np.errstate(divide="ignore"):
        log_below_ratio = np.log1p(-mass / cdf)
        return n * np.log(cdf) + np.log(-np.expm1(n * log_below_ratio)) - np.log(mass)


def estimate_kl_from_samples(ref_logprobs: object, n: int) -> Estimate:
    """Monte-Carlo KL estimate of a best-of-n run: the mean of d_n(ε) over its selected outputs.

    Args:
        ref_logprobs: for each best-of-n selection, log π_ref of the selected output's reward level
            (for outputs whose rewards are all distinct, e.g. text, the output's own log-probability).
            Under ties, passing the single output's log-probability instead gives a smaller ε and so a
            larger, more conservative estimate that still never exceeds log n − (n−1)/n.
        n: the n used by the run, n ≥ 1.

    Returns:
        The mean of d_n and its standard error.
    """
    values = _floats(ref_logprobs, "ref_logprobs")
    if values.ndim != 1 or values.size == 0:
        raise AlftInputError(
            f"ref_logprobs: got an array of shape {values.shape}, expected a non-empty flat list of log-probabilities"
        )
    _check_log_eps(values, "ref_logprobs")
    return mean_with_stderr(kl_estimator_log(values, n))
