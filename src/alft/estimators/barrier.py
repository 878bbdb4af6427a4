"""A log-barrier Newton solver for the AQP programs (docs/concepts/estimators.md#aqp), over x = (c, t, s), table g = T c:

    constraints   v_G(g) = Σ_j W_Gj Var_{p_j}(g) ≤ t     for every group G
                  | a_iᵀ c − f_i | ≤ s                      for every bias row i

with Var_p(g) = b(p)ᵀ(g∘g) − (b(p)ᵀg)². The AQP itself minimises t at s = τ fixed: one group of design
weights ν is the average-variance AQP, one group per point the worst-case-variance AQP (an SOCP, here
without a cone solver). Phase one minimises s at t = T fixed, to find a table strictly inside the budget
when the least-distance start cannot.

The coordinates c are those of :class:`alft.estimators.aqp.ConditionedBasis` (bias rows near-orthonormal,
variance near-diagonal); in the table's own coordinates the Newton systems lose the budget in float64
beyond K = 64. Two more things keep Newton quadratic at K = 128–256: the free scalar (t or s) is
eliminated by a Schur complement formed without cancellation, and after every step it is moved to its
exact 1-D minimiser, so its slacks cannot collapse and pin the iterate to the constraint.

Why a barrier: the residuals a_iᵀc − f_i are recomputed from c at every Newton step, so the budget is met
to float64 accuracy.
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
_ABSOLUTE_GAP = 1e-14  # ... or absolute, for an optimum at 0 (a constant table at K ≤ 3 has no variance)
_T, _S = -2, -1  # positions of t and s in x


@dataclass(frozen=True)
class Program:
    """One instance: variance rows and group weights, bias rows and target.

    Attributes:
        variance_basis: (J, K) Bernstein rows b(p_j) at the variance points.
        groups: (G, J) nonnegative weights W; each row is one constraint v_G(g) ≤ t.
        bias_rows: (I, n) rows a_i = w_i b(p_i)ᵀ T over the coefficients.
        bias_target: (I,) f_i = w_i R(p_i).
        budget: τ, the fixed s of the AQP.
        table_basis: T, (K, n): the table of coefficients c is g = T c.
    """

    variance_basis: np.ndarray
    groups: np.ndarray
    bias_rows: np.ndarray
    bias_target: np.ndarray
    budget: float
    table_basis: np.ndarray

    @property
    def constraints(self) -> int:
        return len(self.groups) + 2 * len(self.bias_rows)

    def table(self, c: np.ndarray) -> np.ndarray:
        """g = T c."""
        return self.table_basis @ c

    def group_variances(self, c: np.ndarray) -> np.ndarray:
        g = self.table(c)
        mean = self.variance_basis @ g
        return self.groups @ (self.variance_basis @ (g * g) - mean * mean)

    def slacks(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """t − v_G(g), s − r_i and s + r_i at x = (c, t, s)."""
        r = self.bias_rows @ x[:_T] - self.bias_target
        return x[_T] - self.group_variances(x[:_T]), x[_S] - r, x[_S] + r


@dataclass(frozen=True)
class BarrierResult:
    """The solved coefficients and table, its objective (t for the AQP, s for phase one), the dual lower
    bound objective − m·μ and whether the last centring converged (if not, the bound is not certified)."""

    coefficients: np.ndarray
    g: np.ndarray
    objective: float
    lower: float
    centred: bool


def barrier_solve(program: Program, c: np.ndarray, initial_gap: float = 1.0) -> BarrierResult:
    """Minimise t with s = τ, from coefficients c strictly inside the budget τ.

    Args:
        program: the instance.
        c: start, with |a_iᵀc − f_i| < τ for every row.
        initial_gap: m·μ of the first centring relative to t (smaller for a warm start near the optimum).
    """
    t = float(program.group_variances(c).max()) * 1.05 + 1e-12
    return _solve(program, np.concatenate([c, [t, program.budget]]), _T, initial_gap, stop_below=-np.inf)


def phase_one(program: Program, c: np.ndarray, cap: float, below: float) -> BarrierResult:
    """Minimise the bias s with every v_G ≤ cap, stopping once s < ``below``.

    Args:
        program: the instance (its budget is ignored).
        c: start, with every v_G < cap.
        cap: T, the variance allowed while searching.
        below: stop as soon as a centred point has s below this.
    """
    r = program.bias_rows @ c - program.bias_target
    x = np.concatenate([c, [cap, float(np.abs(r).max()) * 1.05 + 1e-15]])
    return _solve(program, x, _S, 1.0, stop_below=below)


def _solve(program: Program, x: np.ndarray, free: int, initial_gap: float, stop_below: float) -> BarrierResult:
    """Centre along μ → 0, minimising x[free] (t or s; the other stays fixed)."""
    m = program.constraints
    mu = initial_gap * x[free] / m
    while True:
        x, decrement = _centre(program, x, mu, free)
        lam = np.sqrt(max(2 * decrement, 0.0))  # rounding makes it slightly negative at an exact optimum (K ≤ 3)
        centred = lam <= _CENTRED
        if m * mu <= _GAP * x[free] + _ABSOLUTE_GAP or not centred or x[free] < stop_below:
            break
        mu /= _SHRINK
    # Duality gap of an approximately centred point of an m-self-concordant barrier (Nesterov–Nemirovski):
    # objective − optimum ≤ μ·(m + (λ + √m)·λ/(1 − λ)) for Newton decrement λ < 1.
    gap = mu * (m + (lam + np.sqrt(m)) * lam / (1 - min(lam, 0.5)))
    return BarrierResult(coefficients=x[:_T], g=program.table(x[:_T]), objective=float(x[free]), lower=float(x[free] - gap), centred=bool(centred))


def _value(program: Program, x: np.ndarray, mu: float, free: int) -> float:
    """x[free]/μ − Σ log(slacks); +inf outside the domain."""
    slacks = program.slacks(x)
    if min(s.min() for s in slacks) <= 0:
        return np.inf
    return x[free] / mu - sum(np.log(s).sum() for s in slacks)


def _newton_step(program: Program, x: np.ndarray, mu: float, free: int) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Newton direction of the barrier function over the coefficients c and x[free].

    The free scalar is eliminated in closed form: the constraints it appears in (σ_k = x[free] + d_kᵀc + …)
    contribute Σ ω_k (d_k, 1)(d_k, 1)ᵀ with ω_k = 1/σ_k², whose Schur complement is the ω-weighted
    scatter Σ ω_k (d_k − d̄)(d_k − d̄)ᵀ. Forming it that way avoids subtracting two huge rank-one terms
    (ω_k → ∞ near the optimum), which is what stalls Newton in float64 at large K.
    """
    T, B, W, A = program.table_basis, program.variance_basis, program.groups, program.bias_rows
    g = T @ x[:_T]
    u, low, high = program.slacks(x)
    BT = B @ T
    mean = B @ g
    group_grad = W @ (2 * ((B * g) @ T - mean[:, None] * BT))  # ∇v_G over c, (G, n)
    weights = W.T @ (1 / u)  # weight of each point's Hessian 2 S(p_j)
    # Curvature of the variance constraints, then the constraints without the free variable.
    H = 2 * (T.T * (B.T @ weights)) @ T - 2 * (BT.T * weights) @ BT
    if free == _T:
        H += (A.T * (1 / low**2 + 1 / high**2)) @ A
        d, slack = -group_grad, u  # t − v_G: gradient (−∇v_G, 1)
    else:
        H += (group_grad.T / u**2) @ group_grad
        d, slack = np.vstack([-A, A]), np.concatenate([low, high])  # s ∓ r_i: gradient (∓a_i, 1)
    grad_c = group_grad.T @ (1 / u) + A.T @ (1 / low - 1 / high)
    grad_free = 1 / mu - np.sum(1 / slack)
    omega = 1 / slack**2
    mean_d = omega @ d / omega.sum()
    centred_d = (d - mean_d) * np.sqrt(omega)[:, None]
    H += centred_d.T @ centred_d
    h, eta = omega @ d, omega.sum()  # H's free column and diagonal entry
    rhs = -grad_c + h * grad_free / eta
    # Rescale to unit diagonal: the slack terms span many orders of magnitude near the boundary.
    scale = 1 / np.sqrt(np.maximum(np.diag(H), 1e-300))
    scaled = H * scale[:, None] * scale[None, :]
    try:
        step_c = scale * np.linalg.solve(scaled, scale * rhs)
    except np.linalg.LinAlgError:
        step_c = scale * np.linalg.lstsq(scaled, scale * rhs, rcond=None)[0]
    n = len(step_c)
    full_grad, full_step = np.zeros(n + 2), np.zeros(n + 2)
    full_grad[:n], full_grad[free] = grad_c, grad_free
    full_step[:n], full_step[free] = step_c, -(grad_free + h @ step_c) / eta
    return full_grad, full_step


