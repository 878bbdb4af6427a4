"""The bias–variance decomposition of the mixed gradient and its closed-form weight (docs/concepts/bvpo.md).

BVPO mixes the trace-based DPO gradient g_t (one sampled trace: unbiased-ish, noisy) and the empty-trace
gradient g_e (trace forced empty: no trace noise, biased) into g_c(α) = α g_t + (1−α) g_e. Against the
marginal gradient μ = ∇L_m,

    MSE(α) = ‖α b_t + (1−α) b_e‖² + α² tr Σ_t + (1−α)² tr Σ_e + 2α(1−α) tr Σ_te,

a convex quadratic in α whose minimiser on [0, 1] is α* = clip(α_unc, 0, 1) with

    α_unc = [tr(Σ_e − Σ_te) + ‖b_e‖² − b_tᵀ b_e] / [tr(Σ_t + Σ_e − 2Σ_te) + ‖b_t − b_e‖²].

A :class:`GradientMoments` value holds the six numbers that decide everything (per example); a batch of n
i.i.d. examples divides the three covariance traces by n (:meth:`GradientMoments.batch`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from alft.errors import require


def check_alpha(alpha: float, field: str = "alpha") -> float:
    """``alpha`` as a float, refused unless it is a finite number in [0, 1]."""
    ok = isinstance(alpha, (int, float, np.floating)) and np.isfinite(alpha) and 0.0 <= float(alpha) <= 1.0
    require(bool(ok), field, alpha, "a number in [0, 1] (1 = trace pairs only, 0 = empty-trace pairs only)")
    return float(alpha)


@dataclass(frozen=True)
class GradientMoments:
    """The first and second moments of g_t and g_e against μ, for one example or a batch.

    Attributes:
        bias_trace: b_t = E g_t − μ (a vector).
        bias_empty: b_e = E g_e − μ (a vector).
        var_trace: tr Σ_t.
        var_empty: tr Σ_e.
        cov_trace_empty: tr Σ_te (the cross-covariance's trace; may be negative).
        batch_size: examples averaged (the traces are per-example values divided by it).
    """

    bias_trace: np.ndarray
    bias_empty: np.ndarray
    var_trace: float
    var_empty: float
    cov_trace_empty: float
    batch_size: int = 1

    def batch(self, n: int) -> GradientMoments:
        """The moments of the mean of ``n`` i.i.d. examples: same biases, covariance traces divided by n."""
        require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "an integer ≥ 1")
        scale = self.batch_size / n
        return dataclasses.replace(self, var_trace=self.var_trace * scale, var_empty=self.var_empty * scale,
                                   cov_trace_empty=self.cov_trace_empty * scale, batch_size=int(n))

    def bias_squared(self, alpha: float) -> float:
        """‖α b_t + (1−α) b_e‖²."""
        b = alpha * self.bias_trace + (1.0 - alpha) * self.bias_empty
        return float(b @ b)

    def variance(self, alpha: float) -> float:
        """tr Cov(g_c) = α² tr Σ_t + (1−α)² tr Σ_e + 2α(1−α) tr Σ_te."""
        return alpha**2 * self.var_trace + (1 - alpha) ** 2 * self.var_empty + 2 * alpha * (1 - alpha) * self.cov_trace_empty

    def mse(self, alpha: float | np.ndarray) -> float | np.ndarray:
        """E‖g_c(α) − μ‖² = bias² + variance; vectorised over an array of α (any real α, not only [0, 1])."""
        a = np.asarray(alpha, dtype=float)
        bt, be = self.bias_trace, self.bias_empty
        bias2 = a**2 * (bt @ bt) + (1 - a) ** 2 * (be @ be) + 2 * a * (1 - a) * (bt @ be)
        out = bias2 + a**2 * self.var_trace + (1 - a) ** 2 * self.var_empty + 2 * a * (1 - a) * self.cov_trace_empty
        return float(out) if out.ndim == 0 else out

    @property
    def alpha_unclipped(self) -> float:
        """α_unc = E⟨g_e − μ, g_e − g_t⟩ / E‖g_t − g_e‖² (docs/concepts/bvpo.md); +inf/−inf/nan never: a zero denominator
        (g_t ≡ g_e, every α the same) gives 1."""
        bt, be = self.bias_trace, self.bias_empty
        numerator = self.var_empty - self.cov_trace_empty + be @ be - bt @ be
        denominator = self.var_trace + self.var_empty - 2 * self.cov_trace_empty + (bt - be) @ (bt - be)
        return float(numerator / denominator) if denominator > 0 else 1.0

    @property
    def alpha_star(self) -> float:
        """α* = clip(α_unc, 0, 1), the minimiser of :meth:`mse` on [0, 1]."""
        return float(np.clip(self.alpha_unclipped, 0.0, 1.0))

    def to_dict(self) -> dict[str, float]:
        """The scalars a report needs (biases as squared norms)."""
        return {
            "bias_trace_sq": float(self.bias_trace @ self.bias_trace),
            "bias_empty_sq": float(self.bias_empty @ self.bias_empty),
            "bias_inner": float(self.bias_trace @ self.bias_empty),
            "var_trace": self.var_trace,
            "var_empty": self.var_empty,
            "cov_trace_empty": self.cov_trace_empty,
            "batch_size": self.batch_size,
            "alpha_unclipped": self.alpha_unclipped,
            "alpha_star": self.alpha_star,
        }


def grid_minimiser(moments: GradientMoments, points: int = 1_000_001) -> float:
    """The α in a uniform grid on [0, 1] with the smallest :meth:`GradientMoments.mse` (an oracle for tests)."""
    grid = np.linspace(0.0, 1.0, points)
    return float(grid[int(np.argmin(moments.mse(grid)))])


def mixed(alpha: float, g_trace: np.ndarray, g_empty: np.ndarray) -> np.ndarray:
    """g_c = α g_t + (1−α) g_e (α checked to lie in [0, 1])."""
    alpha = check_alpha(alpha)
    return alpha * np.asarray(g_trace, dtype=float) + (1.0 - alpha) * np.asarray(g_empty, dtype=float)
