"""From a verl batch's answers and uids to answer-level advantages (SPEC §2.5, §3.8, §6). numpy only.

verl groups the samples of one prompt by ``uid``; rows of a group need not be adjacent, and a group may have
lost samples to filtering. Each uid group is scored with the table for its own size K (rows kept in batch
order inside the group, so ties break as in the TRL integration). A group of one sample carries no count
information: its advantage is 0 and it is counted in ``alft/singleton_groups``.

Advantage of sample i in group g (verl's GRPO form, with alft's rewards R):

    A_i = (R_i − b_i) / (std_g(R) + ε)   (without the division when ``norm_by_std`` is False)

with b_i the group mean of R (``baseline=mean``) or alft's exactly unbiased leave-one-out baseline
(``baseline=loo``, SPEC §3.8), and std the unbiased (n − 1) standard deviation, as ``torch.std``.

All calls into alft's game layer go through :func:`_group_rewards`, one small adapter.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft import estimators, games
from alft.errors import AlftInputError
from alft.integrations.groups import AnswerStats, answer_groups, answer_stats
from alft.integrations.peers import log_frequency_rewards, majority_vote_rewards
from alft.integrations.verl.settings import CONFIG_PREFIX, VerlRewardSettings


def _group_rewards(
    labels: list[str | None], K: int, settings: VerlRewardSettings, verifier_scores: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """The one adapter into alft's game layer: rewards (and the leave-one-out baseline) of whole groups of K.

    Args:
        labels: canonical answer per completion (None = unanswered), consecutive groups of K.
        K: the group size.
        settings: objective, estimator and policies.
        verifier_scores: per completion, for objectives with a verifier term.

    Returns:
        (rewards, baseline_loo) as flat float64 arrays; baseline_loo is None for the peers.
    """
    if settings.is_peer:
        class_ids = tuple(_first_seen_ids(labels[g : g + K]) for g in range(0, len(labels), K))
        peer = majority_vote_rewards if settings.objective == "ttrl" else log_frequency_rewards
        return peer(class_ids), None
    batch = games.batch_group_rewards(
        labels,
        K,
        settings.game_objective,
        settings.estimator,
        verifier_scores=verifier_scores,
        unextractable=settings.unextractable,
        penalty=settings.penalty,
        estimator_params=dict(settings.estimator_params) or None,
    )
    return np.asarray(batch.rewards, dtype=float), np.asarray(batch.baseline_loo, dtype=float)


def _first_seen_ids(labels: Sequence[str | None]) -> tuple[int | None, ...]:
    """Class ids numbered by first appearance (the equivalence grouper's numbering, so peers break ties alike)."""
    ids: dict[str, int] = {}
    return tuple(None if label is None else ids.setdefault(label, len(ids)) for label in labels)


def _given_answer(text: str) -> str | None:
    """The extractor for answers compute_score already extracted ("" = unanswered)."""
    return text or None


@dataclass(frozen=True)
class AnswerAdvantages:
    """One batch's advantages and what they came from.

    Attributes:
        advantages: one per row, float64, finite (0 for singleton groups).
        rewards: alft's reward per row (0 for singleton groups).
        group_sizes: the size of each row's uid group.
        singleton_groups: uid groups of one sample (advantage 0).
        stats: answer-level statistics of the groups of size ≥ 2, one per distinct size.
        equivalence_seconds: time spent grouping equivalent answers.
        estimator_seconds: time spent turning classes into advantages.
    """

    advantages: np.ndarray
    rewards: np.ndarray
    group_sizes: np.ndarray
    singleton_groups: int
    stats: tuple[tuple[int, AnswerStats], ...]
    equivalence_seconds: float
    estimator_seconds: float

    def metrics(self) -> dict[str, float]:
        """Answer-level metrics for verl's logger, under ``alft/`` (means over groups of size ≥ 2).

        ``unanswered`` is the fraction of rows without an answer; ``sample_accuracy`` (answers equal to the
        reference) and ``label_accuracy`` (the majority answer equals the reference, TTRL's metric) appear
        when compute_score had references.
        """
        metrics = {
            "alft/singleton_groups": float(self.singleton_groups),
            "alft/equivalence_seconds": self.equivalence_seconds,
            "alft/estimator_seconds": self.estimator_seconds,
            "alft/reward_mean": float(self.rewards[self.group_sizes >= 2].mean()) if self.stats else 0.0,
        }
        n_groups = sum(s.n_groups for _, s in self.stats)
        if not n_groups:
            return metrics
        for name in ("answer_entropy", "majority_share", "n_distinct"):
            metrics[f"alft/{name}"] = sum(getattr(s, name) * s.n_groups for _, s in self.stats) / n_groups
        rows = sum(K * s.n_groups for K, s in self.stats)
        metrics["alft/unanswered"] = sum(s.n_unextractable for _, s in self.stats) / rows
        if all(s.sample_accuracy is not None for _, s in self.stats):
            metrics["alft/sample_accuracy"] = sum(s.sample_accuracy * K * s.n_groups for K, s in self.stats) / rows
            metrics["alft/label_accuracy"] = sum(s.majority_accuracy * s.n_groups for _, s in self.stats) / n_groups
        return metrics


def _check_rows(answers: Sequence[str | None], uids: Sequence[object], references: Sequence[object] | None) -> None:
    if len(answers) != len(uids):
        raise AlftInputError(f"alft_answer: got {len(answers)} answers for {len(uids)} rows, expected one per row")
    if references is not None and len(references) != len(uids):
        raise AlftInputError(f"alft_reference: got {len(references)} references for {len(uids)} rows")
    for i, answer in enumerate(answers):
        if answer is not None and not isinstance(answer, str):
            raise AlftInputError(f"alft_answer[{i}]: got {answer!r}, expected a string ('' or None = unanswered)")


def _advantages(rewards: np.ndarray, baseline: np.ndarray | None, settings: VerlRewardSettings) -> np.ndarray:
    """(R − b) / (std + ε) for groups of equal size, rows of shape (G, K)."""
    centered = rewards - (rewards.mean(axis=1, keepdims=True) if baseline is None else baseline)
    if settings.norm_by_std:
        centered = centered / (rewards.std(axis=1, ddof=1, keepdims=True) + settings.epsilon)
    return centered


def answer_advantages(
    answers: Sequence[str | None],
    uids: Sequence[object],
    settings: VerlRewardSettings,
    verifier_scores: Sequence[float] | None = None,
    references: Sequence[object] | None = None,
) -> AnswerAdvantages:
    """Advantages of a verl batch from each row's extracted answer and uid.

    Args:
        answers: the answer compute_score extracted, per row ("" or None = unanswered).
        uids: verl's uid per row (rows of one prompt share it).
        settings: the plugin's settings.
        verifier_scores: verl's per-row score (compute_score's ``score``), used by verifier terms only.
        references: canonical reference answer per row, for label-accuracy metrics (optional).

    Returns:
        An :class:`AnswerAdvantages`.
    """
    _check_rows(answers, uids, references)
    texts = ["" if a is None else a for a in answers]
    _, inverse, sizes = np.unique(np.asarray(uids, dtype=object).astype(str), return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")  # rows grouped by uid, batch order kept inside each group
    row_sizes = sizes[inverse]
    advantages, rewards = np.zeros(len(texts)), np.zeros(len(texts))
    stats, equivalence_seconds, estimator_seconds = [], 0.0, 0.0
    for K in np.unique(sizes[sizes >= 2]).tolist():
        rows = order[row_sizes[order] == K]  # whole groups of size K, consecutive
        groups = answer_groups([texts[r] for r in rows], K, _given_answer, settings.grouper)
        start = time.perf_counter()
        scores = None if verifier_scores is None else np.asarray(verifier_scores, dtype=float)[rows]
        group_rewards, baseline = _group_rewards(groups.labels(), K, settings, scores)
        shaped = None if baseline is None or settings.baseline == "mean" else baseline.reshape(-1, K)
        advantages[rows] = _advantages(group_rewards.reshape(-1, K), shaped, settings).ravel()
        rewards[rows] = group_rewards
        estimator_seconds += time.perf_counter() - start
        equivalence_seconds += groups.equivalence_seconds
        stats.append((K, answer_stats(groups, None if references is None else [references[r] for r in rows])))
    return AnswerAdvantages(
        advantages=advantages,
        rewards=rewards,
        group_sizes=row_sizes,
        singleton_groups=int((sizes == 1).sum()),
        stats=tuple(stats),
        equivalence_seconds=equivalence_seconds,
        estimator_seconds=estimator_seconds,
    )


def preflight(settings: VerlRewardSettings, K: int) -> None:
    """Score one dummy group of K now, so bad settings fail before the first step, naming ``algorithm.alft``.

    Also refuses log-p tables unfit for training at this K (e.g. minimax at large K, SPEC §3.5), as the TRL
    integration does.
    """
    dummy = [str(i % 2) for i in range(K)]
    scores = np.zeros(K) if settings.needs_verifier else None
    try:
        _group_rewards(dummy, K, settings, scores)
        target = None if settings.is_peer else settings.game_objective.target
        if target is not None and target.log_weight != 0.0:
            table = estimators.get_estimator(settings.estimator, K, "log", **dict(settings.estimator_params))
            estimators.check_trainable(table)
    except (AlftInputError, TypeError, ValueError) as error:
        raise AlftInputError(
            f"{CONFIG_PREFIX}estimator/estimator_params (estimator={settings.estimator!r}, "
            f"estimator_params={dict(settings.estimator_params)}, K={K}): {error}"
        ) from None
