"""The estimator value: a lookup table g[0..K−1] indexed by the leave-one-out count (docs/concepts/answer-level.md#count-tables).

Every estimator answers the same questions (STYLE: scipy.stats): ``table``, ``mean(p)``, ``bias(p)``,
``variance(p)``, ``weighted_bias()``, ``floor_bias()``, ``max_variance()``, ``rewards(counts)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Mapping

import numpy as np

from alft.errors import AlftInputError
from alft.estimators.bernstein import bernstein_to_chebyshev, binomial_basis, chebyshev_nodes
from alft.estimators.target import RewardForm

# Grid for the sup-metrics: Chebyshev points resolve the O(1/K²) oscillation near 0 and 1, the geometric
# part reaches far below 1/K where the p-weighted error of log p is decided.
_GRID_POINTS = 4001
# Tables with larger entries are evaluated from their exact Chebyshev form (see Estimator.mean).
_DIRECT_SUM_BOUND = 1e3


def metric_grid(low: float = 0.0) -> np.ndarray:
    """Dense grid on (low, 1] (low = 0 means (0, 1]) for sup-metrics."""
    cheb = chebyshev_nodes(_GRID_POINTS, low, 1.0)
    if low > 0:
        return np.unique(np.concatenate([cheb, np.geomspace(low, 1.0, 1000)]))
    return np.unique(np.concatenate([cheb[cheb > 0], np.geomspace(1e-12, 1.0, 1500)]))


@dataclass(frozen=True, eq=False)
class Estimator:
    """An immutable reward table for groups of K samples.

    Attributes:
        name: registry name (``plugin``, ``digamma``, ``aqp``, ...).
        K: group size; the table has K entries g[0..K−1] indexed by N_i, the number of *other*
            samples of the group with the same answer.
        target: the reward R(p) that g[N_i] estimates.
        params: the solver parameters (e.g. ``{"kappa": 8.0}``).
        table: g[0..K−1], float64, read-only.
        mean_chebyshev: the solver's design polynomial (Chebyshev coefficients on [0, 1]) for minimax
            tables, kept for study; None otherwise. Never used for metrics: every moment and metric is that
            of the stored float64 ``table``, the one ``rewards`` returns (a minimax table at K = 64 stores
            entries up to 2e15, whose float64 rounding alone gives weighted bias ≈ 1e-2, not E*_64 ≈ 8e-5;
            that is what is reported).
        certificate: what the AQP solver proved about the log table (``objective``, ``lower_bound``,
            ``sup_bias``, ``rounds``, ``converged``; see :class:`alft.estimators.aqp.AqpSolution`); None
            for closed forms and minimax tables.
    """

    name: str
    K: int
    target: RewardForm
    params: Mapping[str, Any]
    table: np.ndarray
    mean_chebyshev: np.ndarray | None = field(default=None, repr=False)
    certificate: Mapping[str, Any] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        table = np.array(self.table, dtype=float)
        if table.shape != (self.K,):
            raise AlftInputError(f"table: got shape {table.shape}, expected ({self.K},) for K={self.K}")
        if not np.all(np.isfinite(table)):
            raise AlftInputError(f"table: {self.name} at K={self.K} has non-finite entries; refusing it")
        table.setflags(write=False)
        object.__setattr__(self, "table", table)

    # --- exact moments (docs/concepts/answer-level.md#count-tables) ---------------------------------------------------------------
    def mean(self, p: np.ndarray) -> np.ndarray:
        """B_g(p) = E[g[N]] with N ~ Binomial(K−1, p), for the stored table.

        Summed in the Bernstein basis when every |g[k]| ≤ 1e3 (rounding error ≤ 1e-9 absolute); larger
        tables cancel beyond float64 there, so they are evaluated from their exact Chebyshev form.
        """
        p = np.asarray(p, dtype=float)
        if self._stored_chebyshev is not None:
            return np.polynomial.chebyshev.chebval(2 * p - 1, self._stored_chebyshev)
        return binomial_basis(self.K - 1, p) @ self.table

    @cached_property
    def _stored_chebyshev(self) -> np.ndarray | None:
        if np.max(np.abs(self.table)) <= _DIRECT_SUM_BOUND:
            return None
        return bernstein_to_chebyshev(self.table)

    def bias(self, p: np.ndarray) -> np.ndarray:
        """B_g(p) − R(p) for p in (0, 1]."""
        return self.mean(p) - self.target.value(p)

    def variance(self, p: np.ndarray) -> np.ndarray:
        """Var g[N] = Σ g_k² b_k(p) − B_g(p)²; the first sum has no cancellation, the mean is exact."""
        p = np.asarray(p, dtype=float)
        second = binomial_basis(self.K - 1, p) @ (self.table**2)
        return np.maximum(second - self.mean(p) ** 2, 0.0)

    # --- the two error metrics and the worst-case variance (docs/concepts/answer-level.md#count-tables, docs/concepts/estimators.md#minimax) ------------------------
    def weighted_bias(self) -> float:
        """sup_{p∈(0,1]} p·|B_g(p) − R(p)|: the gradient-relevant bias."""
        return self._metrics["weighted_bias"]

    def floor_bias(self) -> float:
        """sup_{p∈[1/K,1]} |B_g(p) − R(p)|."""
        return self._metrics["floor_bias"]

    def max_variance(self) -> float:
        """sup_{p∈[1/K,1]} Var_p(g[N])."""
        return self._metrics["max_variance"]

    @cached_property
    def _metrics(self) -> dict[str, float]:
        p = metric_grid()
        floor = metric_grid(1.0 / self.K)
        return {
            "weighted_bias": float(np.max(p * np.abs(self.bias(p)))),
            "floor_bias": float(np.max(np.abs(self.bias(floor)))),
            "max_variance": float(np.max(self.variance(floor))),
        }

    # --- the online step ------------------------------------------------------------------------
    def rewards(self, counts: np.ndarray) -> np.ndarray:
        """g[N] for leave-one-out counts N (integers in 0..K−1, any shape)."""
        counts = np.asarray(counts)
        if counts.size and not np.issubdtype(counts.dtype, np.integer):
            raise AlftInputError(f"counts: got dtype {counts.dtype}, expected integer leave-one-out counts 0..{self.K - 1}")
        if counts.size and (counts.min() < 0 or counts.max() >= self.K):
            raise AlftInputError(
                f"counts: got values in [{counts.min()}, {counts.max()}], expected 0..{self.K - 1} for K={self.K}"
            )
        return self.table[counts]

    def summary(self) -> dict[str, Any]:
        """The JSON form used by ``alft tables show --json``."""
        return {
            "estimator": self.name,
            "K": self.K,
            "target": self.target.name,
            "params": dict(self.params),
            "table": [float(x) for x in self.table],
            "weighted_bias": self.weighted_bias(),
            "floor_bias": self.floor_bias(),
            "max_variance": self.max_variance(),
        }