def _longest_step(program: Program, x: np.ndarray, step: np.ndarray) -> float:
    """The largest α ≤ 1 keeping every slack positive along x + α·step (times 0.99): the bias slacks are
    linear in α, each t − v_G a concave quadratic."""
    g, dg = program.table(x[:_T]), program.table(step[:_T])
    dt, ds = step[_T], step[_S]
    u, low, high = program.slacks(x)
    slope = program.bias_rows @ step[:_T]
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


def _best_free(program: Program, x: np.ndarray, mu: float, free: int) -> np.ndarray:
    """x with x[free] moved to its exact minimiser for the other coordinates fixed.

    Why: the slacks σ_k = x[free] − q_k it enters (t − v_G, or s ∓ r_i) otherwise collapse near the
    optimum, and Newton then creeps along the constraint, x[free] falling by about 2μ per step. The 1-D
    condition h(f) = 1/μ − Σ 1/(f − q_k) = 0 has h concave and increasing, so Newton started left of the
    root converges monotonically.
    """
    u, low, high = program.slacks(x)
    q = x[free] - (u if free == _T else np.concatenate([low, high]))
    f = q.max() + 1e-3 * mu  # h(f) ≤ 1/μ − 1/(10⁻³μ) < 0 here
    for _ in range(100):
        gaps = f - q
        h = 1 / mu - np.sum(1 / gaps)
        if h >= -1e-9 / mu:
            break
        f -= h / np.sum(1 / gaps**2)
    out = x.copy()
    out[free] = f
    return out


def _centre(program: Program, x: np.ndarray, mu: float, free: int) -> tuple[np.ndarray, float]:
    """Newton's method with backtracking; returns the point and its Newton decrement λ²/2."""
    x = _best_free(program, x, mu, free)
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
        x = _best_free(program, x + alpha * step, mu, free)
        value = _value(program, x, mu, free)
    return x, decrement
