"""A log-barrier Newton solver for the AQP programs (SPEC §3.6):

    minimise_{g, t}  t   subject to   v_G(g) = Σ_j W_Gj Var_{p_j}(g) ≤ t    for every group G
                                      | a_iᵀ g − f_i | ≤ τ                     for every bias row i

with Var_p(g) = b(p)ᵀ(g∘g) − (b(p)ᵀg)². One group of design weights ν is the average-variance AQP; one
group per point is the worst-case-variance AQP (an SOCP, here without a cone solver).

Why a barrier: the residuals a_iᵀg − f_i are recomputed from g at every Newton step, so the budget is met
to float64 accuracy however ill-conditioned the Bernstein rows are (the dual NNLS loses it at K ≥ 128).
Why its bound is valid: at a centred point x(μ) the multipliers ν_G = μ/(t − v_G), λ = μ/slack are dual
feasible and the Lagrangian is minimised at x(μ), so t − m·μ (m constraints) is the dual function value:
a lower bound on the program's optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CENTRING_STEPS = 80
_DECREMENT = 1e-10  # Newton decrement λ²/2 at which a point counts as centred
_SHRINK = 10.0  # μ ← μ/10 between centrings
_GAP = 1e-5  # relative barrier gap m·μ/t at which the program is solved


@dataclass(frozen=True)
class Program:
    """One instance: variance rows and group weights, bias rows, target and budget.

    Attributes:
        variance_basis: (J, K) Bernstein rows b(p_j) at the variance points.
        groups: (G, J) nonnegative weights W; each row is one constraint v_G(g) ≤ t.
        bias_rows: (I, K) rows a_i = w_i b(p_i).
        bias_target: (I,) f_i = w_i R(p_i).
        budget: τ.
    """

    variance_basis: np.ndarray
    groups: np.ndarray
    bias_rows: np.ndarray
    bias_target: np.ndarray
    budget: float

    @property
    def constraints(self) -> int:
        return len(self.groups) + 2 * len(self.bias_rows)

    def group_variances(self, g: np.ndarray) -> np.ndarray:
        mean = self.variance_basis @ g
        return self.groups @ (self.variance_basis @ (g * g) - mean * mean)

    def slacks(self, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r = self.bias_rows @ g - self.bias_target
        return self.budget - r, self.budget + r


@dataclass(frozen=True)
class BarrierResult:
    """The solved table, its objective t, the dual lower bound t − m·μ and whether the last centring
    converged (if not, the bound is not certified)."""

    g: np.ndarray
    t: float
    lower: float
    centred: bool


def barrier_solve(program: Program, g: np.ndarray, initial_gap: float = 1.0) -> BarrierResult:
    """Solve ``program`` from a table g strictly inside the bias budget.

    Args:
        program: the instance.
        g: start, with |a_iᵀg − f_i| < τ for every row.
        initial_gap: m·μ of the first centring relative to t (smaller for a warm start near the optimum).

    Returns:
        The solution and its certified lower bound.
    """
    t = float(program.group_variances(g).max()) * 1.05 + 1e-12
    mu = initial_gap * t / program.constraints
    x = np.append(g, t)
    while True:
        x, centred = _centre(program, x, mu)
        if program.constraints * mu <= _GAP * x[-1] or not centred:
            break
        mu /= _SHRINK
    t = float(x[-1])
    return BarrierResult(g=x[:-1], t=t, lower=t - program.constraints * mu, centred=centred)


def _longest_step(program: Program, x: np.ndarray, step: np.ndarray) -> float:
    """The largest α ≤ 1 keeping every slack positive along x + α·step (times 0.99): the bias slacks are
    linear in α, each t − v_G a concave quadratic."""
    g, dg, dt = x[:-1], step[:-1], step[-1]
    low, high = program.slacks(g)
    slope = program.bias_rows @ dg
    limits = [1.0 / 0.99]
    for slack, rate in ((low, -slope), (high, slope)):
        falling = rate < 0
        if falling.any():
            limits.append(float(np.min(slack[falling] / -rate[falling])))
    u = x[-1] - program.group_variances(g)
    mean, dmean = program.variance_basis @ g, program.variance_basis @ dg
    linear = dt - program.groups @ (2 * (program.variance_basis @ (g * dg)) - 2 * mean * dmean)
    quadratic = program.groups @ (program.variance_basis @ (dg * dg) - dmean * dmean)  # ≥ 0
    # smallest positive root of u + linear·α − quadratic·α² = 0
    root = (linear + np.sqrt(linear**2 + 4 * quadratic * u)) / np.maximum(2 * quadratic, 1e-300)
    root = np.where(quadratic > 1e-300, root, np.where(linear < 0, u / np.maximum(-linear, 1e-300), np.inf))
    limits.append(float(root.min()))
    return 0.99 * min(limits)


def _value(program: Program, x: np.ndarray, mu: float) -> float:
    """t/μ − Σ log(slacks); +inf outside the domain."""
    g, t = x[:-1], x[-1]
    u = t - program.group_variances(g)
    low, high = program.slacks(g)
    if u.min() <= 0 or low.min() <= 0 or high.min() <= 0:
        return np.inf
    return t / mu - np.log(u).sum() - np.log(low).sum() - np.log(high).sum()


def _newton_step(program: Program, x: np.ndarray, mu: float) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Newton direction of the barrier function at x."""
    g, t = x[:-1], x[-1]
    B, W, A = program.variance_basis, program.groups, program.bias_rows
    mean = B @ g
    u = t - W @ (B @ (g * g) - mean * mean)
    low, high = program.slacks(g)
    point_grad = 2 * (B * g - mean[:, None] * B)  # ∇Var_{p_j}(g), (J, K)
    group_grad = W @ point_grad  # ∇v_G, (G, K)
    c = W.T @ (1 / u)  # weight of each point's Hessian 2 S(p_j)
    K = len(g)
    H = np.empty((K + 1, K + 1))
    H[:K, :K] = (
        2 * np.diag(B.T @ c)
        - 2 * (B.T * c) @ B
        + (group_grad.T / u**2) @ group_grad
        + (A.T * (1 / low**2 + 1 / high**2)) @ A
    )
    H[:K, K] = H[K, :K] = -group_grad.T @ (1 / u**2)
    H[K, K] = np.sum(1 / u**2)
    grad = np.append(group_grad.T @ (1 / u) + A.T @ (1 / low - 1 / high), 1 / mu - np.sum(1 / u))
    # Rescale to unit diagonal: the slack terms span many orders of magnitude near the boundary.
    d = 1 / np.sqrt(np.maximum(np.diag(H), 1e-300))
    try:
        step = -d * np.linalg.solve(H * d[:, None] * d[None, :], d * grad)
    except np.linalg.LinAlgError:
        step = -d * np.linalg.lstsq(H * d[:, None] * d[None, :], d * grad, rcond=None)[0]
    return grad, step


def _centre(program: Program, x: np.ndarray, mu: float) -> tuple[np.ndarray, bool]:
    """Newton's method with backtracking on t/μ + barrier; returns the point and whether it is centred."""
    value = _value(program, x, mu)
    for _ in range(_CENTRING_STEPS):
        grad, step = _newton_step(program, x, mu)
        decrement = -float(grad @ step)
        if decrement / 2 <= _DECREMENT:
            return x, True
        alpha = _longest_step(program, x, step)
        while alpha > 1e-12:
            trial = _value(program, x + alpha * step, mu)
            if trial <= value - 0.25 * alpha * decrement:
                break
            alpha /= 2
        else:
            return x, decrement / 2 <= 1e-6  # no progress in float64: centred only if nearly so
        x, value = x + alpha * step, trial
    return x, False
