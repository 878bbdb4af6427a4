"""A log-barrier Newton solver for the AQP programs (SPEC §3.6), over x = (g, t, s):

    constraints   v_G(g) = Σ_j W_Gj Var_{p_j}(g) ≤ t     for every group G
                  | a_iᵀ g − f_i | ≤ s                      for every bias row i

with Var_p(g) = b(p)ᵀ(g∘g) − (b(p)ᵀg)². The AQP itself minimises t at s = τ fixed: one group of design
weights ν is the average-variance AQP, one group per point the worst-case-variance AQP (an SOCP, here
without a cone solver). Phase one minimises s at t = T fixed, to find a table strictly inside the budget
when no other method can (K ≥ 128, where the least-distance NNLS loses the budget).

Why a barrier: the residuals a_iᵀg − f_i are recomputed from g at every Newton step, so the budget is met
to float64 accuracy however ill-conditioned the Bernstein rows are.
Why its bound is valid: at a centred point x(μ) the multipliers μ/slack are dual feasible and the
Lagrangian is minimised at x(μ), so (objective − m·μ), m constraints, is the dual function value: a lower
bound on the program's optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CENTRING_STEPS = 80
_DECREMENT = 1e-10  # Newton decrement λ²/2 at which centring stops
_CENTRED = 0.25  # a point with Newton decrement λ ≤ 0.25 counts as centred (its dual bound is corrected)
_SHRINK = 10.0  # μ ← μ/10 between centrings
_GAP = 1e-4  # relative barrier gap m·μ/objective at which the program is solved
_T, _S = -2, -1  # positions of t and s in x


@dataclass(frozen=True)
class Program:
    """One instance: variance rows and group weights, bias rows and target.

    Attributes:
        variance_basis: (J, K) Bernstein rows b(p_j) at the variance points.
        groups: (G, J) nonnegative weights W; each row is one constraint v_G(g) ≤ t.
        bias_rows: (I, K) rows a_i = w_i b(p_i).
        bias_target: (I,) f_i = w_i R(p_i).
        budget: τ, the fixed s of the AQP.
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

    def slacks(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """t − v_G(g), s − r_i and s + r_i at x = (g, t, s)."""
        r = self.bias_rows @ x[:_T] - self.bias_target
        return x[_T] - self.group_variances(x[:_T]), x[_S] - r, x[_S] + r


@dataclass(frozen=True)
class BarrierResult:
    """The solved table, its objective (t for the AQP, s for phase one), the dual lower bound
    objective − m·μ and whether the last centring converged (if not, the bound is not certified)."""

    g: np.ndarray
    objective: float
    lower: float
    centred: bool


def barrier_solve(program: Program, g: np.ndarray, initial_gap: float = 1.0) -> BarrierResult:
    """Minimise t with s = τ, from a table g strictly inside the budget τ.

    Args:
        program: the instance.
        g: start, with |a_iᵀg − f_i| < τ for every row.
        initial_gap: m·μ of the first centring relative to t (smaller for a warm start near the optimum).
    """
    t = float(program.group_variances(g).max()) * 1.05 + 1e-12
    return _solve(program, np.concatenate([g, [t, program.budget]]), _T, initial_gap, stop_below=-np.inf)


def phase_one(program: Program, g: np.ndarray, cap: float, below: float) -> BarrierResult:
    """Minimise the bias s with every v_G ≤ cap, stopping once s < ``below``.

    Args:
        program: the instance (its budget is ignored).
        g: start, with every v_G(g) < cap.
        cap: T, the variance allowed while searching.
        below: stop as soon as a centred point has s below this.
    """
    r = program.bias_rows @ g - program.bias_target
    x = np.concatenate([g, [cap, float(np.abs(r).max()) * 1.05 + 1e-15]])
    return _solve(program, x, _S, 1.0, stop_below=below)


def _solve(program: Program, x: np.ndarray, free: int, initial_gap: float, stop_below: float) -> BarrierResult:
    """Centre along μ → 0, minimising x[free] (t or s; the other stays fixed)."""
    m = program.constraints
    mu = initial_gap * x[free] / m
    while True:
        x, decrement = _centre(program, x, mu, free)
        lam = np.sqrt(2 * decrement)
        centred = lam <= _CENTRED
        if m * mu <= _GAP * x[free] or not centred or x[free] < stop_below:
            break
        mu /= _SHRINK
    # Duality gap of an approximately centred point of an m-self-concordant barrier (Nesterov–Nemirovski):
    # objective − optimum ≤ μ·(m + (λ + √m)·λ/(1 − λ)) for Newton decrement λ < 1.
    gap = mu * (m + (lam + np.sqrt(m)) * lam / (1 - min(lam, 0.5)))
    return BarrierResult(g=x[:_T], objective=float(x[free]), lower=float(x[free] - gap), centred=bool(centred))


def _value(program: Program, x: np.ndarray, mu: float, free: int) -> float:
    """x[free]/μ − Σ log(slacks); +inf outside the domain."""
    slacks = program.slacks(x)
    if min(s.min() for s in slacks) <= 0:
        return np.inf
    return x[free] / mu - sum(np.log(s).sum() for s in slacks)


def _newton_step(program: Program, x: np.ndarray, mu: float, free: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Newton direction of the barrier function over g and x[free]."""
    g = x[:_T]
    B, W, A = program.variance_basis, program.groups, program.bias_rows
    u, low, high = program.slacks(x)
    mean = B @ g
    group_grad = W @ (2 * (B * g - mean[:, None] * B))  # ∇v_G, (G, K)
    c = W.T @ (1 / u)  # weight of each point's Hessian 2 S(p_j)
    K = len(g)
    H = np.zeros((K + 2, K + 2))
    H[:K, :K] = (
        2 * np.diag(B.T @ c)
        - 2 * (B.T * c) @ B
        + (group_grad.T / u**2) @ group_grad
        + (A.T * (1 / low**2 + 1 / high**2)) @ A
    )
    H[:K, _T] = H[_T, :K] = -group_grad.T @ (1 / u**2)
    H[_T, _T] = np.sum(1 / u**2)
    H[:K, _S] = H[_S, :K] = A.T @ (1 / high**2 - 1 / low**2)
    H[_S, _S] = np.sum(1 / low**2 + 1 / high**2)
    grad = np.concatenate([group_grad.T @ (1 / u) + A.T @ (1 / low - 1 / high), [-np.sum(1 / u), -np.sum(1 / low + 1 / high)]])
    grad[free] += 1 / mu
    keep = np.r_[np.arange(K), K + 2 + free]
    H, grad = H[np.ix_(keep, keep)], grad[keep]
    # Rescale to unit diagonal: the slack terms span many orders of magnitude near the boundary.
    d = 1 / np.sqrt(np.maximum(np.diag(H), 1e-300))
    try:
        step = -d * np.linalg.solve(H * d[:, None] * d[None, :], d * grad)
    except np.linalg.LinAlgError:
        step = -d * np.linalg.lstsq(H * d[:, None] * d[None, :], d * grad, rcond=None)[0]
    full_grad, full_step = np.zeros(K + 2), np.zeros(K + 2)
    full_grad[keep], full_step[keep] = grad, step
    return full_grad, full_step


def _longest_step(program: Program, x: np.ndarray, step: np.ndarray) -> float:
    """The largest α ≤ 1 keeping every slack positive along x + α·step (times 0.99): the bias slacks are
    linear in α, each t − v_G a concave quadratic."""
    g, dg, dt, ds = x[:_T], step[:_T], step[_T], step[_S]
    u, low, high = program.slacks(x)
    slope = program.bias_rows @ dg
    limits = [1.0 / 0.99]
    for slack, rate in ((low, ds - slope), (high, ds + slope)):
        falling = rate < 0
        if falling.any():
            limits.append(float(np.min(slack[falling] / -rate[falling])))
    mean, dmean = program.variance_basis @ g, program.variance_basis @ dg
    linear = dt - program.groups @ (2 * (program.variance_basis @ (g * dg)) - 2 * mean * dmean)
    quadratic = program.groups @ (program.variance_basis @ (dg * dg) - dmean * dmean)  # ≥ 0
    # smallest positive root of u + linear·α − quadratic·α² = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        root = np.where(
            quadratic > 1e-300,
            (linear + np.sqrt(linear**2 + 4 * quadratic * u)) / (2 * quadratic),
            np.where(linear < 0, u / -linear, np.inf),
        )
    limits.append(float(root.min()))
    return 0.99 * min(limits)


def _centre(program: Program, x: np.ndarray, mu: float, free: int) -> tuple[np.ndarray, float]:
    """Newton's method with backtracking; returns the point and its Newton decrement λ²/2."""
    value = _value(program, x, mu, free)
    for _ in range(_CENTRING_STEPS):
        grad, step = _newton_step(program, x, mu, free)
        decrement = -float(grad @ step) / 2
        if decrement <= _DECREMENT:
            return x, decrement
        alpha = _longest_step(program, x, step)
        while alpha > 1e-12:
            trial = _value(program, x + alpha * step, mu, free)
            if trial <= value - 0.5 * alpha * decrement:
                break
            alpha /= 2
        else:
            return x, decrement  # no decrease visible in float64: as centred as it gets
        x, value = x + alpha * step, trial
    return x, decrement
