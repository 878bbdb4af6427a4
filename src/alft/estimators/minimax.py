"""Minimax polynomial tables for log p, solved as LPs in the Chebyshev basis (docs/concepts/estimators.md#minimax).

* global: E*_K = min_g sup_{p∈(0,1]} p·|B_g(p) − log p| — the best approximation of x log x by
  polynomials vanishing at 0; Θ(1/K²) (Ditzian–Totik) and a lower bound for every group estimator.
* floor: min_g sup_{p∈[1/K,1]} |B_g(p) − log p|.

The Bernstein basis has condition number ~2^K, so the LP is posed over Chebyshev coefficients of B_g on
[0, 1] (well conditioned), errors are evaluated from that form, and only the final table is converted,
exactly, to g. The resulting tables oscillate wildly beyond K ≈ 16: they exist for study, never for
training (see ``alft.estimators.registry.TRAINING_COEFFICIENT_BOUND``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.polynomial import chebyshev as C
from scipy.optimize import linprog

from alft.errors import AlftNumericalError
from alft.estimators.bernstein import chebyshev_nodes, local_maxima

_LP_POINTS = 1200  # the exchange rounds add the points that matter; more only slows HiGHS
_EXCHANGE_ROUNDS = 6
_TOLERANCE = 1e-4  # relative gap between the LP value on its grid and the true sup on a dense grid


@dataclass(frozen=True)
class MinimaxSolution:
    """Chebyshev coefficients of B_g on [0, 1] and the achieved sup error."""

    chebyshev: np.ndarray
    error: float


def _weights(p: np.ndarray, floor: bool) -> np.ndarray:
    return np.ones_like(p) if floor else p


def _grid(K: int, floor: bool, count: int) -> np.ndarray:
    if floor:
        low = 1.0 / K
        return np.unique(np.concatenate([chebyshev_nodes(count, low, 1.0), np.geomspace(low, 1.0, count // 4)]))
    cheb = chebyshev_nodes(count, 0.0, 1.0)
    return np.unique(np.concatenate([cheb[cheb > 0], np.geomspace(1e-12, 1.0, count // 8)]))


def _solve_lp(K: int, p: np.ndarray, floor: bool) -> tuple[np.ndarray, float]:
    """min t s.t. |w(p_j)(Σ_i c_i T_i(2p_j−1) − log p_j)| ≤ t on the grid."""
    basis = C.chebvander(2 * p - 1, K - 1)  # (J, K)
    w = _weights(p, floor)
    a = w[:, None] * basis
    f = w * np.log(p)
    ones = np.ones((len(p), 1))
    a_ub = np.block([[a, -ones], [-a, -ones]])
    b_ub = np.concatenate([f, -f])
    cost = np.zeros(K + 1)
    cost[-1] = 1.0
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] * (K + 1), method="highs")
    if result.status != 0:
        raise AlftNumericalError(f"minimax LP at K={K} failed: {result.message}")
    return result.x[:-1], float(result.x[-1])


def solve_minimax_log(K: int, floor: bool = False) -> MinimaxSolution:
    """Solve the global (p-weighted) or floor minimax problem for log p with groups of K.

    A discretised LP followed by exchange rounds: the worst points of a dense check grid are added until
    the LP value and the dense-grid sup agree to ``_TOLERANCE``.

    Args:
        K: group size, 2 ≤ K ≤ 256.
        floor: the floor criterion on [1/K, 1] instead of the global p-weighted one.
    """
    grid = _grid(K, floor, _LP_POINTS)
    check = _grid(K, floor, 20 * _LP_POINTS)
    w_check = _weights(check, floor)
    for _ in range(_EXCHANGE_ROUNDS):
        coefficients, value = _solve_lp(K, grid, floor)
        err = np.abs(w_check * (C.chebval(2 * check - 1, coefficients) - np.log(check)))
        sup = float(err.max())
        if sup <= value * (1 + _TOLERANCE) or sup - value < 1e-15:
            break
        # Remez-style exchange: add the largest alternation points of the error.
        peaks = local_maxima(err)
        peaks = peaks[np.argsort(err[peaks])[::-1][: 4 * K]]
        grid = np.unique(np.concatenate([grid, check[peaks]]))
    return MinimaxSolution(chebyshev=coefficients, error=sup)
