"""AQP: the variance-optimal table for log p under a bias budget (SPEC §3.6).

    minimise_g   Σ_{p∈P_v} ν_p gᵀ S(p) g            S(p) = diag(b(p)) − b(p) b(p)ᵀ
    subject to   | w_p (b(p)ᵀ g − log p) | ≤ τ        for p ∈ P_b

global: w_p = p on (0, 1], τ = κ·E*_K;  floor: w_p = 1 on [1/K, 1], τ = c/K².

Both variants are one convex program, min t s.t. v_j(g) ≤ t and the bias budget, where v_j is either the
ν-average variance (one constraint: ``aqp``) or Var_p at one point p_j of [1/K, 1] (``aqp-worst``, SPEC
§3.6 "worst-case variance"). It is solved by a log-barrier Newton method (:mod:`alft.estimators.barrier`)
whose residuals are recomputed from g at every step, so the budget holds on the table it returns (no
tightened inner budget, which would void the bound). The least-distance NNLS at 0.95·τ, or where float64
defeats it the barrier's phase one, supplies the strictly feasible start.

Discretisation is handled by exchange rounds: the peaks of the variance and of the bias on the dense
metric grids are added until the table meets the budget there (within 1e-5 relative) and, for the worst
case, until its sup variance is within ``_GAP`` of the certified lower bound. The restricted program is a
relaxation of the continuous one (fewer points), so its barrier dual bound t − m·μ is a valid lower bound
on the optimal worst-case variance; the returned upper bound is the table's sup on the dense grid.

Limit (measured, benchmarks/estimator_limits.py): at K = 128 and κ = 8 the Newton steps stop decreasing
in float64 before the average program is centred; the table returned there meets the budget but is not
certified (``converged=False``), and ``aqp-worst`` raises instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import nnls

from alft.errors import AlftNumericalError
from alft.estimators.barrier import Program, barrier_solve, phase_one
from alft.estimators.base import metric_grid
from alft.estimators.bernstein import binomial_basis, chebyshev_nodes, local_maxima

_BIAS_POINTS = 600
_VARIANCE_POINTS = 120
_REFINE_ROUNDS = 8
_BUDGET_SLACK = 1e-3  # the NNLS start may exceed its (tighter) budget between grid points by this fraction
_START_BUDGET = 0.95  # the barrier starts from the NNLS table at 0.95·τ: strictly inside the budget
_BUDGET_TOLERANCE = 1e-5  # a returned table meets τ on the dense grid to this relative accuracy
_ADD_BIAS_ABOVE = 0.5  # exchange: bias peaks above this fraction of τ join the constraints ...
_ADD_VARIANCE_ABOVE = 0.98  # ... and variance peaks above this fraction of the sup variance
_WARM_GAP = 1e-2  # later rounds start the barrier near the optimum
_PHASE_ONE_CAPS = (10.0, 100.0, 1000.0)  # average-variance caps tried by phase one
_PHASE_ONE_ROUNDS = 8
_GAP = 5e-3  # worst case: stop when sup variance ≤ certified lower bound · (1 + _GAP)


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


@dataclass(frozen=True)
class AqpSolution:
    """A solved AQP table and what was proved about it.

    Attributes:
        table: g[0..K−1].
        sup_bias: the budgeted bias criterion on the dense metric grid (≤ τ·(1 + 1e-5) when converged).
        objective: the ν-average variance (``aqp``) or sup_{p∈[1/K,1]} Var_p on the dense grid (worst case).
        lower_bound: certified lower bound on the optimal objective (barrier dual bound of the restricted,
            hence relaxed, program).
        rounds: exchange rounds used.
        converged: objective ≤ lower_bound·(1 + 0.5 %) from a centred barrier point (always true for a
            returned worst-case table; reported, not required, for the average one).
    """

    table: np.ndarray
    sup_bias: float
    objective: float
    lower_bound: float
    rounds: int
    converged: bool


@dataclass(frozen=True)
class _CheckGrids:
    """The dense metric grids (those :class:`~alft.estimators.base.Estimator` reports on) and their bases."""

    variance_p: np.ndarray
    bias_p: np.ndarray
    variance_basis: np.ndarray
    bias_rows: np.ndarray  # w_p b(p)ᵀ
    bias_target: np.ndarray  # w_p log p

    @classmethod
    def of(cls, problem: AqpProblem) -> "_CheckGrids":
        variance_p = metric_grid(1.0 / problem.K)
        bias_p = metric_grid(1.0 / problem.K if problem.floor else 0.0)
        w = problem.weights(bias_p)
        return cls(
            variance_p=variance_p,
            bias_p=bias_p,
            variance_basis=binomial_basis(problem.K - 1, variance_p),
            bias_rows=w[:, None] * binomial_basis(problem.K - 1, bias_p),
            bias_target=w * np.log(bias_p),
        )

    def coarse_variance_points(self) -> np.ndarray:
        """About 2K + 8 points of the variance grid: a first restricted program that is already bounded."""
        K = self.variance_basis.shape[1]
        return _nearest(self.variance_p, chebyshev_nodes(2 * K + 8, self.variance_p[0], 1.0))

    def coarse_bias_points(self) -> np.ndarray:
        """About 5K points of the bias grid, Chebyshev plus geometric toward 0 (where p·log p is decided)."""
        K = self.variance_basis.shape[1]
        low = self.bias_p[0]
        return _nearest(self.bias_p, np.concatenate([chebyshev_nodes(4 * K, low, 1.0), np.geomspace(low, 1.0, K)]))

    def bias_error(self, g: np.ndarray) -> np.ndarray:
        return np.abs(self.bias_rows @ g - self.bias_target)

    def variance(self, g: np.ndarray) -> np.ndarray:
        return self.variance_basis @ (g * g) - (self.variance_basis @ g) ** 2


def solve_aqp(problem: AqpProblem, worst_case: bool = False, max_rounds: int = 12) -> AqpSolution:
    """Solve an AQP instance with exchange rounds on the dense metric grids.

    Args:
        problem: K, budget τ and criterion.
        worst_case: minimise sup_{p∈[1/K,1]} Var_p instead of the ν-average variance.
        max_rounds: exchange rounds before giving up.

    Returns:
        The table with its certificate (see :class:`AqpSolution`).

    Raises:
        AlftNumericalError: the budget is infeasible in float64 at this K, or the rounds ran out before the
            budget held on the dense grid (and, for the worst case, before the certified gap closed).
    """
    grids = _CheckGrids.of(problem)
    start = _interior_start(problem)
    variance_points = np.union1d(local_maxima(grids.variance(start)), grids.coarse_variance_points())
    bias_points = np.union1d(local_maxima(grids.bias_error(start)), grids.coarse_bias_points())
    g, solution = start, None
    for round_ in range(1, max_rounds + 1):
        g = _pull_inside(g, start, grids, bias_points, problem.budget)
        program = _program(problem, grids, variance_points, bias_points, worst_case)
        result = barrier_solve(program, g, initial_gap=1.0 if round_ == 1 else _WARM_GAP)
        g = result.g
        err, var = grids.bias_error(g), grids.variance(g)
        objective = float(var.max()) if worst_case else result.objective
        solution = AqpSolution(g, float(err.max()), objective, result.lower, round_, False)
        budget_met = solution.sup_bias <= problem.budget * (1 + _BUDGET_TOLERANCE)
        certified = result.centred and objective <= result.lower * (1 + _GAP)
        if budget_met and certified:
            return replace(solution, converged=True)
        if budget_met and not worst_case:
            # The average AQP needs only the budget. Uncertified, the barrier has stalled in float64
            # (K ≥ 128): keep the least-distance table instead when it has less average variance.
            return _better_average(problem, program, solution)
        new_bias = _new_points(err, problem.budget * _ADD_BIAS_ABOVE, bias_points)
        new_variance = _new_points(var, objective * _ADD_VARIANCE_ABOVE, variance_points) if worst_case else new_bias[:0]
        if not len(new_bias) and not len(new_variance):
            break  # nothing left to add: more rounds cannot help
        bias_points = np.union1d(bias_points, new_bias)
        variance_points = np.union1d(variance_points, new_variance)
    kind = "worst-case AQP" if worst_case else "AQP"
    raise AlftNumericalError(
        f"{kind} at K={problem.K}, τ={problem.budget:.4g}: not converged after {solution.rounds} exchange rounds "
        f"(sup bias/τ = {solution.sup_bias / problem.budget:.6f}, objective {solution.objective:.6g}, certified "
        f"lower bound {solution.lower_bound:.6g}); try a larger budget"
    )


def _better_average(problem: AqpProblem, program: Program, solution: AqpSolution) -> AqpSolution:
    """The uncertified barrier table or the NNLS table at τ·(1 − 1e-3), whichever has less average variance."""
    try:
        table = _nnls_table(replace(problem, budget=problem.budget * (1 - _BUDGET_SLACK)))
    except AlftNumericalError:
        return solution
    objective = float(program.group_variances(table)[0])
    if objective >= solution.objective:
        return solution
    sup_bias = float(_CheckGrids.of(problem).bias_error(table).max())
    return AqpSolution(table, sup_bias, objective, solution.lower_bound, solution.rounds, False)


def _program(
    problem: AqpProblem, grids: _CheckGrids, variance_points: np.ndarray, bias_points: np.ndarray, worst_case: bool
) -> Program:
    """The restricted program: the design-grid average variance (``aqp``) or one constraint per variance
    point (worst case), and the budget on the chosen bias points."""
    if worst_case:
        basis = grids.variance_basis[variance_points]
        groups = np.eye(len(variance_points))
    else:
        basis = binomial_basis(problem.K - 1, problem.variance_grid())
        groups = np.full((1, len(basis)), 1.0 / len(basis))
    return Program(basis, groups, grids.bias_rows[bias_points], grids.bias_target[bias_points], problem.budget)


def _nearest(grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Indices of the sorted grid's points nearest to ``points`` (unique)."""
    right = np.clip(np.searchsorted(grid, points), 1, len(grid) - 1)
    left_closer = points - grid[right - 1] < grid[right] - points
    return np.unique(np.where(left_closer, right - 1, right))


