"""Game dynamics on exact tabular games (docs/concepts/game.md#the-training-step, docs/concepts/game.md#the-anchor, docs/concepts/estimators.md#bias-moves-the-equilibrium): sampled GRPO-style updates per
estimator and the exact-gradient control.

Each step, for every prompt: draw G groups of K answers from p_π, give every sample its group reward
(the same rule as :func:`alft.games.group_rewards`, own-class, computed from the groups' answer counts),
subtract a baseline, and move the softmax logits θ over traces along the REINFORCE gradient with the
exact gradient of −β KL(π ‖ π_ref). In the anchored game (docs/concepts/game.md#the-anchor) the KL is carried by the reward
instead: the group estimates (γ − β)·log p, the reference term is β·log p̂_ref from M reference draws
(or the exact β·log p_ref), and the update has no KL term of its own.

Two choices keep the comparison about the estimator's *bias* (docs/concepts/estimators.md#bias-moves-the-equilibrium):

* The trace given its answer is integrated out exactly (Rao–Blackwell: E[∇log π(y) | z] = π(·|z) − π).
  The gradient's mean is unchanged; only trace-level noise, which no estimator affects, is removed.
* The step is the natural gradient (the softmax Fisher preconditioner, i.e. mirror descent): every trace
  moves at the same rate, so the exact control converges linearly. Its fixed points are those of plain
  gradient ascent.

With the default ``loo`` baseline (docs/concepts/estimators.md#grpo-caveats) the only bias left is the estimator's; ``mean`` is GRPO's
group mean (it scales the reward by (K−1)/K on average, i.e. changes the effective β); ``none`` is plain
REINFORCE. Sampled runs report the Polyak average of p_π over the last part of the run.

The run is a loop over a pure step (optax style): :func:`setup` fixes everything a run needs,
:func:`initial_state` starts at π_ref, :func:`step` maps a :class:`State` to the next one.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from scipy.special import logsumexp

from alft.errors import AlftInputError, require
from alft.estimators.counts import check_group_size
from alft.estimators import ESTIMATOR_SPEC, MAX_K, estimator_spec, get_estimator, parse_estimator
from alft.games.reward import check_reference_estimator, reference_log_estimator, reference_log_p
from alft.games.constraints import DualState
from alft.games.equilibrium import equilibria, fixed_point_tv, total_variation
from alft.games.objectives import Objective
from alft.games.sampled_groups import CountTables, count_rewards, count_tables, sample_counts
from alft.games.tabular import TabularGame, TabularPrompt

__all__ = [
    "BASELINES", "Dynamics", "Method", "RewardOracle", "Setup", "State", "Trajectory", "compare", "count_rewards",
    "ReferenceDraws", "distance", "equilibria", "fixed_point_tv", "initial_state", "is_random", "parse_method",
    "reference_log_p_of",
    "run", "sample_counts", "setup", "step",
]

BASELINES = ("loo", "mean", "none")
METHOD_FORMS = f"'exact', an estimator ({ESTIMATOR_SPEC}) or 'mean:' and an estimator"


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
class Method:
    """Where a run's per-answer reward comes from.

    Attributes:
        kind: ``sampled`` (groups rewarded by the estimator's table), ``mean`` (the table's mean B_g(p_π):
            its bias without its noise) or ``exact`` (the true ∂F/∂p at p_π).
        estimator: the estimator name ('' for ``exact``).
        params: the estimator's solver parameters (e.g. ``kappa`` for aqp, ``c`` for aqp-floor).
    """

    kind: str
    estimator: str = ""
    params: tuple[tuple[str, float], ...] = ()

    @property
    def label(self) -> str:
        """The method as written: ``aqp:kappa=4``, ``mean:digamma``, ``exact``."""
        if self.kind == "exact":
            return "exact"
        text = estimator_spec(self.estimator, self.params)
        return f"mean:{text}" if self.kind == "mean" else text


def parse_method(method: str, params: dict[str, float] | None = None) -> Method:
    """Read a method string; ``params`` are defaults the string's own KEY=VALUE pairs override.

    Raises:
        AlftInputError: naming ``method`` and the accepted forms.
    """
    if method == "exact":
        return Method("exact")
    if not isinstance(method, str):
        raise AlftInputError(f"method: got {method!r}, expected {METHOD_FORMS}")
    kind, rest = ("mean", method[5:]) if method.startswith("mean:") else ("sampled", method)
    name, own = parse_estimator(rest, "method")
    merged = {**(params or {}), **own}
    return Method(kind, name, tuple(sorted((k, float(v)) for k, v in merged.items())))


@dataclass(frozen=True)
class Trajectory:
    """One run.

    Attributes:
        method: the method's label (``exact``, ``aqp:kappa=4``, ``mean:plugin``).
        steps: the recorded step numbers (after that many updates).
        tv_curve: mean over prompts of TV(p_π, p*) at those steps.
        final_tv: mean over prompts of TV(p̄, p*), p̄ the Polyak average (sampled) or the last iterate.
        final_p: p̄ per prompt.
        multipliers: final constraint multipliers (empty without constraints).
        constraint_values: E[c_j] under p̄, averaged over prompts, per constraint.
        samples_per_step: sampled answers per prompt per step (G·K; 0 for ``exact`` and ``mean``).
    """

    method: str
    steps: np.ndarray
    tv_curve: np.ndarray
    final_tv: float
    final_p: tuple[np.ndarray, ...]
    multipliers: tuple[float, ...] = ()
    constraint_values: tuple[float, ...] = ()
    samples_per_step: int = 0

    def steps_to(self, threshold: float) -> int | None:
        """First recorded step with TV ≤ threshold (None if never)."""
        hit = np.flatnonzero(self.tv_curve <= threshold)
        return int(self.steps[hit[0]]) if hit.size else None

    def settles_within(self, threshold: float) -> int | None:
        """First recorded step from which TV stays ≤ threshold to the end of the run (None if it does not):
        unlike :meth:`steps_to`, a noisy iterate that dips below once does not count."""
        above = np.flatnonzero(self.tv_curve > threshold)
        if above.size == 0:
            return int(self.steps[0])
        return int(self.steps[above[-1] + 1]) if above[-1] + 1 < self.steps.size else None

    def samples_to(self, threshold: float) -> int | None:
        """Sampled answers per prompt spent until TV stays ≤ threshold (None if never, or not sampled)."""
        settled = self.settles_within(threshold)
        return None if settled is None or not self.samples_per_step else settled * self.samples_per_step


# (p_π, ℓ, rng) → (per-answer reward estimate, answer shares seen): one of the three sources of a Method.
RewardOracle = Callable[[np.ndarray, np.ndarray, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def _sampled_oracle(tables: CountTables, K: int, dynamics: Dynamics) -> RewardOracle:
    """REINFORCE over G sampled groups, Rao–Blackwellised to a per-answer estimate (divided by p)."""
    def oracle(p: np.ndarray, linear: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        counts = sample_counts(rng, p, K, dynamics.groups)
        reward, base = count_rewards(counts, linear, tables, dynamics.baseline)
        samples = dynamics.groups * K
        total = (counts * (reward - base)).sum(axis=0)
        # An answer whose p_π underflowed to 0 is never drawn: its estimate is 0, not 0/0.
        per_answer = np.divide(total, samples * p, out=np.zeros_like(p), where=p > 0)
        return per_answer, counts.sum(axis=0) / samples

    return oracle


def _mean_oracle(mean: Callable[[np.ndarray], np.ndarray]) -> RewardOracle:
    return lambda p, linear, rng: (linear + mean(p), p)


def _oracle(method: Method, objective: Objective, K: int, dynamics: Dynamics) -> RewardOracle:
    target, params = objective.target, dict(method.params)
    if method.kind == "sampled":
        return _sampled_oracle(count_tables(objective, method.estimator, K, params), K, dynamics)
    if target is None:
        return _mean_oracle(np.zeros_like)
    if method.kind == "mean":
        return _mean_oracle(get_estimator(method.estimator, K, target=target, **params).mean)
    return _mean_oracle(target.value)


@dataclass(frozen=True)
class _PromptSetup:
    prompt: TabularPrompt
    linear: np.ndarray  # ℓ_z: verifier, and the anchor's reference term
    constraints: np.ndarray  # (J, A): c_j(z)
    optimum: np.ndarray


@dataclass(frozen=True)
class Setup:
    """Everything fixed for one run (built by :func:`setup`).

    Attributes:
        method: the reward source.
        prompts: per prompt: linear rewards, constraint values, p*.
        oracle: the per-answer reward estimate of ``method``.
        kl_weight: β of the update's own KL term (0 in the anchored game: its reward carries the KL).
        dynamics: steps, step sizes, averaging.
        average_start: the Polyak average accumulates from this step on.
        samples_per_step: G·K for sampled methods, else 0.
    """

    method: Method
    prompts: tuple[_PromptSetup, ...]
    oracle: RewardOracle
    kl_weight: float
    dynamics: Dynamics
    average_start: int
    samples_per_step: int


@dataclass(frozen=True)
class State:
    """Where a run is.

    Attributes:
        step: updates done.
        logits: θ over traces, per prompt.
        averages: Σ of p_π over the averaged steps, per prompt.
        dual: the constraint multipliers (None without constraints).
    """

    step: int
    logits: tuple[np.ndarray, ...]
    averages: tuple[np.ndarray, ...]
    dual: DualState | None


@dataclass(frozen=True)
class ReferenceDraws:
    """How the anchored game's reference term log p_ref is known (docs/concepts/game.md#the-anchor).

    Attributes:
        draws: M answers drawn once per prompt from p_ref (as training does), or None for the exact p_ref.
        estimator: the log table turning a count among M draws into log p̂_ref (training's reference_estimator).
    """

    draws: int | None = None
    estimator: str = "digamma"

    def __post_init__(self) -> None:
        check_reference_estimator(self.estimator)
        M = self.draws
        require(M is None or (isinstance(M, (int, np.integer)) and not isinstance(M, bool) and 2 <= M <= MAX_K - 1),
                "reference_draws", M, f"an integer M in 2..{MAX_K - 1} (or None for the exact p_ref)")


def _check_run(objective: Objective, K: int, dual: DualState | None) -> None:
    if any(t.kind == "constraint" for t in objective.terms):
        raise AlftInputError("objective: has constraint terms; pass the base objective and the constraints as dual=")
    check_group_size(K)
    if objective.uses_reference and dual is not None and dual.constraints:
        raise AlftInputError("dual: constraints in the anchored game are not supported; pass an anchored objective "
                             "or dual=, not both")


def reference_log_p_of(prompt: TabularPrompt, reference: ReferenceDraws, seed: int) -> np.ndarray:
    """log p̂_ref per answer: exact (``draws`` None) or from M draws of p_ref made with ``seed`` through the
    reference table at size M + 1, the formula training uses (:func:`alft.games.reward.reference_log_p`). The
    draws use their own generator, so every estimator of one seed sees the same reference answers."""
    p_ref = prompt.answer_reference
    M = reference.draws
    if M is None:
        return np.log(p_ref)
    counts = sample_counts(np.random.default_rng([seed, M]), p_ref, M, 1)[0]
    return reference_log_p(counts, reference_log_estimator(reference.estimator, M))


def _prompt_setups(game: TabularGame, objective: Objective, dual: DualState | None, reference: ReferenceDraws,
                   seed: int) -> tuple[_PromptSetup, ...]:
    out = []
    for prompt, optimum in zip(game.prompts, equilibria(game, objective, dual)):
        answers = list(prompt.answers)
        log_p_ref = reference_log_p_of(prompt, reference, seed) if objective.uses_reference else None
        linear = objective.linear_values(answers, prompt.scores if objective.uses_verifier else None, log_p_ref)
        matrix = np.array([c.values(answers) for c in dual.constraints]) if dual else np.zeros((0, len(answers)))
        out.append(_PromptSetup(prompt, linear, matrix, optimum))
    return tuple(out)


def setup(
    game: TabularGame, objective: Objective, method: Method, K: int, dynamics: Dynamics, *,
    dual: DualState | None = None, reference: ReferenceDraws = ReferenceDraws(), seed: int = 0,
) -> Setup:
    """Validate a run and fix what it needs: tables, linear rewards, p* per prompt.

    An anchored objective (``sharpened(s)``, the one training plays) carries the KL in its reward: the group
    estimates (γ − β)·log p, the anchor adds β·log p̂_ref, and the update has no KL term of its own.
    """
    _check_run(objective, K, dual)
    sampled = method.kind == "sampled"
    return Setup(
        method=method,
        prompts=_prompt_setups(game, objective, dual, reference, seed),
        oracle=_oracle(method, objective, K, dynamics),
        kl_weight=0.0 if objective.uses_reference else game.beta,
        dynamics=dynamics,
        average_start=int(dynamics.average_from * dynamics.steps) if sampled else dynamics.steps - 1,
        samples_per_step=dynamics.groups * K if sampled else 0,
    )


def initial_state(setup: Setup, dual: DualState | None = None) -> State:
    """π = π_ref on every prompt, nothing averaged yet."""
    logits = tuple(np.log(np.asarray(ps.prompt.reference)) for ps in setup.prompts)
    return State(0, logits, tuple(np.zeros(len(ps.prompt.answers)) for ps in setup.prompts), dual)


def _softmax(theta: np.ndarray) -> np.ndarray:
    return np.exp(theta - logsumexp(theta))


def _signed_multipliers(dual: DualState | None) -> np.ndarray:
    if dual is None:
        return np.zeros(0)
    return np.array([(mu if c.kind == ">=" else -mu) for c, mu in zip(dual.constraints, dual.multipliers)])


def _natural_step(theta: np.ndarray, prompt: TabularPrompt, per_answer: np.ndarray, kl_weight: float, eta: float) -> np.ndarray:
    """θ_y += η (reward of y's answer − β log π_y/π_ref,y) (docs/concepts/game.md#the-game, docs/concepts/game.md#the-training-step); shifted so max θ = 0."""
    log_ratio = theta - logsumexp(theta) - np.log(np.asarray(prompt.reference))
    theta = theta + eta * (per_answer[prompt.index] - kl_weight * log_ratio)
    return theta - theta.max()


def _dual_ascent(dual: DualState | None, shares: np.ndarray, step_size: float) -> DualState | None:
    """One projected ascent step of the multipliers on the prompts' mean constraint values (docs/concepts/game.md#constraints)."""
    if dual is None:
        return None
    return DualState(dual.constraints, dual.multipliers, step_size).update(shares)


def step(setup: Setup, state: State, rng: np.random.Generator) -> State:
    """One update of every prompt's policy, then of the multipliers; returns the new state."""
    shift = _signed_multipliers(state.dual)
    logits, averages, shares = [], [], []
    for ps, theta, average in zip(setup.prompts, state.logits, state.averages):
        p = ps.prompt.marginal(_softmax(theta))
        per_answer, seen = setup.oracle(p, ps.linear + shift @ ps.constraints, rng)
        theta = _natural_step(theta, ps.prompt, per_answer, setup.kl_weight, setup.dynamics.step_size)
        logits.append(theta)
        averages.append(average + ps.prompt.marginal(_softmax(theta)) if state.step >= setup.average_start else average)
        shares.append(ps.constraints @ seen)
    dual = _dual_ascent(state.dual, np.mean(shares, axis=0), setup.dynamics.dual_step)
    return State(state.step + 1, tuple(logits), tuple(averages), dual)


def distance(setup: Setup, state: State) -> float:
    """Mean over prompts of TV(p_π, p*) at the current iterate."""
    return float(np.mean([total_variation(ps.prompt.marginal(_softmax(theta)), ps.optimum) for ps, theta in zip(setup.prompts, state.logits)]))


def _trajectory(setup: Setup, state: State, steps: list[int], curve: list[float]) -> Trajectory:
    final = tuple(a / a.sum() for a in state.averages)
    dual = state.dual
    return Trajectory(
        method=setup.method.label,
        steps=np.asarray(steps),
        tv_curve=np.asarray(curve),
        final_tv=float(np.mean([total_variation(f, ps.optimum) for f, ps in zip(final, setup.prompts)])),
        final_p=final,
        multipliers=tuple(dual.multipliers) if dual else (),
        constraint_values=tuple(np.mean([ps.constraints @ f for f, ps in zip(final, setup.prompts)], axis=0).tolist()) if dual else (),
        samples_per_step=setup.samples_per_step,
    )


def run(
    game: TabularGame, objective: Objective, method: str, K: int, dynamics: Dynamics = Dynamics(), *,
    seed: int = 0, estimator_params: dict | None = None, dual: DualState | None = None,
    reference: ReferenceDraws = ReferenceDraws(), on_step: Callable[[int], None] | None = None,
) -> Trajectory:
    """Run the game dynamics with one reward estimator.

    Args:
        game: the tabular game.
        objective: what the policy maximises (without constraint terms; constraints come in ``dual``); an
            anchored objective such as ``sharpened(2)`` plays the anchored game (docs/concepts/game.md#the-anchor).
        method: ``exact`` (true ∂F/∂p at p_π), an estimator name with optional parameters
            (``aqp:kappa=4``: sampled groups) or ``mean:ESTIMATOR`` (the estimator's mean B_g(p_π): its
            bias without its noise).
        K: group size.
        dynamics: steps, groups, step size, baseline, averaging.
        seed: seeds the numpy Generator of the sampled groups (and of the reference draws).
        estimator_params: solver parameters of the estimator (the method string's own override them).
        dual: constraints and initial multipliers, updated once per step by projected dual ascent.
        reference: how an anchored objective knows log p_ref (exact, or M draws).
        on_step: called after every step with the step number (progress bars).
    """
    parsed = parse_method(method, estimator_params if method != "exact" else None)
    fixed = setup(game, objective, parsed, K, dynamics, dual=dual, reference=reference, seed=seed)
    state, rng = initial_state(fixed, dual), np.random.default_rng(seed)
    steps, curve = [], []
    for _ in range(dynamics.steps):
        state = step(fixed, state, rng)
        if state.step % dynamics.record_every == 0 or state.step == dynamics.steps:
            steps.append(state.step)
            curve.append(distance(fixed, state))
        if on_step is not None:
            on_step(state.step)
    return _trajectory(fixed, state, steps, curve)


def is_random(method: str, objective: Objective | None = None, reference: ReferenceDraws = ReferenceDraws()) -> bool:
    """Whether a method's run depends on the seed: sampled groups, or reference answers drawn per seed."""
    drawn = objective is not None and objective.uses_reference and reference.draws is not None
    return parse_method(method).kind == "sampled" or drawn


def run_methods(
    game: TabularGame, objective: Objective, methods: list[str], K: int, dynamics: Dynamics = Dynamics(), *,
    seeds: list[int] = (0,), estimator_params: dict | None = None, reference: ReferenceDraws = ReferenceDraws(),
    on_step: Callable[[int], None] | None = None,
) -> dict[str, list[Trajectory]]:
    """Run every method for every seed (runs without randomness once).

    Returns:
        method → one trajectory per seed (one for runs that do not depend on the seed).
    """
    out: dict[str, list[Trajectory]] = {}
    for method in methods:
        method_seeds = list(seeds) if is_random(method, objective, reference) else list(seeds)[:1]
        out[method] = [run(game, objective, method, K, dynamics, seed=s, estimator_params=estimator_params,
                           reference=reference, on_step=on_step) for s in method_seeds]
    return out


def compare(*args: Any, **kwargs: Any) -> dict[str, list[Trajectory]]:
    """Deprecated name of :func:`run_methods` (``compare`` is the ``alft compare`` training command)."""
    warnings.warn("alft.games.compare is deprecated: use alft.games.run_methods", FutureWarning, stacklevel=2)
    return run_methods(*args, **kwargs)

