"""Game dynamics on exact tabular games (SPEC §2.5, §3.7): sampled GRPO-style updates per estimator and
the exact-gradient control.

Each step, for every prompt: draw G groups of K answers from p_π, give every sample its group reward
(the same rule as :func:`alft.games.group_rewards`, own-class, computed from the groups' answer counts),
subtract a baseline, and move the softmax logits θ over traces along the REINFORCE gradient with the
exact gradient of −β KL(π ‖ π_ref).

Two choices keep the comparison about the estimator's *bias* (SPEC §3.7):

* The trace given its answer is integrated out exactly (Rao–Blackwell: E[∇log π(y) | z] = π(·|z) − π).
  The gradient's mean is unchanged; only trace-level noise, which no estimator affects, is removed.
* The step is the natural gradient (the softmax Fisher preconditioner, i.e. mirror descent): every trace
  moves at the same rate, so the exact control converges linearly. Its fixed points are those of plain
  gradient ascent.

With the default ``loo`` baseline (SPEC §3.8) the only bias left is the estimator's; ``mean`` is GRPO's
group mean (it scales the reward by (K−1)/K on average, i.e. changes the effective β); ``none`` is plain
REINFORCE. Sampled runs report the Polyak average of p_π over the last part of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp, xlogy

from alft.errors import AlftInputError
from alft.estimators import ESTIMATORS, MAX_K, MIN_K, get_estimator
from alft.games.constraints import DualState
from alft.games.equilibrium import estimator_fixed_point, objective_equilibrium, total_variation
from alft.games.objectives import Objective
from alft.games.tabular import TabularGame, TabularPrompt

BASELINES = ("loo", "mean", "none")


@dataclass(frozen=True)
class Dynamics:
    """How a run proceeds.

    Attributes:
        steps: number of updates.
        groups: G, groups of K sampled per prompt per step.
        step_size: η of the natural-gradient step (η·β < 2 is needed for the exact control to converge).
        baseline: ``loo`` (exactly unbiased), ``mean`` (GRPO) or ``none``.
        average_from: Polyak averaging of p_π starts at this fraction of the steps.
        record_every: steps between points of the TV curve.
        dual_step: η of the multipliers' projected ascent (constraint games).
    """

    steps: int = 600
    groups: int = 1000
    step_size: float = 0.5
    baseline: str = "loo"
    average_from: float = 0.5
    record_every: int = 5
    dual_step: float = 0.5

    def __post_init__(self) -> None:
        for name in ("steps", "groups", "record_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise AlftInputError(f"{name}: got {value!r}, expected a positive integer")
        if not (np.isfinite(self.step_size) and self.step_size > 0):
            raise AlftInputError(f"step_size: got {self.step_size!r}, expected a positive finite number")
        if self.baseline not in BASELINES:
            raise AlftInputError(f"baseline: got {self.baseline!r}, expected one of {', '.join(BASELINES)}")
        if not 0 <= self.average_from < 1:
            raise AlftInputError(f"average_from: got {self.average_from!r}, expected a fraction in [0, 1)")


@dataclass(frozen=True)
class Trajectory:
    """One run.

    Attributes:
        method: estimator name, ``exact`` (true gradient) or ``mean:NAME`` (the estimator's mean, no noise).
        steps: the recorded step numbers (after that many updates).
        tv_curve: mean over prompts of TV(p_π, p*) at those steps.
        final_tv: mean over prompts of TV(p̄, p*), p̄ the Polyak average (sampled) or the last iterate.
        final_p: p̄ per prompt.
        multipliers: final constraint multipliers (empty without constraints).
        constraint_values: E[c_j] under p̄, averaged over prompts, per constraint.
    """

    method: str
    steps: np.ndarray
    tv_curve: np.ndarray
    final_tv: float
    final_p: tuple[np.ndarray, ...]
    multipliers: tuple[float, ...] = ()
    constraint_values: tuple[float, ...] = ()

    def steps_to(self, threshold: float) -> int | None:
        """First recorded step with TV ≤ threshold (None if never)."""
        hit = np.flatnonzero(self.tv_curve <= threshold)
        return int(self.steps[hit[0]]) if hit.size else None


@dataclass(frozen=True)
class _Tables:
    g: np.ndarray  # table for K, indexed by N = n − 1
    g_loo: np.ndarray  # table for K − 1 padded with one 0 (index K − 1 never used); zeros for K = 2


def _tables(objective: Objective, name: str, K: int, params: dict) -> _Tables:
    target = objective.target
    if target is None:
        return _Tables(np.zeros(K), np.zeros(K))
    g = get_estimator(name, K, target=target, **params).table
    g_loo = get_estimator(name, K - 1, target=target, **params).table if K > 2 else np.zeros(1)
    return _Tables(g, np.append(g_loo, 0.0))


def sample_counts(rng: np.random.Generator, p: np.ndarray, K: int, G: int) -> np.ndarray:
    """G multinomial(K, p) count vectors, by sequential binomials (vectorised over groups)."""
    counts = np.zeros((G, p.size), dtype=np.int64)
    remaining = np.full(G, K, dtype=np.int64)
    mass = 1.0
    for z in range(p.size - 1):
        prob = min(1.0, max(0.0, p[z] / mass)) if mass > 0 else 0.0
        counts[:, z] = rng.binomial(remaining, prob)
        remaining -= counts[:, z]
        mass -= p[z]
    counts[:, -1] = remaining
    return counts


def count_rewards(counts: np.ndarray, linear: np.ndarray, tables: _Tables, baseline: str) -> tuple[np.ndarray, np.ndarray]:
    """(reward, baseline) of a sample with answer z in each group, shape (G, A), from answer counts.

    Equal to :func:`alft.games.group_rewards` (own-class) sample by sample: every sample of answer z
    has N = n_z − 1 (rewards are only meaningful where n_z ≥ 1).
    """
    K = int(counts[0].sum())
    reward = linear[None, :] + tables.g[np.clip(counts - 1, 0, K - 1)]
    if baseline == "none":
        return reward, np.zeros_like(reward)
    if baseline == "mean":
        return reward, np.broadcast_to((counts * reward).sum(axis=1, keepdims=True) / K, reward.shape)
    # Leave-one-out (SPEC §3.8): the others' rewards in the group without this sample, K−1 tables.
    own = tables.g_loo[np.clip(counts - 1, 0, K - 1)]
    total = (counts * (linear[None, :] + own)).sum(axis=1, keepdims=True)
    fewer = tables.g_loo[np.clip(counts - 2, 0, K - 1)]
    return reward, (total - counts * own - linear[None, :] + (counts - 1) * fewer) / (K - 1)


@dataclass
class _PromptState:
    """Mutable per-run state of one prompt (local to :func:`run`)."""

    prompt: TabularPrompt
    theta: np.ndarray
    base_linear: np.ndarray
    constraint_matrix: np.ndarray  # (J, A): c_j(z)
    optimum: np.ndarray
    average: np.ndarray = field(default=None)

    def policy(self) -> np.ndarray:
        return np.exp(self.theta - logsumexp(self.theta))


def _prompt_states(game: TabularGame, objective: Objective, dual: DualState | None, optima) -> list[_PromptState]:
    states = []
    for prompt, optimum in zip(game.prompts, optima):
        scores = prompt.scores if objective.uses_verifier else None
        linear = objective.linear_values(list(prompt.answers), scores)
        matrix = np.array([c.values(list(prompt.answers)) for c in dual.constraints]) if dual else np.zeros((0, len(prompt.answers)))
        states.append(_PromptState(prompt, np.log(np.asarray(prompt.reference)), linear, matrix, optimum, np.zeros(len(prompt.answers))))
    return states


def _signed(dual: DualState | None) -> np.ndarray:
    if dual is None:
        return np.zeros(0)
    return np.array([(mu if c.kind == ">=" else -mu) for c, mu in zip(dual.constraints, dual.multipliers)])


def run(
    game: TabularGame, objective: Objective, method: str, K: int, dynamics: Dynamics = Dynamics(), *,
    seed: int = 0, estimator_params: dict | None = None, dual: DualState | None = None,
    on_step: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run the game dynamics with one reward estimator.

    Args:
        game: the tabular game.
        objective: what the policy maximises (without constraint terms; constraints come in ``dual``).
        method: an estimator name (sampled groups), ``exact`` (true ∂F/∂p at p_π) or ``mean:NAME``
            (the estimator's mean B_g(p_π): its bias without its noise).
        K: group size.
        dynamics: steps, groups, step size, baseline, averaging.
        seed: seeds the numpy Generator of the sampled groups.
        estimator_params: solver parameters of the estimator.
        dual: constraints and initial multipliers, updated once per step by projected dual ascent.
        on_step: called after every step with the step number (progress bars).
    """
    if any(t.kind == "constraint" for t in objective.terms):
        raise AlftInputError("objective: has constraint terms; pass the base objective and the constraints as dual=")
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not MIN_K <= K <= MAX_K:
        raise AlftInputError(f"K: got {K!r}, expected an integer group size in {MIN_K}..{MAX_K}")
    kind, name = _method(method)
    params = estimator_params or {}
    sampled = kind == "sampled"
    tables = _tables(objective, name, K, params) if kind != "exact" else None
    estimator = get_estimator(name, K, target=objective.target, **params) if kind == "mean" and objective.target else None
    optima = equilibria(game, objective, dual)
    states = _prompt_states(game, objective, dual, optima)
    rng = np.random.default_rng(seed)
    start = int(dynamics.average_from * dynamics.steps) if sampled else dynamics.steps - 1
    recorded, curve = [], []
    for step in range(dynamics.steps):
        linear_shift = _signed(dual)
        estimates = np.zeros(len(linear_shift))
        for state in states:
            pi = state.policy()
            p = state.prompt.marginal(pi)
            linear = state.base_linear + linear_shift @ state.constraint_matrix
            if sampled:
                counts = sample_counts(rng, p, K, dynamics.groups)
                reward, base = count_rewards(counts, linear, tables, dynamics.baseline)
                per_answer = (counts * (reward - base)).sum(axis=0) / (dynamics.groups * K * p)
                estimates += state.constraint_matrix @ (counts.sum(axis=0) / (dynamics.groups * K))
            else:
                mean = estimator.mean(p) if estimator is not None else (objective.target.value(p) if objective.target else 0.0)
                per_answer = linear + mean
                estimates += state.constraint_matrix @ p
            # Natural-gradient step: θ_y += η (reward of y's answer − β log π_y/π_ref,y) (SPEC §2.1, §2.5).
            log_ratio = np.log(pi) - np.log(np.asarray(state.prompt.reference))
            state.theta = state.theta + dynamics.step_size * (per_answer[state.prompt.index] - game.beta * log_ratio)
            state.theta -= state.theta.max()
            if step >= start:
                state.average += state.prompt.marginal(state.policy())
        if dual is not None:
            dual = replace(dual, step=dynamics.dual_step).update(estimates / len(states))
        if (step + 1) % dynamics.record_every == 0 or step + 1 == dynamics.steps:
            recorded.append(step + 1)
            curve.append(np.mean([total_variation(s.prompt.marginal(s.policy()), s.optimum) for s in states]))
        if on_step is not None:
            on_step(step + 1)
    final = tuple(s.average / s.average.sum() for s in states)
    return Trajectory(
        method=method,
        steps=np.asarray(recorded),
        tv_curve=np.asarray(curve),
        final_tv=float(np.mean([total_variation(f, s.optimum) for f, s in zip(final, states)])),
        final_p=final,
        multipliers=tuple(dual.multipliers) if dual else (),
        constraint_values=tuple(np.mean([s.constraint_matrix @ f for f, s in zip(final, states)], axis=0).tolist()) if dual else (),
    )


def _method(method: str) -> tuple[str, str]:
    if method == "exact":
        return "exact", ""
    kind, _, name = method.rpartition(":")
    if kind not in ("", "mean") or name not in ESTIMATORS:
        raise AlftInputError(f"method: got {method!r}, expected 'exact', an estimator ({', '.join(ESTIMATORS)}) or 'mean:ESTIMATOR'")
    return ("mean" if kind else "sampled"), name


def _prompt_linear(objective: Objective, prompt: TabularPrompt) -> np.ndarray | None:
    return prompt.scores if objective.uses_verifier else None


def equilibria(game: TabularGame, objective: Objective, dual: DualState | None = None) -> list[np.ndarray]:
    """p* per prompt: the closed-form / root-found equilibrium (SPEC §2.2), or with constraints the
    constrained optimum (the Lagrangian equilibrium at the optimal multipliers, found by minimising the
    convex dual function)."""
    if dual is None or not dual.constraints:
        return [
            objective_equilibrium(objective, pr.answer_reference, game.beta, scores=_prompt_linear(objective, pr), answers=list(pr.answers))
            for pr in game.prompts
        ]
    mu = optimal_multipliers(game, objective, dual)
    return equilibria(game, objective + _lagrangian(dual, mu))


def _lagrangian(dual: DualState, mu: np.ndarray) -> Objective:
    from alft.games.constraints import constrained

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
    causes, computed exactly (SPEC §3.7)."""
    if objective.target is None:
        return 0.0
    estimator = get_estimator(name, K, target=objective.target, **(estimator_params or {}))
    shifts = []
    for prompt, optimum in zip(game.prompts, equilibria(game, objective)):
        scores = _prompt_linear(objective, prompt)
        shifted = estimator_fixed_point(objective, estimator, prompt.answer_reference, game.beta, scores=scores, answers=list(prompt.answers))
        shifts.append(total_variation(shifted, optimum))
    return float(np.mean(shifts))


def compare(
    game: TabularGame, objective: Objective, methods: list[str], K: int, dynamics: Dynamics = Dynamics(), *,
    seeds: list[int] = (0,), estimator_params: dict | None = None, on_step: Callable[[int], None] | None = None,
) -> dict[str, list[Trajectory]]:
    """Run every method for every seed (the exact control once: it has no randomness).

    Returns:
        method → one trajectory per seed (one for ``exact`` and ``mean:NAME``).
    """
    out: dict[str, list[Trajectory]] = {}
    for method in methods:
        method_seeds = list(seeds) if _method(method)[0] == "sampled" else list(seeds)[:1]
        params = estimator_params if _method(method)[0] != "exact" else None
        out[method] = [run(game, objective, method, K, dynamics, seed=s, estimator_params=params, on_step=on_step) for s in method_seeds]
    return out
