"""A TRL reward function that applies an answer-level game objective to each GRPO group (docs/concepts/game.md#the-training-step, docs/guides/trl.md).

Three lines in any TRL script::

    from alft.integrations.trl import answer_reward
    reward = answer_reward(num_generations=8)  # the anchored game p* ∝ p_ref^2, aqp table
    trainer = GRPOTrainer(model=..., reward_funcs=reward, args=GRPOConfig(num_generations=8, ...), ...)

The anchored game reads each prompt's M reference answers (answers drawn from the reference policy) from the
dataset's ``reference_answers`` column (``alft references`` writes it); a verifier term reads each prompt's gold
answer from its ``answer`` column. A collapsing objective (plain ``coherence``) needs ``allow_collapse=True``.

TRL does not pass ``num_generations`` to reward functions, so K is fixed by closure (docs/guides/trl.md). The function
checks that it receives whole groups (a multiple of K completions, one prompt per group): with several
processes, TRL may split a group between processes, so use :class:`alft.integrations.trl.AlftGRPOTrainer`,
which gathers whole groups before scoring.

Each call: extract answers → equivalence classes per group (``alft.answers``) → game reward per completion
(``alft.games.batch_group_rewards`` with the run's :class:`alft.games.Reward`, objective or peer alike).
Rewards are always finite. Per-step metrics go to TRL's ``log_metric`` under ``alft/``, with the equivalence
cost apart from the estimator's (docs/concepts/answers.md#equivalence).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from alft import games
from alft.answers import equivalent_to, read_gold_answers
from alft.answers.groups import AnswerGroups, answer_groups, completion_text, reference_counts
from alft.answers.stats import AnswerStats, answer_stats
from alft.deprecation import renamed_keywords
from alft.errors import AlftInputError, require
from alft.estimators.counts import check_group_size

METRIC_PREFIX = "alft/"
REFERENCE_ANSWERS_HELP = (
    "a 'reference_answers' dataset column for the anchored objective (M answers per prompt drawn once from the "
    "reference policy): write it with `alft references --model MODEL --dataset DATA -o DATA_WITH_REFERENCES."
    "jsonl` (alft train draws it itself), or choose another objective (a collapsing one needs allow_collapse=True)")


@dataclass(frozen=True)
class ScoredBatch:
    """One scored batch: rewards and what they were computed from.

    Attributes:
        rewards: one finite reward per completion.
        groups: the answers and their classes.
        stats: answer-level statistics.
        estimator_seconds: time spent turning classes into rewards (the estimator lookup).
        game: the group rewards' full result (``alft.games.BatchRewards``: counts, LOO baseline, …).
        n_empty: completions that are empty or whitespace (a wrong prompt format often shows here first).
    """

    rewards: np.ndarray
    groups: AnswerGroups
    stats: AnswerStats
    estimator_seconds: float
    game: games.BatchRewards
    n_empty: int = 0

    def metrics(self) -> dict[str, float]:
        """Scalar metrics, keys without the ``alft/`` prefix."""
        stats = {k: v for k, v in asdict(self.stats).items() if v is not None}
        return {
            **{k: float(v) for k, v in stats.items()},
            "extract_seconds": self.groups.extract_seconds,
            "equivalence_seconds": self.groups.equivalence_seconds,
            "estimator_seconds": self.estimator_seconds,
            "n_empty": float(self.n_empty),
        }


class AnswerLevelReward:
    """A TRL reward function (``f(prompts, completions, completion_ids, **kwargs) -> list[float]``).

    Build it with :func:`answer_reward`. The last scored batch is kept in :attr:`last` so that callbacks
    (constraint multipliers, run logs) read the same numbers the trainer used.
    """

    def __init__(self, num_generations: int, reward: games.Reward | None = None) -> None:
        self.num_generations = check_group_size(num_generations, "num_generations")
        self.reward = (reward if reward is not None else games.Reward()).prepare(self.num_generations)
        constraints = self.reward.constraints
        self.duals = games.DualState(constraints, step=self.reward.dual_step) if constraints else None
        self.__name__ = "alft_" + re.sub(r"[^0-9a-zA-Z]+", "_", self.reward.name).strip("_")
        self.last: ScoredBatch | None = None
        self._preflight()

    def _preflight(self) -> None:
        """Score one made-up group now (:func:`alft.games.preflight`), through this reward function's own path,
        so a bad extractor or table fails at construction, not mid-run."""
        games.preflight(self.reward, self.num_generations, self._score_preflight_group)
        self.last = None

    def _score_preflight_group(self, group: games.PreflightGroup) -> np.ndarray:
        reference_answers = None if group.reference_answers is None else [list(group.reference_answers)]
        return self.score(list(group.answers), group.gold_answers, reference_answers=reference_answers,
                          grouper_override="exact").rewards

    def update_duals(self) -> dict[str, float]:
        """One dual-ascent step of the constraint multipliers from the last scored batch (docs/concepts/game.md#constraints).

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

    @renamed_keywords(references="gold_answers")
    def score(
        self,
        completions: Sequence[object],
        gold_answers: Sequence[object] | None = None,
        prompts: Sequence[object] | None = None,
        *,
        reference_answers: Sequence[object] | None = None,
        grouper_override: str | None = None,
    ) -> ScoredBatch:
        """Rewards for a batch of whole groups.

        Args:
            completions: K consecutive completions per prompt.
            gold_answers: optional gold answers (the dataset's ``answer`` column; per completion or per group),
                used for accuracy metrics and for objectives with a verifier term. Its old name ``references``
                still works.
            prompts: optional prompts per completion; each group must share one prompt.
            reference_answers: per completion or group, the prompt's M answers drawn from the reference
                policy (the dataset's ``reference_answers`` column); required by anchored objectives.

        Returns:
            A :class:`ScoredBatch`.
        """
        K = self.num_generations
        if prompts is not None:
            _check_one_prompt_per_group(prompts, K)
        grouper = grouper_override or self.reward.grouper
        groups = answer_groups(completions, K, self.reward.extractor, grouper)
        gold = None if gold_answers is None else read_gold_answers(gold_answers, groups.n_groups, K)
        hits = None if gold is None else equivalent_to(groups.labels(), gold, grouper)
        stats = answer_stats(groups, gold, hits=hits, unanswered_is_answer=self.reward.unextractable == "own-class")
        start = time.perf_counter()
        scores = _verifier_scores(gold, hits) if self.reward.uses_verifier else None
        counts = draws = None
        if self.reward.uses_reference:
            require(reference_answers is not None, "reference_answers", None, REFERENCE_ANSWERS_HELP)
            counts, draws = reference_counts(groups, reference_answers, grouper)
        game = games.batch_group_rewards(groups.labels(), K, self.reward, scores, duals=self.duals,
                                         reference_counts=counts, reference_draws=draws)
        rewards = np.asarray(game.rewards, dtype=float)
        seconds = time.perf_counter() - start
        if not np.all(np.isfinite(rewards)):  # a contract of alft.games and peers; never pass it on
            raise AlftInputError(f"{self.reward.name}: produced non-finite rewards {rewards[~np.isfinite(rewards)][:3]}")
        n_empty = sum(1 for completion in completions if not completion_text(completion).strip())
        scored = ScoredBatch(rewards, groups, stats, seconds, game, n_empty)
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
        scored = self.score(completions, kwargs.get("answer"), prompts,
                            reference_answers=kwargs.get("reference_answers"))
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None:
            for name, value in scored.metrics().items():
                log_metric(METRIC_PREFIX + name, value)
        log_extra = kwargs.get("log_extra")
        if log_extra is not None:
            log_extra("alft_answer", ["" if a is None else a for a in scored.groups.answers])
        return scored.rewards.tolist()


def _check_one_prompt_per_group(prompts: Sequence[object], K: int) -> None:
    """Each group of K completions shares one prompt, and the trainer's groups are not larger than K.

    TRL repeats each prompt num_generations times in a row; a reward built for a smaller K would silently
    score each trainer group as several small ones: then every run of equal prompts is a multiple m·K."""
    for g in range(len(prompts) // K):
        first = prompts[g * K]
        if any(p != first for p in prompts[g * K : (g + 1) * K]):
            raise AlftInputError(
                f"prompts: group {g} mixes prompts (completions {g * K}..{(g + 1) * K - 1}); expected K="
                f"{K} consecutive completions of one prompt (is num_generations the trainer's?)"
            )
    runs = [len(list(run)) for _, run in itertools.groupby(prompts)]
    if len(runs) >= 1 and min(runs) > K and len(set(runs)) == 1:
        raise AlftInputError(
            f"num_generations: the reward was built for K={K}, but the trainer's groups hold {runs[0]} completions "
            f"of one prompt; build it with num_generations={runs[0]} (AlftGRPOTrainer reads K from its config)"
        )


def _verifier_scores(gold: list[str | None] | None, hits: np.ndarray | None) -> list[float]:
    """1.0 where a completion's answer class is equivalent to its prompt's gold answer, else 0.0
    (:func:`alft.answers.equivalent_to`, the grouper of the counts); every prompt needs a gold answer."""
    if gold is None or hits is None:
        raise AlftInputError(
            "answer: the objective has a verifier term, expected an 'answer' column in the dataset (gold answers)"
        )
    missing = next((i for i, g in enumerate(gold) if g is None), None)
    if missing is not None:
        raise AlftInputError(f"answer[{missing}]: got None, expected a gold answer for every prompt "
                             "(the objective has a verifier term)")
    return hits.astype(float).tolist()


def answer_reward(num_generations: int, *args: Any, **fields: Any) -> AnswerLevelReward:
    """The reward-function factory: an answer-level reward for TRL's ``GRPOTrainer``.

    Args:
        num_generations: K, the trainer's ``num_generations`` (TRL does not pass it to rewards).
        *args, **fields: the fields of :class:`alft.games.Reward` (``objective``, ``estimator``,
            ``estimator_params``, ``peer``, ``unextractable``, ``penalty``, ``extractor``, ``grouper``,
            ``constraints``, ``dual_step``, ``reference_estimator``, ``allow_collapse``), validated once here.
            No field: the anchored game p* ∝ p_ref^2, which reads the dataset's ``reference_answers``. Constraint multipliers start at 0 and
            move once per step (``AlftGRPOTrainer`` adds the callback; with a plain ``GRPOTrainer`` add
            ``DualUpdateCallback(reward.update_duals)``).

    Returns:
        An :class:`AnswerLevelReward`, ready to pass as ``reward_funcs``. To reuse a :class:`alft.games.Reward` value,
        build ``AnswerLevelReward(num_generations, reward)`` directly.

    Raises:
        AlftInputError: K < 2, an unknown objective/estimator/policy, a collapsing objective without
            ``allow_collapse=True``, or an estimator table unfit for training (e.g. minimax at large K), at
            construction time.
    """
    return AnswerLevelReward(num_generations, games.Reward(*args, **fields))
