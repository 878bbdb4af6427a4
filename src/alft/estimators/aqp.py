"""AQP: the variance-optimal table for log p under a bias budget (docs/concepts/estimators.md#aqp).

    minimise_g   Σ_{p∈P_v} ν_p gᵀ S(p) g            S(p) = diag(b(p)) − b(p) b(p)ᵀ
    subject to   | w_p (b(p)ᵀ g − log p) | ≤ τ        for p ∈ P_b

global: w_p = p on (0, 1], τ = κ·E*_K;  floor: w_p = 1 on [1/K, 1], τ = c/K².

Both variants are one convex program, min t s.t. v_j(g) ≤ t and the bias budget, where v_j is either the
ν-average variance (one constraint: ``aqp``) or Var_p at one point p_j of [1/K, 1] (``aqp-worst``,
docs/concepts/estimators.md#aqp "worst-case variance"). It is solved by a log-barrier Newton method (:mod:`alft.estimators.barrier`)
whose residuals are recomputed at every step, so the budget holds on the table it returns (no tightened
inner budget, which would void the bound). The least-distance NNLS at 0.95·τ, or where that cannot reach
the budget the barrier's phase one, supplies the strictly feasible start.

Conditioning: every solve runs in the coordinates of :class:`ConditionedBasis` (whitened variance, SVD of
the bias map), not in g, where the Bernstein rows have condition number ~1e16 at K = 128 and the Newton
systems lose the budget. The table is g = T c, rounded once to float64; its bias is then re-evaluated
from g on the dense grid, so every reported number is that of the stored table.

Discretisation is handled by exchange rounds: the peaks of the variance and of the bias on the dense
metric grids are added until the table meets the budget there (within 1e-5 relative) and, for the worst
case, until its sup variance is within ``_GAP`` of the certified lower bound. The restricted program is a
relaxation of the continuous one (fewer points), so its barrier dual bound t − m·μ is a valid lower bound
on the optimal worst-case variance; the returned upper bound is the table's sup on the dense grid.

Limits (measured, benchmarks/estimator_limits.py): κ = 8 is certified up to K = 128 (sup Var 275 for
``aqp``, 238 for ``aqp-worst``) and κ = 16 at K = 256 (sup Var 203). At K = 256 and κ = 8 phase one proves
that no table with average variance ≤ 1e6 reaches the budget; the table returned meets it with sup Var
≈ 1.3e8 and entries ≈ 2e4 (uncertified, ``converged=False``), far above the training bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import null_space
from scipy.optimize import nnls

from alft.errors import AlftNumericalError
from alft.estimators.barrier import Program, barrier_solve, phase_one
from alft.estimators.base import metric_grid
from alft.estimators.bernstein import binomial_basis, chebyshev_nodes, local_maxima

_BIAS_POINTS = 600
_VARIANCE_POINTS = 120
_REFINE_ROUNDS = 8
_BUDGET_SLACK = 1e-3  # the NNLS start may exceed its (tighter) budget between grid points by this fraction
_START_BUDGET = 0.95  # the barrier starts from a table at 0.95·τ: strictly inside the budget
_BUDGET_TOLERANCE = 1e-5  # a returned table meets τ on the dense grid to this relative accuracy
_ADD_BIAS_ABOVE = 0.5  # exchange: bias peaks above this fraction of τ join the constraints ...
_ADD_VARIANCE_ABOVE = 0.98  # ... and variance peaks above this fraction of the sup variance
_WARM_GAP = 1e-2  # later rounds start the barrier near the optimum
_PHASE_ONE_CAPS = (1e2, 1e4, 1e6, 1e8)  # average-variance caps tried by phase one
_PHASE_ONE_ROUNDS = 8
_PROGRESS = 1e-2  # a phase-one round that lowers the bias by less than this fraction has stalled
_SCALE_FLOOR = 1e-8  # directions below this relative singular value keep unit scale (see ConditionedBasis)
_START_RANK = 1e-7  # directions the least-distance start uses: beyond, the NNLS loses the budget
_SHIFT_COST = 1e-3  # least-distance start: weight of the constant shift, which has no variance
_GAP = 5e-3  # worst case: stop when sup variance ≤ certified lower bound · (1 + _GAP) + _ZERO_VARIANCE
_ZERO_VARIANCE = 1e-12  # variances this small are 0 (the constant tables at K ≤ 3)


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
        AlftNumericalError: phase one found no table strictly inside the budget with average variance
            ≤ 1e8 (κ = 1, the minimax value itself, has none), or the rounds ran out before the budget held
            on the dense grid (and, for the worst case, before the certified gap closed).
    """
    grids = _CheckGrids.of(problem)
    basis = ConditionedBasis.of(problem)
    start = _interior_start(problem, grids, basis)
    g = basis.table(start)
    variance_points = np.union1d(local_maxima(grids.variance(g)), grids.coarse_variance_points())
    bias_points = np.union1d(local_maxima(grids.bias_error(g)), grids.coarse_bias_points())
    c, solution = start, None
    for round_ in range(1, max_rounds + 1):
        program = _program(problem, grids, basis, variance_points, bias_points, worst_case)
        c = _pull_inside(c, start, program)
        result = barrier_solve(program, c, initial_gap=1.0 if round_ == 1 else _WARM_GAP)
        c, g = result.coefficients, result.g
        err, var = grids.bias_error(g), grids.variance(g)
        objective = float(var.max()) if worst_case else result.objective
        solution = AqpSolution(g, float(err.max()), objective, result.lower, round_, False)
        budget_met = solution.sup_bias <= problem.budget * (1 + _BUDGET_TOLERANCE)
        certified = result.centred and objective <= result.lower * (1 + _GAP) + _ZERO_VARIANCE
        if budget_met and certified:
            return replace(solution, converged=True)
        if budget_met and not worst_case:
            return solution  # the average AQP needs only the budget; converged=False says it is uncertified
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