def _new_points(values: np.ndarray, above: float, known: np.ndarray) -> np.ndarray:
    """Local maxima of ``values`` above a level that are not constraints yet (one exchange step)."""
    peaks = local_maxima(values)
    return np.setdiff1d(peaks[values[peaks] > above], known)


def _pull_inside(
    g: np.ndarray, start: np.ndarray, grids: _CheckGrids, bias_points: np.ndarray, budget: float
) -> np.ndarray:
    """Move g toward the strictly feasible start until it is strictly inside the budget on the bias points
    (newly added points may be violated; the bias constraints are convex, so the segment gets inside)."""
    for theta in (1.0, 0.9, 0.7, 0.5, 0.3, 0.1):
        candidate = start + theta * (g - start)
        if np.all(grids.bias_error(candidate)[bias_points] < budget):
            return candidate
    return start


def _interior_start(problem: AqpProblem) -> np.ndarray:
    """A table strictly inside the budget on the dense grid (at most 0.95·τ): the least-distance NNLS
    solution at 0.95·τ where float64 allows it, otherwise the barrier's phase one."""
    try:
        return _nnls_table(replace(problem, budget=problem.budget * _START_BUDGET))
    except AlftNumericalError:
        return _phase_one_start(problem)


def _nnls_table(problem: AqpProblem) -> np.ndarray:
    """The average-variance table by least-distance NNLS, bias ≤ τ·(1 + 1e-3) on the dense grid."""
    var_p = problem.variance_grid()
    nu = np.full(len(var_p), 1.0 / len(var_p))
    table, _ = _solve_refined(problem, nu, problem.bias_grid(), _covariances(problem.K, var_p))
    return table


