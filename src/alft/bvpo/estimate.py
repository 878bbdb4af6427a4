"""α̂*: the mixing weight estimated from one batch's per-example gradients (docs/concepts/bvpo.md, DESIGN for alft).

The closed form α* = E⟨g_e − μ, g_e − g_t⟩ / E‖g_t − g_e‖² (for batch means) needs μ, the marginal gradient,
which no batch contains. Two estimators, both from per-example gradients (or their projections: every
quantity is an inner product, so a random projection S with E SᵀS = I — Gaussian or count-sketch — keeps
each one unbiased):

* ``mu=None`` (default, one batch, no extra cost): assume the trace-based gradient is unbiased, E g_t = μ.
  With d_i = g_t,i − g_e,i and the sample cross-covariance Ĉ(t, d),

      denominator  ‖d̄‖²                                  (unbiased for E‖Ḡ_t − Ḡ_e‖²)
      numerator    ‖d̄‖² − tr Ĉ(t, d) / n                  (unbiased for ‖δ‖² + tr(Σ_e − Σ_te)/n, δ = E d)

  so α̂ = 1 − tr Ĉ(t, d) / (n ‖d̄‖²). Its errors, stated: (i) when b_t ≠ 0 the numerator's target is off by
  δᵀ b_t (true numerator = assumed − δᵀ b_t), a bias that does not shrink with n; the assumption is exact at
  θ = θ_ref, where σ(β h) is constant and the Fisher identity makes the one-trace gradient unbiased;
  (ii) a ratio of two unbiased estimates is biased by O(1/n) and noisy when ‖d̄‖² is small, i.e. when both
  gradients agree and α matters least; (iii) clipping to [0, 1].
* ``mu`` given (an estimate of μ independent of the batch, e.g. a multi-trace estimate): the numerator is
  the plug-in ⟨Ḡ_e − μ̂, Ḡ_e − Ḡ_t⟩, unbiased when μ̂ is; the ratio and clipping errors remain.

At least :data:`MIN_BATCH` examples are needed (a sample covariance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alft.errors import require

MIN_BATCH = 2
"""Fewest examples α̂* accepts: the sample covariance needs two."""


@dataclass(frozen=True)
class AlphaEstimate:
    """α̂* from one batch, with its parts.

    Attributes:
        alpha: the estimate, clipped to [0, 1].
        alpha_unclipped: numerator / denominator before clipping (1 when the denominator is 0).
        numerator: the estimate of E⟨Ḡ_e − μ, Ḡ_e − Ḡ_t⟩.
        denominator: ‖Ḡ_t − Ḡ_e‖².
        var_trace: tr Σ̂_t / n, the sample variance of the batch-mean trace gradient.
        var_empty: tr Σ̂_e / n.
        cov_trace_empty: tr Σ̂_te / n.
        n: examples in the batch.
    """

    alpha: float
    alpha_unclipped: float
    numerator: float
    denominator: float
    var_trace: float
    var_empty: float
    cov_trace_empty: float
    n: int

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


def _trace_cov(a: np.ndarray, b: np.ndarray) -> float:
    """tr of the unbiased sample cross-covariance of the rows of a and b."""
    n = a.shape[0]
    return float(np.sum((a - a.mean(0)) * (b - b.mean(0))) / (n - 1))


def estimate_alpha(g_trace: np.ndarray, g_empty: np.ndarray, *, mu: np.ndarray | None = None) -> AlphaEstimate:
    """α̂* from per-example gradients (rows) of the trace-based and the empty-trace loss.

    Args:
        g_trace: (n, P) per-example gradients of ℓ_t (or their projections).
        g_empty: (n, P) per-example gradients of ℓ_e on the same prompts, projected the same way.
        mu: an estimate of μ (P,), independent of the batch; ``None`` assumes E g_t = μ.

    Returns:
        An :class:`AlphaEstimate` for the batch mean of n examples.

    Raises:
        AlftInputError: fewer than :data:`MIN_BATCH` rows, shapes that differ, or non-finite entries.
    """
    t, e = np.asarray(g_trace, dtype=float), np.asarray(g_empty, dtype=float)
    require(t.ndim == 2, "g_trace", t.shape, "a 2-d array (examples × parameters)")
    require(e.shape == t.shape, "g_empty", e.shape, f"the shape of g_trace {t.shape}")
    n = t.shape[0]
    require(n >= MIN_BATCH, "batch size", n, f"at least {MIN_BATCH} examples to estimate alpha (a sample covariance)")
    require(bool(np.all(np.isfinite(t))), "g_trace", "non-finite entries", "finite gradients")
    require(bool(np.all(np.isfinite(e))), "g_empty", "non-finite entries", "finite gradients")
    d = t - e
    d_bar = d.mean(0)
    denominator = float(d_bar @ d_bar)
    if mu is None:
        numerator = denominator - _trace_cov(t, d) / n
    else:
        m = np.asarray(mu, dtype=float)
        require(m.shape == (t.shape[1],) and bool(np.all(np.isfinite(m))), "mu", m.shape,
                f"a finite vector of length {t.shape[1]}")
        numerator = float((e.mean(0) - m) @ (-d_bar))
    unclipped = numerator / denominator if denominator > 0 else 1.0
    return AlphaEstimate(
        alpha=float(np.clip(unclipped, 0.0, 1.0)),
        alpha_unclipped=float(unclipped),
        numerator=float(numerator),
        denominator=denominator,
        var_trace=_trace_cov(t, t) / n,
        var_empty=_trace_cov(e, e) / n,
        cov_trace_empty=_trace_cov(t, e) / n,
        n=int(n),
    )


def count_sketch(dimension: int, width: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A count-sketch projection R^dimension → R^width (bucket and sign per coordinate): ⟨Sa, Sb⟩ is an
    unbiased estimate of ⟨a, b⟩, at O(dimension) cost, for gradients too large to hold per example."""
    require(dimension >= 1 and width >= 1, "width", width, "an integer ≥ 1 (and dimension ≥ 1)")
    rng = np.random.default_rng(seed)
    return rng.integers(0, width, size=dimension), rng.choice(np.array([-1.0, 1.0]), size=dimension)


def apply_sketch(vectors: np.ndarray, sketch: tuple[np.ndarray, np.ndarray], width: int) -> np.ndarray:
    """Project rows of ``vectors`` with a :func:`count_sketch`."""
    buckets, signs = sketch
    v = np.atleast_2d(np.asarray(vectors, dtype=float))
    out = np.zeros((v.shape[0], width))
    for row in range(v.shape[0]):
        out[row] = np.bincount(buckets, weights=v[row] * signs, minlength=width)
    return out
