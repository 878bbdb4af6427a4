"""A TRL reward function that applies an answer-level game objective to each GRPO group (SPEC §2.5, §6).

Three lines in any TRL script::

    from alft.integrations.trl import answer_reward
    reward = answer_reward(num_generations=8, objective="coherence", estimator="aqp")
    trainer = GRPOTrainer(model=..., reward_funcs=reward, args=GRPOConfig(num_generations=8, ...), ...)

TRL does not pass ``num_generations`` to reward functions, so K is fixed by closure (SPEC §6). The function
checks that it receives whole groups (a multiple of K completions, one prompt per group): with several
processes, TRL may split a group between processes, so use :class:`alft.integrations.trl.AlftGRPOTrainer`,
which gathers whole groups before scoring.

Each call: extract answers → equivalence classes per group (``alft.answers``) → game reward per completion
(``alft.games.batch_group_rewards``) or a peer method's reward (TTRL, EMPO; :mod:`alft.integrations.peers`).
Rewards are always finite. Per-step metrics go to TRL's ``log_metric`` under ``alft/``, with the equivalence
cost apart from the estimator's (SPEC §6).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from alft import estimators, games
from alft.answers import AnswerExtractor, AnswerGrouper, canonicalize
from alft.errors import AlftInputError, require
from alft.integrations.groups import AnswerGroups, AnswerStats, answer_groups, answer_stats, check_whole_groups
from alft.integrations.peers import PEER_METHODS, log_frequency_rewards, majority_vote_rewards

METRIC_PREFIX = "alft/"


@dataclass(frozen=True)
class RewardSpec:
    """What the reward computes.

    Attributes:
        objective: a game objective — an ``alft.games.Objective`` or a spec ``alft.games.parse_objective``
            reads (``"coherence"``, ``"diversity"``, ``"gini"``, ``"pairwise"``, ``"coherence+0.5*verifier"``,
            ``"tsallis:3"``, …) — or a peer method, ``"ttrl"`` or ``"empo"`` (SPEC §5).
        estimator: the count-based table for objectives that need one (``aqp``, ``digamma``, ``plugin``, …).
        estimator_params: solver parameters (e.g. ``{"kappa": 8.0}`` for ``aqp``).
        unextractable: what a completion without an answer gets: ``"own-class"`` (a class of its own),
            ``"exclude"`` (left out of the counts) or ``"penalty"`` (the fixed ``penalty`` reward).
        penalty: reward of an unextractable completion under ``"penalty"``.
        extractor: an ``alft.answers`` extractor name (``auto``, ``boxed``, ``arithmetic``, …) or callable.
        grouper: ``"math"`` (math-verify equivalence), ``"exact"`` (plain normaliser) or a callable.
    """

    objective: str | games.Objective = "coherence"
    estimator: str = "aqp"
    estimator_params: Mapping[str, float] = field(default_factory=dict)
    unextractable: str = "own-class"
    penalty: float = -1.0
    extractor: str | AnswerExtractor = "auto"
    grouper: str | AnswerGrouper = "math"

    def __post_init__(self) -> None:
        object.__setattr__(self, "estimator_params", MappingProxyType(dict(self.estimator_params)))
        require(
            self.unextractable in games.UNEXTRACTABLE_POLICIES,
            "unextractable",
            self.unextractable,
            f"one of {sorted(games.UNEXTRACTABLE_POLICIES)}",
        )
        require(math.isfinite(self.penalty), "penalty", self.penalty, "a finite number")
        if not self.is_peer:
            self.game_objective  # parse now: a bad spec fails at construction

    @property
    def is_peer(self) -> bool:
        return isinstance(self.objective, str) and self.objective in PEER_METHODS

    @property
    def game_objective(self) -> games.Objective:
        """The objective as an ``alft.games.Objective`` (game objectives only)."""
        if isinstance(self.objective, games.Objective):
            return self.objective
        return games.parse_objective(self.objective)

    @property
    def needs_references(self) -> bool:
        """True when the objective has a verifier term (scored against the dataset's ``answer`` column)."""
        return not self.is_peer and any(t.kind == "verifier" for t in self.game_objective.terms)

    @property
    def method(self) -> str:
        """Short name: the peer method, or ``objective/estimator``."""
        name = self.objective if isinstance(self.objective, str) else "custom"
        return name if self.is_peer else f"{name}/{self.estimator}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe description (callables by name)."""
        data = asdict(self)
        data["estimator_params"] = dict(self.estimator_params)
        if not isinstance(self.objective, str):
            data["objective"] = repr(self.objective)
        for key in ("extractor", "grouper"):
            value = data[key]
            data[key] = value if isinstance(value, str) else getattr(value, "__name__", type(value).__name__)
        return data


@dataclass(frozen=True)
class ScoredBatch:
    """One scored batch: rewards and what they were computed from.

    Attributes:
        rewards: one finite reward per completion.
        groups: the answers and their classes.
        stats: answer-level statistics.
        estimator_seconds: time spent turning classes into rewards (the estimator lookup).
        game: the game's own result (``alft.games.BatchRewards``) or None for peer methods.
    """

    rewards: np.ndarray
    groups: AnswerGroups
    stats: AnswerStats
    estimator_seconds: float
    game: Any = None

    def metrics(self) -> dict[str, float]:
        """Scalar metrics, keys without the ``alft/`` prefix."""
        stats = {k: v for k, v in asdict(self.stats).items() if v is not None}
        return {
            **{k: float(v) for k, v in stats.items()},
            "extract_seconds": self.groups.extract_seconds,
            "equivalence_seconds": self.groups.equivalence_seconds,
            "estimator_seconds": self.estimator_seconds,
        }


class AnswerLevelReward:
    """A TRL reward function (``f(prompts, completions, completion_ids, **kwargs) -> list[float]``).

    Build it with :func:`answer_reward`. The last scored batch is kept in :attr:`last` so that callbacks
    (constraint multipliers, run logs) read the same numbers the trainer used.
    """

    def __init__(self, num_generations: int, spec: RewardSpec, duals: games.DualState | None = None) -> None:
        check_whole_groups(num_generations, num_generations)  # validates K ≥ 2
        require(duals is None or not spec.is_peer, "constraints", duals, "a game objective (not ttrl/empo)")
        self.num_generations = num_generations
        self.spec = spec
        self.duals = duals
        self.__name__ = f"alft_{spec.method.replace('/', '_').replace('-', '_').replace(':', '_')}"
        self.last: ScoredBatch | None = None
        self._preflight()
        self._check_trainable()

    def _check_trainable(self) -> None:
        """Refuse log-p tables whose entries exceed the training bound (e.g. minimax at large K, SPEC §3.5).

        The unit log table is checked, not the objective's weighted one: a large objective weight is the
        user's choice of scale, an oscillating table is noise amplification. Polynomial targets use exact
        U-statistics, bounded by the sum of their coefficients, and need no check.
        """
        if self.spec.is_peer:
            return
        target = self.spec.game_objective.target
        if target is None or target.log_weight == 0.0:
            return
        params = dict(self.spec.estimator_params)
        estimators.check_trainable(estimators.get_estimator(self.spec.estimator, self.num_generations, "log", **params))

    def _preflight(self) -> None:
        """Score one dummy group now, so a bad objective/estimator/K fails at construction, not mid-run."""
        K = self.num_generations
        references = ["0"] * K if self.spec.needs_references else None
        self.score([str(i % 2) for i in range(K)], references, grouper_override="exact")
        self.last = None

    def update_duals(self) -> dict[str, float]:
        """One dual-ascent step of the constraint multipliers from the last scored batch (SPEC §2.4).

        Returns:
            The batch estimate and new multiplier per constraint (empty without constraints or batch).
        """
        if self.duals is None or self.last is None:
            return {}
        estimates = self.duals.estimate(self.last.groups.labels())
        self.duals = self.duals.update(estimates)
        out = {}
        for constraint, estimate, mu in zip(self.duals.constraints, estimates, self.duals.multipliers):
            out[f"constraint/{constraint.name}/estimate"] = float(estimate)
            out[f"constraint/{constraint.name}/multiplier"] = float(mu)
        return out

    def score(
        self,
        completions: Sequence[object],
        references: Sequence[object] | None = None,
        prompts: Sequence[object] | None = None,
        *,
        grouper_override: str | None = None,
    ) -> ScoredBatch:
        """Rewards for a batch of whole groups.

        Args:
            completions: K consecutive completions per prompt.
            references: optional reference answers (per completion or per group), used for accuracy
                metrics and for objectives with a verifier term.
            prompts: optional prompts per completion; each group must share one prompt.

        Returns:
            A :class:`ScoredBatch`.
        """
        K = self.num_generations
        if prompts is not None:
            _check_one_prompt_per_group(prompts, K)
        groups = answer_groups(completions, K, self.spec.extractor, grouper_override or self.spec.grouper)
        stats = answer_stats(groups, references)
        start = time.perf_counter()
        game = None
        if self.spec.objective == "ttrl":
            rewards = majority_vote_rewards(groups.class_ids)
        elif self.spec.objective == "empo":
            rewards = log_frequency_rewards(groups.class_ids)
        else:
            objective = self.spec.game_objective
            if self.duals is not None:
                objective = games.constrained(objective, self.duals)
            game = games.batch_group_rewards(
                groups.labels(),
                K,
                objective,
                estimator=self.spec.estimator,
                verifier_scores=_verifier_scores(groups, references) if self.spec.needs_references else None,
                unextractable=self.spec.unextractable,
                penalty=self.spec.penalty,
                estimator_params=dict(self.spec.estimator_params) or None,
            )
            rewards = np.asarray(game.rewards, dtype=float)
        seconds = time.perf_counter() - start
        if not np.all(np.isfinite(rewards)):  # a contract of alft.games and peers; never pass it on
            raise AlftInputError(f"{self.spec.method}: produced non-finite rewards {rewards[~np.isfinite(rewards)][:3]}")
        scored = ScoredBatch(rewards, groups, stats, seconds, game)
        self.last = scored
        return scored

    def __call__(
        self,
        prompts: Sequence[object] | None = None,
        completions: Sequence[object] | None = None,
        completion_ids: Sequence[object] | None = None,
        **kwargs: Any,
    ) -> list[float]:
        require(completions is not None, "completions", None, "the completions TRL passes to reward functions")
        scored = self.score(completions, kwargs.get("answer"), prompts)
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None:
            for name, value in scored.metrics().items():
                log_metric(METRIC_PREFIX + name, value)
        log_extra = kwargs.get("log_extra")
        if log_extra is not None:
            log_extra("alft_answer", ["" if a is None else a for a in scored.groups.answers])
        return scored.rewards.tolist()


def _check_one_prompt_per_group(prompts: Sequence[object], K: int) -> None:
    for g in range(len(prompts) // K):
        first = prompts[g * K]
        if any(p != first for p in prompts[g * K : (g + 1) * K]):
            raise AlftInputError(
                f"prompts: group {g} mixes prompts (completions {g * K}..{(g + 1) * K - 1}); expected K="
                f"{K} consecutive completions of one prompt (is num_generations the trainer's?)"
            )


def _verifier_scores(groups: AnswerGroups, references: Sequence[object] | None) -> list[float]:
    """1.0 where a completion's canonical answer equals its canonical reference, else 0.0."""
    if references is None:
        raise AlftInputError(
            "answer: the objective has a verifier term, expected an 'answer' column in the dataset (reference answers)"
        )
    refs = list(references)
    per_completion = refs if len(refs) == len(groups.answers) else [r for r in refs for _ in range(groups.K)]
    canonical_refs = {r: canonicalize(str(r)) for r in set(map(str, per_completion))}
    return [
        float(a is not None and r is not None and a == canonical_refs[str(r)])
        for a, r in zip(groups.canonical, per_completion)
    ]


def answer_reward(
    num_generations: int,
    objective: str = "coherence",
    estimator: str = "aqp",
    *,
    estimator_params: Mapping[str, float] | None = None,
    unextractable: str = "own-class",
    penalty: float = -1.0,
    extractor: str | AnswerExtractor = "auto",
    grouper: str | AnswerGrouper = "math",
    constraints: Sequence[games.Constraint] = (),
    dual_step: float = 0.1,
) -> AnswerLevelReward:
    """The reward-function factory: an answer-level reward for TRL's ``GRPOTrainer``.

    Args:
        num_generations: K, the trainer's ``num_generations`` (TRL does not pass it to rewards).
        objective: a game objective (``alft.games``) or a peer method (``"ttrl"``, ``"empo"``).
        estimator: the reward table (``aqp``, ``digamma``, ``plugin``, …); ignored by peer methods.
        estimator_params: solver parameters for the table.
        unextractable: ``"own-class"``, ``"exclude"`` or ``"penalty"``.
        penalty: the reward of an unextractable completion under ``"penalty"``.
        extractor: answer extractor name or callable.
        grouper: answer equivalence, ``"math"``, ``"exact"`` or a callable.
        constraints: ``alft.games.Constraint`` values on the answer distribution (SPEC §2.4); their
            multipliers start at 0 and move once per step (``AlftGRPOTrainer`` adds the callback; with a plain
            ``GRPOTrainer`` add ``DualUpdateCallback(reward.update_duals)``).
        dual_step: the dual ascent step η.

    Returns:
        An :class:`AnswerLevelReward`, ready to pass as ``reward_funcs``.

    Raises:
        AlftInputError: K < 2, an unknown objective/estimator/policy, or an estimator table unfit for
            training (e.g. minimax at large K), at construction time.
    """
    spec = RewardSpec(
        objective=objective,
        estimator=estimator,
        estimator_params=estimator_params or {},
        unextractable=unextractable,
        penalty=penalty,
        extractor=extractor,
        grouper=grouper,
    )
    duals = games.DualState(tuple(constraints), step=dual_step) if constraints else None
    return AnswerLevelReward(num_generations, spec, duals)
