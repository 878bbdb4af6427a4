"""From a verl batch's answers and uids to answer-level advantages (docs/concepts/game.md#the-training-step, docs/concepts/estimators.md#grpo-caveats, docs/guides/verl.md). numpy only.

verl groups the samples of one prompt by ``uid``; rows of a group need not be adjacent, and a group may have
lost samples to filtering. Each uid group is scored with the table for its own size K (rows kept in batch
order inside the group, so ties break as in the TRL integration). A group of one sample carries no count
information: its advantage is 0 and it is counted in ``alft/singleton_groups``.

Advantage of sample i in group g (verl's GRPO form, with alft's rewards R):

    A_i = (R_i − b_i) / (std_g(R) + ε)   (without the division when ``norm_by_std`` is False)

with b_i the group mean of R (``baseline=mean``) or alft's exactly unbiased leave-one-out baseline
(``baseline=loo``, docs/concepts/estimators.md#grpo-caveats), and std the unbiased (n − 1) standard deviation, as ``torch.std``.

Every scoring call into alft's game layer goes through :func:`_group_rewards`, one small adapter; the only
other touch points are parsing the objective (``VerlRewardSettings.game_objective``) and :func:`preflight`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from alft import games
from alft.errors import AlftInputError
from alft.answers import equivalent_to
from alft.answers.canonical import CANONICAL_NUMBER
from alft.answers.groups import answer_groups, label_reference_counts
from alft.answers.stats import UNANSWERED, GroupStats, distinct_answers, group_stats, value_labels
from alft.deprecation import renamed_keywords
from alft.integrations.verl.score import GOLD_KEY, REFERENCE_ANSWERS_KEY
from alft.integrations.verl.settings import ADV_ESTIMATORS, CONFIG_PREFIX, VerlRewardSettings, settings_from_config


def _group_rewards(
    labels: list[str | None],
    K: int,
    settings: VerlRewardSettings,
    verifier_scores: np.ndarray | None = None,
    label_ids: np.ndarray | None = None,
    reference_answers: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The one adapter into alft's game layer: rewards (and the leave-one-out baseline) of whole groups of K.

    Args:
        labels: canonical answer per completion (None = unanswered), consecutive groups of K.
        K: the group size.
        settings: objective, estimator and policies.
        verifier_scores: per completion, for objectives with a verifier term.
        label_ids: the integer labels of ``labels`` (``alft.answers.stats.value_labels``), when already known.
        reference_answers: per completion, its prompt's M reference answers (JSON text), anchored objectives.

    Returns:
        (rewards, baseline_loo) as flat float64 arrays; baseline_loo is None for the peers.
    """
    _prepare(settings, K)
    counts = draws = None
    if settings.needs_reference_answers:
        counts, draws = label_reference_counts(labels, K, reference_answers, settings.grouper)
    batch = games.batch_group_rewards(labels, K, settings.reward, verifier_scores,
                                      loo_baseline=settings.baseline == "loo", labels=label_ids,
                                      reference_counts=counts, reference_draws=draws)
    rewards = np.asarray(batch.rewards, dtype=float)
    return rewards, None if settings.is_peer else np.asarray(batch.baseline_loo, dtype=float)


_PLAIN_NUMBERS = re.compile(rf"(?:{CANONICAL_NUMBER.pattern}\n)*")
"""Plain numbers, one per line."""


_BLANK = ("", None)
"""The unanswered values of ``alft_answer``."""


def _given_answer(text: str) -> str | None:
    """The extractor for answers compute_score already extracted ("" = unanswered)."""
    return text or None


def _class_labels(
    answers: list[str | None], rows: np.ndarray, answer_ids: np.ndarray, non_numbers: list[int], grouper: str
) -> tuple[list[str | None], np.ndarray]:
    """Per row of ``rows`` (whole groups of K, consecutive): the canonical answer of its class's first member,
    and the (G, K) integer labels of the classes.

    Answers arrive canonical (compute_score canonicalises in the reward workers), so equal strings are one
    class. Only a group with two distinct answers, one of them not a plain number (ids ``non_numbers``), can
    merge classes through math-verify; only such groups go through ``alft.answers.groups.answer_groups``
    (docs/guides/verl.md fast paths).
    """
    labels = [answers[r] or None for r in rows.tolist()]
    if grouper == "exact" or not non_numbers:
        return labels, answer_ids
    K = answer_ids.shape[1]
    may_merge = np.flatnonzero(np.isin(answer_ids, non_numbers).any(axis=1) & (distinct_answers(answer_ids) >= 2))
    if not may_merge.size:
        return labels, answer_ids
    texts = [labels[g * K + i] or "" for g in may_merge.tolist() for i in range(K)]
    merged = answer_groups(texts, K, _given_answer, grouper).labels()
    for i, g in enumerate(may_merge.tolist()):
        labels[g * K : (g + 1) * K] = merged[i * K : (i + 1) * K]
    label_ids = answer_ids.copy()
    label_ids[may_merge] = value_labels(merged, _BLANK)[0].reshape(-1, K)  # ids only compared within a group
    return labels, label_ids