@dataclass(frozen=True)
class ConditionedBasis:
    """Coordinates c of the table, g = T c, in which both parts of the AQP are well scaled.

    The map g ↦ B_g (Bernstein) and the variance gᵀS(p)g pull in opposite directions: directions of g that
    barely move the mean (singular values down to 1e-14 of the largest at K = 128) are exactly those of
    huge variance. Solved in g, the Newton systems and the least-distance NNLS lose the budget in float64
    beyond K = 64. Here the design-average covariance is whitened (on the complement of the constant
    shift, which has no variance), and the whitened p-weighted bias map on the design grid is diagonalised
    by its SVD U Σ Vᵀ: column i of T moves the design bias along the orthonormal vector uᵢ·σᵢ/mᵢ and has
    average variance 1/mᵢ², mᵢ = max(σᵢ, 10⁻⁸σ₁). The constant shift is the first column (design bias w/‖w‖).
    T is invertible, so nothing is truncated and the barrier's dual bounds stay valid.

    Attributes:
        to_table: T, (K, K).
        from_table: T⁻¹, formed from its factors (no inversion).
        singular: σ, the singular values of the whitened bias map, descending (K − 1).
    """

    to_table: np.ndarray
    from_table: np.ndarray
    singular: np.ndarray

    @classmethod
    def of(cls, problem: AqpProblem) -> "ConditionedBasis":
        K = problem.K
        shift_free = null_space(np.ones((1, K)))  # orthonormal basis of {g : Σ g = 0}
        average = _covariances(K, problem.variance_grid()).mean(axis=0)
        lam, V = np.linalg.eigh(shift_free.T @ average @ shift_free)
        whiten = shift_free @ (V / np.sqrt(lam))
        p = problem.bias_grid()
        w = problem.weights(p)
        _, sigma, Vt = np.linalg.svd((w[:, None] * binomial_basis(K - 1, p)) @ whiten, full_matrices=False)
        scale = np.maximum(sigma, sigma[0] * _SCALE_FLOOR)
        norm = np.linalg.norm(w)
        to_table = np.column_stack([np.full(K, 1.0 / norm), whiten @ Vt.T / scale])
        unwhiten = (V * np.sqrt(lam)).T @ shift_free.T
        from_table = np.vstack([np.full((1, K), norm / K), scale[:, None] * (Vt @ unwhiten)])
        return cls(to_table, from_table, sigma)

    def table(self, c: np.ndarray) -> np.ndarray:
        return self.to_table @ c

    def coefficients(self, g: np.ndarray) -> np.ndarray:
        return self.from_table @ g

    def well_determined(self) -> int:
        """How many whitened directions the least-distance start uses (σᵢ ≥ 10⁻⁷σ₁, after the shift)."""
        return 1 + int(np.sum(self.singular >= self.singular[0] * _START_RANK))


def _program(
    problem: AqpProblem,
    grids: _CheckGrids,
    basis: ConditionedBasis,
    variance_points: np.ndarray,
    bias_points: np.ndarray,
    worst_case: bool,
) -> Program:
    """The restricted program in the conditioned coordinates: the design-grid average variance (``aqp``)
    or one constraint per variance point (worst case), and the budget on the chosen bias points."""
    if worst_case:
        rows = grids.variance_basis[variance_points]
        groups = np.eye(len(variance_points))
    else:
        rows = binomial_basis(problem.K - 1, problem.variance_grid())
        groups = np.full((1, len(rows)), 1.0 / len(rows))
    bias_rows = grids.bias_rows[bias_points] @ basis.to_table
    return Program(rows, groups, bias_rows, grids.bias_target[bias_points], problem.budget, basis.to_table)