def _phase_one_start(problem: AqpProblem) -> np.ndarray:
    """Shrink the bias of the add-one plug-in table below 0.95·τ with the average variance capped, raising
    the cap ×10 when the barrier proves the budget out of reach under it."""
    grids = _CheckGrids.of(problem)
    g = np.log(np.arange(1, problem.K + 1) / problem.K)
    points = np.union1d(local_maxima(grids.bias_error(g)), grids.coarse_bias_points())
    goal = problem.budget * _START_BUDGET
    for cap in _PHASE_ONE_CAPS:
        for _ in range(_PHASE_ONE_ROUNDS):
            program = _program(problem, grids, points[:0], points, worst_case=False)
            result = phase_one(program, g, cap, below=goal * 0.95)
            g = result.g
            err = grids.bias_error(g)
            if err.max() < goal:
                return g
            if result.centred and result.lower > goal:
                break  # certified: no table with average variance ≤ cap reaches the budget
            points = np.union1d(points, _new_points(err, goal * 0.8, points))
    raise AlftNumericalError(
        f"AQP budget τ={problem.budget:.3g} is infeasible in float64 at K={problem.K} (no table found with "
        f"average variance ≤ {_PHASE_ONE_CAPS[-1]:g})"
    )


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
    """The average-variance QP for weights ν over the variance grid, bias ≤ budget on bias_p, as one
    least-distance NNLS (the barrier's start); None when infeasible."""
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