def _non_number_ids(index: dict[str | None, int]) -> list[int]:
    """Ids of the batch's answers that are not plain numbers: one regex pass over all of them when all are."""
    answers = list(filter(None, index))
    joined = "\n".join(answers) + "\n"
    if joined.count("\n") == len(answers) and _PLAIN_NUMBERS.fullmatch(joined):  # no answer spans two lines
        return []
    return [index[answer] for answer in answers if not CANONICAL_NUMBER.fullmatch(answer)]




@dataclass(frozen=True)
class AnswerAdvantages:
    """One batch's advantages and what they came from.

    Attributes:
        advantages: one per row, float64, finite (0 for singleton groups).
        rewards: alft's reward per row (0 for singleton groups).
        group_sizes: the size of each row's uid group.
        singleton_groups: uid groups of one sample (advantage 0).
        stats: answer-level statistics of the groups of size ≥ 2 (``alft.answers.stats``, one entry per group).
        equivalence_seconds: time spent finding answer classes.
        estimator_seconds: time spent in alft's game layer and the baseline.
        seconds: the whole call.
    """

    advantages: np.ndarray
    rewards: np.ndarray
    group_sizes: np.ndarray
    singleton_groups: int
    stats: GroupStats
    equivalence_seconds: float
    estimator_seconds: float
    seconds: float

    def metrics(self) -> dict[str, float]:
        """Answer-level metrics for verl's logger, under ``alft/`` (means over groups of size ≥ 2).

        ``unanswered`` is the fraction of those groups' rows without an answer; ``sample_accuracy`` (answers
        equal to the gold answer) and ``label_accuracy`` (an answer of the majority class equals the gold answer,
        TTRL's metric) appear when compute_score had gold answers; all as ``alft.answers.stats`` computes them
        for the TRL integration.
        """
        metrics = {
            "alft/singleton_groups": float(self.singleton_groups),
            "alft/equivalence_seconds": self.equivalence_seconds,
            "alft/estimator_seconds": self.estimator_seconds,
            "alft/step_seconds": self.seconds,
        }
        stats = self.stats
        if not stats.entropy.size:
            return metrics
        rows = float((self.group_sizes >= 2).sum())
        metrics["alft/reward_mean"] = float(self.rewards[self.group_sizes >= 2].mean())
        for name in ("entropy", "majority_share", "n_distinct"):
            metrics[f"alft/{'answer_entropy' if name == 'entropy' else name}"] = float(getattr(stats, name).mean())
        metrics["alft/unanswered"] = float(stats.n_unanswered.sum() / rows)
        if stats.sample_hits is not None:
            metrics["alft/sample_accuracy"] = float(stats.sample_hits.sum() / rows)
            metrics["alft/label_accuracy"] = float(stats.majority_hit.mean())
        return metrics


def _check_rows(answers: Sequence[str | None], uids: Sequence[object], gold: Sequence[object] | None) -> None:
    if len(answers) != len(uids):
        raise AlftInputError(f"alft_answer: got {len(answers)} answers for {len(uids)} rows, expected one per row")
    if gold is not None and len(gold) != len(uids):
        raise AlftInputError(f"{GOLD_KEY}: got {len(gold)} gold answers for {len(uids)} rows, expected one per row")
    if set(map(type, answers)) <= {str, type(None)}:  # one C-level pass in the common case
        return
    bad = next((i for i, a in enumerate(answers) if a is not None and not isinstance(a, str)), None)
    if bad is not None:
        raise AlftInputError(f"alft_answer[{bad}]: got {answers[bad]!r}, expected a string ('' or None = unanswered)")


_NO_ANSWER_MATCHES = -2  # the id of a gold answer that no answer of the batch equals


