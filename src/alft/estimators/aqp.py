"""AQP: the variance-optimal table for log p under a bias budget (SPEC §3.6).

    minimise_g   Σ_{p∈P_v} ν_p gᵀ S(p) g            S(p) = diag(b(p)) − b(p) b(p)ᵀ
    subject to   | w_p (b(p)ᵀ g − log p) | ≤ τ        for p ∈ P_b

global: w_p = p on (0, 1], τ = κ·E*_K;  floor: w_p = 1 on [1/K, 1], τ = c/K².

With M = Σ ν_p S(p) + ε 11ᵀ = L Lᵀ and y = Lᵀ g this is a least-distance problem, solved exactly by one
NNLS (Lawson–Hanson LDP). The worst-case-variance variant minimises sup_p Var_p instead: by the minimax
theorem it is the maximum over ν of the average problem, found by multiplicative weights on ν with a
duality-gap certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

from alft.errors import AlftNumericalError
from alft.estimators.base import metric_grid
from alft.estimators.bernstein import binomial_basis, chebyshev_nodes, local_maxima

_BIAS_POINTS = 600
_VARIANCE_POINTS = 120
_REFINE_ROUNDS = 8
_MW_STEP = 4.0
_BUDGET_SLACK = 1e-3  # a solved table may exceed τ between grid points by at most this fraction


@dataclass(frozen=True)
class AqpProblem:
    """One AQP instance for log p with groups of K.

    Attributes:
        K: group size.
        budget: τ, the bias budget.
        floor: the floor criterion (w = 1 on [1/K, 1]) instead of the global p-weighted one.
    """

    K: int
    budget: float
    floor: bool = False

    def bias_grid(self) -> np.ndarray:
        if self.floor:
            return chebyshev_nodes(_BIAS_POINTS, 1.0 / self.K, 1.0)
        cheb = chebyshev_nodes(_BIAS_POINTS, 0.0, 1.0)
        return np.unique(np.concatenate([cheb[cheb > 0], np.geomspace(1e-10, 1.0, _BIAS_POINTS // 6)]))

    def variance_grid(self) -> np.ndarray:
        return chebyshev_nodes(_VARIANCE_POINTS, 1.0 / self.K, 1.0)

    def weights(self, p: np.ndarray) -> np.ndarray:
        return np.ones_like(p) if self.floor else p

    def sup_bias(self, table: np.ndarray) -> float:
        """The criterion the budget bounds, on a dense grid."""
        p = metric_grid(1.0 / self.K if self.floor else 0.0)
        return float(np.max(self.weights(p) * np.abs(binomial_basis(self.K - 1, p) @ table - np.log(p))))


def _covariances(K: int, p: np.ndarray) -> np.ndarray:
    """S(p) for every p: (len(p), K, K)."""
    b = binomial_basis(K - 1, p)
    return b[:, :, None] * np.eye(K) - b[:, :, None] * b[:, None, :]


def _least_distance(E: np.ndarray, f: np.ndarray) -> np.ndarray | None:
    """min ‖y‖ s.t. E y ≥ f, by Lawson–Hanson: one NNLS. None when infeasible."""
    n = E.shape[1]
    A = np.vstack([E.T, f[None, :]])
    rhs = np.zeros(n + 1)
    rhs[-1] = 1.0
    u, _ = nnls(A, rhs, maxiter=50 * A.shape[1])
    r = A @ u - rhs
    if abs(r[-1]) < 1e-12 or np.linalg.norm(r) < 1e-12:
        return None
    return -r[:n] / r[-1]


def _solve_average(
    problem: AqpProblem, nu: np.ndarray, bias_p: np.ndarray, cov: np.ndarray, budget: float
) -> np.ndarray | None:
    """The average-variance QP for weights ν over the variance grid, bias ≤ budget on bias_p; None when
    infeasible."""
    K = problem.K
    M = np.tensordot(nu, cov, axes=1)
    # ε·11ᵀ pins the constant shift, the one direction every S(p) leaves free.
    M += 1e-9 * np.trace(M) / K * np.ones((K, K))
    lam, V = np.linalg.eigh(M)
    lam = np.maximum(lam, 1e-15 * lam.max())
    to_g = V / np.sqrt(lam)  # g = V Λ^{-1/2} y
    b = binomial_basis(K - 1, bias_p)
    w = problem.weights(bias_p)
    rows = w[:, None] * b @ to_g
    target = w * np.log(bias_p)
    E = np.vstack([-rows, rows])
    f = np.concatenate([-budget - target, -budget + target])
    y = _least_distance(E, f)
    return None if y is None else to_g @ y


def solve_aqp(problem: AqpProblem, worst_case: bool = False, max_rounds: int = 200) -> np.ndarray:
    """Solve an AQP instance.

    Args:
        problem: K, budget τ and criterion.
        worst_case: minimise the worst-case variance on [1/K, 1] instead of the average.
        max_rounds: multiplicative-weight rounds for the worst-case variant (stops at a certified 1 % duality gap:
            the ν-average variance of the ν-optimal table is a lower bound on the optimal worst case).

    Returns:
        The table g[0..K−1].

    Raises:
        AlftNumericalError: the budget is infeasible in float64 at this K.
    """
    var_p = problem.variance_grid()
    cov = _covariances(problem.K, var_p)
    nu = np.full(len(var_p), 1.0 / len(var_p))
    table, bias_p = _solve_refined(problem, nu, problem.bias_grid(), cov)
    if not worst_case:
        return table
    # Every ν gives a lower bound (the dual value ν·Var(g_ν)); every table an upper bound (its sup).
    best, best_upper, best_lower = table, np.inf, 0.0
    for _ in range(max_rounds):
        variances = np.einsum("i,pij,j->p", table, cov, table)
        upper = variances.max()
        best_lower = max(best_lower, float(nu @ variances))
        if upper < best_upper:
            best, best_upper = table, upper
        if best_upper <= best_lower * 1.01:
            break
        nu = nu * np.exp(_MW_STEP * (variances / upper - 1))
        nu /= nu.sum()
        try:
            table, bias_p = _solve_refined(problem, nu, bias_p, cov)
        except AlftNumericalError:
            break  # a ν this concentrated is ill-conditioned: keep the best certified table so far
    return best


def _solve_refined(
    problem: AqpProblem, nu: np.ndarray, bias_p: np.ndarray, cov: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Solve on the bias grid, adding the worst off-grid points until the budget holds on a dense grid.

    Returns the table and the (possibly refined) bias grid, which later solves reuse.
    """
    check = metric_grid(1.0 / problem.K if problem.floor else 0.0)
    w_check = problem.weights(check)
    basis_check = binomial_basis(problem.K - 1, check)
    budget = problem.budget
    for _ in range(_REFINE_ROUNDS):
        table = _solve_average(problem, nu, bias_p, cov, budget)
        if table is None:
            break
        err = w_check * np.abs(basis_check @ table - np.log(check))
        if err.max() <= problem.budget * (1 + _BUDGET_SLACK):
            return table, bias_p
        # At large K the NNLS meets its constraints only to a few per cent near p = 1: aim lower.
        budget *= problem.budget / err.max()
        # Add the peaks of the violation only: a few points per round keep the NNLS small.
        peaks = local_maxima(err)
        bias_p = np.unique(np.concatenate([bias_p, check[peaks[err[peaks] > problem.budget]]]))
    # No NNLS answer, or one that breaks the budget between grid points however the grid is refined: the
    # tables near the budget are too ill-conditioned for float64.
    raise AlftNumericalError(f"AQP budget τ={problem.budget:.3g} is infeasible in float64 at K={problem.K}")
