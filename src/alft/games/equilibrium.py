"""Equilibria of the KL-regularised answer-level game (docs/concepts/game.md#closed-form-equilibria), used as test and benchmark oracles.

The answer-level problem max_p Σ_z p_z ℓ_z + F(p) − β KL(p ‖ p_ref) (ℓ: the linear per-answer rewards,
verifier and constraints) is stationary where

    ℓ_z + R(p_z) − β log(p_z / p_ref,z) = ν   for every answer z,               (★)

R the objective's estimated per-answer reward, ν fixed by Σ p = 1. When R = c·log p the solution is
closed-form, p ∝ p_ref^{β/(β−c)} exp(ℓ/(β−c)) (entropy weight τ = −c). Otherwise each p_z(ν) is the
root of a decreasing function of log p_z and ν is found by a 1-D root search.

Replacing R by an estimator's mean B_g(p) (docs/concepts/answer-level.md#count-tables) gives the fixed point that sampled dynamics with
that estimator converge to: the estimator's bias moves the equilibrium (docs/concepts/estimators.md#bias-moves-the-equilibrium).

On a :class:`TabularGame`, :func:`equilibria` gives p* per prompt, for plain objectives, for constrained
ones (the Lagrangian equilibrium at the optimal multipliers) and for the anchored game (docs/concepts/game.md#the-anchor);
they are the oracles the simulator is measured against.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import xlogy

from alft.errors import AlftInputError
from alft.estimators import Estimator, RewardForm, get_estimator
from alft.games.constraints import DualState, constrained
from alft.games.objectives import Objective
from alft.games.tabular import TabularGame, TabularPrompt

_LOG_P_MIN = -700.0  # p = e^−700 ≈ 1e−304: the smallest probability represented
_BISECTIONS = 120


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """½ Σ |p − q|."""
    return 0.5 * float(np.sum(np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float))))


def closed_form_equilibrium(p_ref: np.ndarray, beta: float, tau: float, linear: np.ndarray | None = None) -> np.ndarray:
    """p* ∝ p_ref^{β/(β+τ)} exp(ℓ/(β+τ)) for F = τ·H (τ < 0: coherence with γ = −τ) (docs/concepts/game.md#closed-form-equilibria).

    Valid for β + τ > 0; γ ≥ β collapses onto one answer and is refused.
    """
    p_ref = _check_reference(p_ref)
    if not beta + tau > 0:
        raise AlftInputError(
            f"tau: got {tau!r} with beta={beta!r}, expected beta + tau > 0 (coherence weight γ = −tau below beta); "
            "otherwise the optimum collapses onto one answer"
        )
    linear = np.zeros_like(p_ref) if linear is None else np.asarray(linear, dtype=float)
    logits = (beta * np.log(p_ref) + linear) / (beta + tau)
    weights = np.exp(logits - logits.max())
    return weights / weights.sum()


def _check_reference(p_ref: np.ndarray) -> np.ndarray:
    p_ref = np.asarray(p_ref, dtype=float)
    if p_ref.ndim != 1 or p_ref.size == 0 or np.any(~np.isfinite(p_ref)) or np.any(p_ref <= 0):
        raise AlftInputError(f"p_ref: got {p_ref!r}, expected a non-empty vector of positive probabilities")
    return p_ref / p_ref.sum()


def _slope_check(reward: Callable[[np.ndarray], np.ndarray], beta: float, label: str) -> None:
    """(★) has one solution per ν when p·R′(p) < β on (0, 1]; refuse otherwise (several equilibria)."""
    u = np.linspace(-30.0, 0.0, 3001)
    values = reward(np.exp(u))
    slope = np.max(np.diff(values) / np.diff(u))  # d R(e^u)/du = p R′(p)
    if not slope < beta:
        raise AlftInputError(
            f"beta: got {beta!r}, but p·R′(p) of {label} reaches {slope:.4g}; the stationarity condition has "
            "several solutions (the answer distribution can collapse). Expected beta above that value."
        )


def stationary_point(
    p_ref: np.ndarray, beta: float, reward: Callable[[np.ndarray], np.ndarray], linear: np.ndarray | None = None,
    label: str = "the reward",
) -> np.ndarray:
    """Solve (★) for a separable per-answer reward R (any callable), by nested 1-D root finding.

    Args:
        p_ref: reference answer distribution (positive).
        beta: KL weight β ≥ 0.
        reward: R(p), vectorised over p ∈ (0, 1]; p·R′(p) < β is required and checked.
        linear: ℓ_z per answer (verifier, constraints); zeros when None.
        label: how errors name the reward.

    Returns:
        p* (sums to 1).
    """
    p_ref = _check_reference(p_ref)
    if not (np.isfinite(beta) and beta >= 0):
        raise AlftInputError(f"beta: got {beta!r}, expected a finite KL weight ≥ 0")
    _slope_check(reward, beta, label)
    linear = np.zeros_like(p_ref) if linear is None else np.asarray(linear, dtype=float)
    base = linear + beta * np.log(p_ref)

    def h(u: np.ndarray) -> np.ndarray:  # left side of (★) at log p = u, decreasing in u
        return base + reward(np.exp(u)) - beta * u

    def log_p(nu: float) -> np.ndarray:
        lo, hi = np.full_like(base, _LOG_P_MIN), np.zeros_like(base)
        for _ in range(_BISECTIONS):  # vectorised bisection over answers: robust, no bracketing per answer
            mid = 0.5 * (lo + hi)
            above = h(mid) > nu
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        return 0.5 * (lo + hi)

    # ν ≥ max h(0) keeps every p_z ≤ 1 (Σ ≥ 1 at equality); ν at max h(log 1/n) makes Σ ≤ 1.
    low = float(np.max(h(np.zeros_like(base))))
    high = float(np.max(h(np.full_like(base, -np.log(base.size)))))
    if high <= low:
        return np.exp(log_p(low)) / np.exp(log_p(low)).sum()
    nu = brentq(lambda v: np.exp(log_p(v)).sum() - 1.0, low, high, xtol=1e-15, rtol=1e-15, maxiter=200)
    p = np.exp(log_p(nu))
    return p / p.sum()


def objective_equilibrium(objective, p_ref: np.ndarray, beta: float, *, scores=None, answers=None) -> np.ndarray:
    """The answer-level optimum p* of ``objective`` with KL weight β to p_ref (docs/concepts/game.md#closed-form-equilibria).

    Args:
        objective: an :class:`alft.games.Objective`.
        p_ref: reference answer distribution.
        beta: KL weight.
        scores: verifier score per answer (verifier terms).
        answers: answer labels (constraint terms).
    """
    target = objective.target
    labels = answers if answers is not None else [None] * len(p_ref)
    linear = objective.linear_values(labels, scores) if any(t.is_linear for t in objective.terms) else None
    if target is None or not target.poly:
        tau = -(target.log_weight if target is not None else 0.0)
        if beta + tau > 0:
            return closed_form_equilibrium(p_ref, beta, tau, linear)
    if target is None:
        raise AlftInputError("beta: got 0 with a linear objective, expected beta > 0 (the optimum is a vertex)")
    return stationary_point(p_ref, beta, target.value, linear, label=f"objective {objective.name!r}")


def estimator_fixed_point(objective, estimator: Estimator, p_ref: np.ndarray, beta: float, *, scores=None, answers=None) -> np.ndarray:
    """Where dynamics using ``estimator`` settle: (★) with R replaced by the table's mean B_g (docs/concepts/estimators.md#bias-moves-the-equilibrium).

    The estimator must have been built for ``objective.target``.
    """
    target: RewardForm | None = objective.target
    if target is None or estimator.target != target:
        raise AlftInputError(
            f"estimator: built for target {estimator.target.name!r}, expected the objective's target "
            f"{getattr(target, 'name', None)!r}"
        )
    labels = answers if answers is not None else [None] * len(p_ref)
    linear = objective.linear_values(labels, scores) if any(t.is_linear for t in objective.terms) else None
    return stationary_point(p_ref, beta, estimator.mean, linear, label=f"{estimator.name} at K={estimator.K}")


def _prompt_linear(objective: Objective, prompt: TabularPrompt) -> np.ndarray | None:
    return prompt.scores if objective.uses_verifier else None


def equilibria(game: TabularGame, objective: Objective, dual: DualState | None = None) -> list[np.ndarray]:
    """p* per prompt: the closed-form / root-found equilibrium (docs/concepts/game.md#closed-form-equilibria); with constraints the
    constrained optimum (the Lagrangian equilibrium at the optimal multipliers, found by minimising the
    convex dual function); for an anchored objective p* ∝ p_ref^s·exp(r/(β−γ)) (docs/concepts/game.md#the-anchor)."""
    if objective.uses_reference:
        return [anchored_equilibrium(objective, pr) for pr in game.prompts]
    if dual is None or not dual.constraints:
        return [
            objective_equilibrium(objective, pr.answer_reference, game.beta, scores=_prompt_linear(objective, pr), answers=list(pr.answers))
            for pr in game.prompts
        ]
    mu = optimal_multipliers(game, objective, dual)
    return equilibria(game, objective + _lagrangian(dual, mu))


def anchored_equilibrium(objective: Objective, prompt: TabularPrompt) -> np.ndarray:
    """The anchored game's p* for one prompt (docs/concepts/game.md#the-anchor): max r·p + γ Σ p log p − β KL(p ‖ p_ref), whose
    closed form is that of docs/concepts/game.md#closed-form-equilibria with τ = −γ; γ and β are the objective's coherence and anchor weights, r its verifier
    term. Other estimated terms have no closed form here and are refused, as is γ ≥ β (the collapse)."""
    others = sorted({t.kind for t in objective.terms} - {"coherence", "anchor", "verifier"})
    if others:
        raise AlftInputError(f"objective: got {objective.name!r}; the anchored game combines coherence, anchor and "
                             f"verifier terms only, not {', '.join(others)}")
    gamma, beta = objective.anchor_weights
    if objective.collapses or not beta > 0:
        raise AlftInputError(f"objective: {objective.name!r} has coherence weight γ = {gamma:g} ≥ anchor weight β = "
                             f"{beta:g}: its optimum is the collapse onto one answer, with no equilibrium to reach")
    answers = list(prompt.answers)
    linear = objective.linear_values(answers, _prompt_linear(objective, prompt), np.zeros(len(answers)))
    return closed_form_equilibrium(prompt.answer_reference, beta, -gamma, linear)


def _lagrangian(dual: DualState, mu: np.ndarray) -> Objective:
    return constrained(Objective(()), replace(dual, multipliers=tuple(float(m) for m in mu)))


def _value(objective: Objective, prompt: TabularPrompt, p: np.ndarray, beta: float) -> float:
    ref = prompt.answer_reference
    kl = float(np.sum(xlogy(p, p) - xlogy(p, ref)))
    return objective.F(p, scores=_prompt_linear(objective, prompt), answers=list(prompt.answers)) - beta * kl


def optimal_multipliers(game: TabularGame, objective: Objective, dual: DualState) -> np.ndarray:
    """μ* minimising the dual function D(μ) = mean_x max_p L(p, μ), with ∇D = b − E c (signed per kind)."""
    bounds = [(None, None) if c.kind == "==" else (0.0, None) for c in dual.constraints]
    signs = np.array([1.0 if c.kind == ">=" else -1.0 for c in dual.constraints])
    bound = np.array([c.bound for c in dual.constraints])

    def dual_function(mu: np.ndarray) -> tuple[float, np.ndarray]:
        lagrangian = objective + _lagrangian(dual, mu)
        optima = equilibria(game, lagrangian)
        value = np.mean([_value(lagrangian, pr, p, game.beta) for pr, p in zip(game.prompts, optima)])
        expected = np.mean([[c.values(list(pr.answers)) @ p for c in dual.constraints] for pr, p in zip(game.prompts, optima)], axis=0)
        # L = base + Σ_j s_j μ_j (E c_j − b_j) with s = +1 for '>=' and −1 otherwise.
        return float(value - np.sum(signs * mu * bound)), signs * (expected - bound)

    result = minimize(dual_function, np.zeros(len(bounds)), jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 500})
    return np.asarray(result.x)


def fixed_point_tv(game: TabularGame, objective: Objective, name: str, K: int, estimator_params: dict | None = None) -> float:
    """Mean over prompts of TV between the estimator's fixed point and p*: the equilibrium shift its bias
    causes, computed exactly (docs/concepts/estimators.md#bias-moves-the-equilibrium)."""
    if objective.target is None:
        return 0.0
    estimator = get_estimator(name, K, target=objective.target, **(estimator_params or {}))
    shifts = []
    for prompt, optimum in zip(game.prompts, equilibria(game, objective)):
        scores = _prompt_linear(objective, prompt)
        shifted = estimator_fixed_point(objective, estimator, prompt.answer_reference, game.beta, scores=scores, answers=list(prompt.answers))
        shifts.append(total_variation(shifted, optimum))
    return float(np.mean(shifts))