def _nearest(grid: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Indices of the sorted grid's points nearest to ``points`` (unique)."""
    right = np.clip(np.searchsorted(grid, points), 1, len(grid) - 1)
    left_closer = points - grid[right - 1] < grid[right] - points
    return np.unique(np.where(left_closer, right - 1, right))


def _new_points(values: np.ndarray, above: float, known: np.ndarray) -> np.ndarray:
    """Local maxima of ``values`` above a level that are not constraints yet (one exchange step)."""
    peaks = local_maxima(values)
    return np.setdiff1d(peaks[values[peaks] > above], known)


def _pull_inside(c: np.ndarray, start: np.ndarray, program: Program) -> np.ndarray:
    """Move c toward the strictly feasible start until it is strictly inside the budget on the program's
    bias points (newly added points may be violated; the bias constraints are convex, so the segment gets
    inside)."""
    for theta in (1.0, 0.9, 0.7, 0.5, 0.3, 0.1):
        candidate = start + theta * (c - start)
        if np.all(np.abs(program.bias_rows @ candidate - program.bias_target) < program.budget):
            return candidate
    return start


def _interior_start(problem: AqpProblem, grids: _CheckGrids, basis: ConditionedBasis) -> np.ndarray:
    """Coefficients strictly inside the budget on the dense grid (at most 0.95·τ): the least-distance
    NNLS over the well-determined directions where that reaches the budget, otherwise phase one."""
    c = _least_distance_start(problem, grids, basis)
    return c if c is not None else _phase_one_start(problem, grids, basis)


def _least_distance_start(problem: AqpProblem, grids: _CheckGrids, basis: ConditionedBasis) -> np.ndarray | None:
    """The least-average-variance table at 0.95·τ over the first :meth:`ConditionedBasis.well_determined`
    directions, by one least-distance NNLS per round, adding the dense grid's violated peaks; None when
    those directions cannot reach the budget."""
    used = basis.well_determined()
    # c_i = a_i·mᵢ has average variance a_i² (the shift costs 10⁻⁶ per unit: it has none, but the
    # least-distance problem needs a norm on every variable).
    cost = np.concatenate([[_SHIFT_COST], 1 / np.maximum(basis.singular, basis.singular[0] * _SCALE_FLOOR)])[:used]
    goal = problem.budget * _START_BUDGET
    budget, points = goal, grids.coarse_bias_points()
    for _ in range(_REFINE_ROUNDS):
        rows = (grids.bias_rows[points] @ basis.to_table[:, :used]) / cost
        target = grids.bias_target[points]
        a = _least_distance(np.vstack([-rows, rows]), np.concatenate([-budget - target, -budget + target]))
        if a is None:
            return None
        c = np.zeros(problem.K)
        c[:used] = a / cost
        err = grids.bias_error(basis.table(c))
        if err.max() < goal * (1 + _BUDGET_SLACK):
            return c
        budget *= goal / err.max()  # between grid points the bias may exceed the NNLS's: aim lower
        points = np.union1d(points, _new_points(err, goal, points))
    return None


def _phase_one_start(problem: AqpProblem, grids: _CheckGrids, basis: ConditionedBasis) -> np.ndarray:
    """Shrink the bias of the add-one plug-in table below 0.95·τ with the average variance capped, raising
    the cap ×100 when the barrier proves the budget out of reach under it or stops making progress."""
    c = basis.coefficients(np.log(np.arange(1, problem.K + 1) / problem.K))
    points = np.union1d(local_maxima(grids.bias_error(basis.table(c))), grids.coarse_bias_points())
    goal = problem.budget * _START_BUDGET
    for cap in _PHASE_ONE_CAPS:
        previous = np.inf
        for _ in range(_PHASE_ONE_ROUNDS):
            program = _program(problem, grids, basis, points[:0], points, worst_case=False)
            result = phase_one(program, c, cap, below=goal * 0.95)
            c = result.coefficients
            err = grids.bias_error(result.g)
            if err.max() < goal:
                return c
            if (result.centred and result.lower > goal) or err.max() > previous * (1 - _PROGRESS):
                break  # certified out of reach under this cap, or stalled
            previous = err.max()
            points = np.union1d(points, _new_points(err, goal * 0.8, points))
    raise AlftNumericalError(
        f"AQP budget τ={problem.budget:.3g} is out of reach at K={problem.K}: phase one found no table with bias "
        f"below {_START_BUDGET}·τ and average variance ≤ {_PHASE_ONE_CAPS[-1]:g}"
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