def _hits(labels: list[str | None], answer_ids: np.ndarray, index: dict[str | None, int], gold: list[str | None],
          rows: np.ndarray, non_numbers: list[int], grouper: str) -> np.ndarray:
    """Per row of ``rows``: its answer's class is equivalent to the gold answer (``alft.answers.equivalent_to``).

    When every answer and every gold answer is a plain number (no class can merge), that is string equality,
    so the integer answer ids are compared with the gold answers' ids, as equivalent_to would decide, without
    its per-row pass (the numeric batch of the ≤ 20 ms target).
    """
    K = answer_ids.shape[1]
    group_gold = [gold[r] for r in rows[::K].tolist()]  # the rows of a uid share their prompt's gold answer
    numeric = all(CANONICAL_NUMBER.fullmatch(g) for g in set(group_gold) - {None})
    if non_numbers or not numeric:
        return equivalent_to(labels, [gold[r] for r in rows.tolist()], grouper)
    gold_ids = np.array([_NO_ANSWER_MATCHES if g is None else index.get(g, _NO_ANSWER_MATCHES) for g in group_gold])
    return ((answer_ids == gold_ids[:, None]) & (answer_ids != UNANSWERED)).ravel()


def _prepare(settings: VerlRewardSettings, K: int) -> None:
    """Every refusal that depends on the group size (e.g. minimax at large K), once per size, on every path
    (verl's bare compute_advantage included), naming algorithm.alft."""
    try:
        settings.reward.prepare(K, "group size (actor_rollout_ref.rollout.n)")
    except AlftInputError as error:
        raise AlftInputError(f"{CONFIG_PREFIX}estimator (estimator={settings.reward.estimator!r}, "
                             f"estimator_params={dict(settings.reward.estimator_params)}, K={K}): {error}") from None


def _check_inputs_for(settings: VerlRewardSettings, gold: list[str | None] | None,
                      reference_answers: Sequence[str] | None, n_rows: int) -> None:
    """A verifier term needs every row's gold answer; an anchored term needs every row's reference answers."""
    if settings.needs_verifier:
        if gold is None:
            raise AlftInputError(f"{GOLD_KEY}: no row has a gold answer, expected one per row (the objective "
                                 f"{settings.objective!r} has a verifier term; reward_model.ground_truth)")
        _check_every_row_has_a_gold_answer(gold)
    if settings.needs_reference_answers:
        if reference_answers is None:
            raise AlftInputError(
                f"{REFERENCE_ANSWERS_KEY}: missing, expected each prompt's M reference answers for the anchored "
                f"objective {settings.objective!r}: write the dataset with `alft references --verl` (it puts them "
                "in extra_info.reference_answers, which alft's compute_score passes on), or choose another "
                "objective (+algorithm.alft.objective=...; a collapsing one needs +algorithm.alft.allow_collapse=true)")
        if len(reference_answers) != n_rows:
            raise AlftInputError(f"{REFERENCE_ANSWERS_KEY}: got {len(reference_answers)} rows, expected {n_rows}")


def _check_every_row_has_a_gold_answer(gold: list[str | None]) -> None:
    missing = next((i for i, g in enumerate(gold) if g is None), None)
    if missing is not None:
        raise AlftInputError(f"{GOLD_KEY}[{missing}]: empty, expected a gold answer for every row "
                             "(the objective has a verifier term; reward_model.ground_truth)")


def _advantages(rewards: np.ndarray, baseline: np.ndarray | None, settings: VerlRewardSettings) -> np.ndarray:
    """(R − b) / (std + ε) for groups of equal size, rows of shape (G, K)."""
    centered = rewards - (rewards.mean(axis=1, keepdims=True) if baseline is None else baseline)
    if settings.norm_by_std:
        centered = centered / (rewards.std(axis=1, ddof=1, keepdims=True) + settings.epsilon)
    return centered


def _uid_groups(uids: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """(rows ordered by uid group, batch order kept inside a group; each row's group size)."""
    values = uids.tolist() if isinstance(uids, np.ndarray) else list(uids)  # numpy str scalars hash slowly
    group = value_labels(values, unanswered=())[0]  # 0, 1, … in order of first appearance
    sizes = np.bincount(group)
    return np.argsort(group, kind="stable"), sizes[group]


@renamed_keywords(references="gold_answers")
def answer_advantages(
    answers: Sequence[str | None],
    uids: Sequence[object],
    settings: VerlRewardSettings,
    verifier_scores: Sequence[float] | None = None,
    gold_answers: Sequence[str | None] | None = None,
    *,
    reference_answers: Sequence[str] | None = None,
) -> AnswerAdvantages:
    """Advantages of a verl batch from each row's canonical answer and uid.

    Args:
        answers: the canonical answer compute_score extracted, per row ("" or None = unanswered).
        uids: verl's uid per row (rows of one prompt share it).
        settings: the plugin's settings.
        verifier_scores: verl's per-row score (a compute_score's ``score``), used by verifier terms only when
            the rows carry no gold answers.
        gold_answers: canonical gold answer per row (compute_score's ``alft_gold``; "" or None = none), for
            accuracy metrics and, with a verifier term, the verifier score: the answer's class is equivalent to
            the gold answer (``alft.answers.equivalent_to``, the grouper of the counts). Its old name
            ``references`` still works.
        reference_answers: per row, its prompt's M reference answers as JSON text (compute_score's
            ``alft_reference_answers``); required by anchored objectives (the default).

    Returns:
        An :class:`AnswerAdvantages`.
    """
    start = time.perf_counter()
    _check_rows(answers, uids, gold_answers)
    answers = list(answers)
    answer_ids, index = value_labels(answers, _BLANK)
    non_numbers = _non_number_ids(index)
    scores = None if verifier_scores is None else np.asarray(verifier_scores, dtype=float)
    gold = None if gold_answers is None else [g or None for g in gold_answers]  # canonical strings or None
    _check_inputs_for(settings, gold, reference_answers, len(answers))
    order, row_sizes = _uid_groups(uids)
    advantages, rewards = np.zeros(len(answers)), np.zeros(len(answers))
    stats, equivalence_seconds, estimator_seconds = [], 0.0, 0.0
    for K in np.unique(row_sizes[row_sizes >= 2]).tolist():
        rows = order[row_sizes[order] == K]  # whole groups of size K, consecutive
        group_answer_ids = answer_ids[rows].reshape(-1, K)
        grouped = time.perf_counter()
        labels, label_ids = _class_labels(answers, rows, group_answer_ids, non_numbers, settings.grouper)
        hits = None if gold is None else _hits(labels, group_answer_ids, index, gold, rows, non_numbers, settings.grouper)
        scored = time.perf_counter()
        group_scores = None if scores is None else scores[rows]
        if hits is not None and settings.needs_verifier:
            group_scores = hits.astype(float)  # the verifier sees the classes the counts see
        drawn = None if reference_answers is None else [reference_answers[r] for r in rows.tolist()]
        group_rewards, baseline = _group_rewards(labels, K, settings, group_scores, label_ids.ravel(), drawn)
        shaped = None if baseline is None or settings.baseline == "mean" else baseline.reshape(-1, K)
        advantages[rows] = _advantages(group_rewards.reshape(-1, K), shaped, settings).ravel()
        rewards[rows] = group_rewards
        estimator_seconds += time.perf_counter() - scored
        equivalence_seconds += scored - grouped
        stats.append(group_stats(label_ids, None if hits is None else np.asarray(hits, dtype=bool).reshape(-1, K)))
    return AnswerAdvantages(
        advantages=advantages,
        rewards=rewards,
        group_sizes=row_sizes,
        singleton_groups=int((row_sizes == 1).sum()),
        stats=_concatenated(stats),
        equivalence_seconds=equivalence_seconds,
        estimator_seconds=estimator_seconds,
        seconds=time.perf_counter() - start,
    )


def _concatenated(parts: list[GroupStats]) -> GroupStats:
    if not parts:
        return group_stats(np.zeros((0, 2), dtype=np.int64))
    if len(parts) == 1:
        return parts[0]
    return GroupStats(**{f.name: None if getattr(parts[0], f.name) is None
                         else np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(GroupStats)})


def preflight(settings: VerlRewardSettings, K: int) -> None:
    """Score one made-up group of K now (:func:`alft.games.preflight`), so bad settings fail before the first step,
    naming ``algorithm.alft`` (the same refusals the estimator makes at every step, through
    :meth:`alft.games.Reward.prepare`)."""
    games.preflight(settings.reward, K, lambda group: _score_preflight_group(group, settings))


def _score_preflight_group(group: games.PreflightGroup, settings: VerlRewardSettings) -> np.ndarray:
    """The made-up group through the advantage step's own adapter, reference answers as compute_score passes them."""
    K = len(group.answers)
    drawn = None if group.reference_answers is None else [json.dumps(list(group.reference_answers))] * K
    return _group_rewards(list(group.answers), K, settings, group.verifier_scores, reference_answers=drawn)[0]


def check_config(config: Any) -> None:
    """Refuse bad alft settings before the first step (a no-op when ``algorithm.adv_estimator`` is not alft's).

    Raises:
        AlftInputError: naming the config key: an ``alft_*`` estimator the plugin does not register, or any
            bad ``algorithm.alft.*`` value (tried on a group of ``actor_rollout_ref.rollout.n`` samples).
    """
    name = str(config.algorithm.adv_estimator)
    if not name.startswith("alft"):
        return
    if name not in ADV_ESTIMATORS:
        raise AlftInputError(f"algorithm.adv_estimator: got {name!r}, expected one of {', '.join(ADV_ESTIMATORS)}")
    preflight(settings_from_config(config.algorithm), int(config.actor_rollout_ref.rollout.n))
