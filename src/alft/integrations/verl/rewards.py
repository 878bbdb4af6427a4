"""From a verl batch's answers and uids to answer-level advantages (SPEC §2.5, §3.8, §6). numpy only.

verl groups the samples of one prompt by ``uid``; rows of a group need not be adjacent, and a group may have
lost samples to filtering. Each uid group is scored with the table for its own size K (rows kept in batch
order inside the group, so ties break as in the TRL integration). A group of one sample carries no count
information: its advantage is 0 and it is counted in ``alft/singleton_groups``.

Advantage of sample i in group g (verl's GRPO form, with alft's rewards R):

    A_i = (R_i − b_i) / (std_g(R) + ε)   (without the division when ``norm_by_std`` is False)

with b_i the group mean of R (``baseline=mean``) or alft's exactly unbiased leave-one-out baseline
(``baseline=loo``, SPEC §3.8), and std the unbiased (n − 1) standard deviation, as ``torch.std``.

Every scoring call into alft's game layer goes through :func:`_group_rewards`, one small adapter; the only
other touch points are parsing the objective (``VerlRewardSettings.game_objective``) and :func:`preflight`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft import games
from alft.errors import AlftInputError
from alft.answers import reference_hits
from alft.answers.groups import answer_groups
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
    batch = games.batch_group_rewards(labels, K, settings.reward, verifier_scores,
                                      loo_baseline=settings.baseline == "loo")
    rewards = np.asarray(batch.rewards, dtype=float)
    return rewards, None if settings.is_peer else np.asarray(batch.baseline_loo, dtype=float)


_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:/[0-9]+)?")
"""``canonicalize``'s form of every plain number: distinct ones are distinct values, math-verify adds nothing."""


def _given_answer(text: str) -> str | None:
    """The extractor for answers compute_score already extracted ("" = unanswered)."""
    return text or None


def _class_labels(texts: list[str], K: int, grouper: str) -> list[str | None]:
    """One label per row for consecutive groups of K: the canonical answer of its class's first member.

    Answers arrive canonical (compute_score canonicalises in the reward workers), so equal strings are one
    class. Only a group with two distinct answers, one of them not a plain number, can merge classes through
    math-verify; only such groups go through ``alft.answers.groups.answer_groups`` (SPEC §6 fast paths).
    """
    labels = [text or None for text in texts]
    if grouper == "exact":
        return labels
    non_numbers = {t for t in set(texts) if t and not _PLAIN_NUMBER.fullmatch(t)}
    if not non_numbers:
        return labels
    starts = [g for g in range(0, len(texts), K) if _may_merge(texts[g : g + K], non_numbers)]
    if starts:
        merged = answer_groups([t for g in starts for t in texts[g : g + K]], K, _given_answer, grouper).labels()
        for i, g in enumerate(starts):
            labels[g : g + K] = merged[i * K : (i + 1) * K]
    return labels


def _may_merge(group: list[str], non_numbers: set[str]) -> bool:
    distinct = set(group) - {""}
    return len(distinct) >= 2 and not distinct.isdisjoint(non_numbers)


@dataclass(frozen=True)
class GroupStats:
    """Answer-level statistics of the groups of size ≥ 2 (per group, concatenated over sizes).

    Attributes:
        entropy: entropy (nats) of the group's answered samples' answer distribution.
        majority_share: size of the largest answer class / group size.
        n_distinct: answer classes in the group.
        n_unanswered: samples without an answer.
        size: the group size.
        sample_hits: answers equivalent to the reference (None without references).
        majority_hit: the majority answer (ties: the class seen first) is equivalent to the reference.
    """

    entropy: np.ndarray
    majority_share: np.ndarray
    n_distinct: np.ndarray
    n_unanswered: np.ndarray
    size: np.ndarray
    sample_hits: np.ndarray | None
    majority_hit: np.ndarray | None


def _group_stats(labels: list[str | None], hits: np.ndarray | None, K: int) -> dict:
    """Vectorised statistics of consecutive groups of K (class sizes from one sort of the whole batch)."""
    codes: dict[str | None, int] = {None: -1}
    ids = np.array([codes.setdefault(label, len(codes) - 1) for label in labels]).reshape(-1, K)
    G = ids.shape[0]
    answered = ids >= 0
    keyed = np.where(answered, ids + (np.arange(G) * len(codes))[:, None], -1 - np.arange(G * K).reshape(G, K))
    _, inverse, counts = np.unique(keyed, return_inverse=True, return_counts=True)
    sizes = np.where(answered, counts[inverse.reshape(G, K)], 0)  # class size of each answered sample
    n_answered = answered.sum(axis=1)
    share = sizes / np.maximum(n_answered, 1)[:, None]
    out = {
        "entropy": -np.where(answered, np.log(np.where(answered, share, 1.0)), 0.0).sum(axis=1)
        / np.maximum(n_answered, 1),
        "majority_share": sizes.max(axis=1) / K,
        "n_distinct": np.where(answered, 1.0 / np.maximum(sizes, 1), 0.0).sum(axis=1),
        "n_unanswered": K - n_answered,
        "size": np.full(G, K),
        "sample_hits": None,
        "majority_hit": None,
    }
    if hits is not None:  # answer class equivalent to the reference, per row
        hits = hits.reshape(G, K)
        first_majority = np.argmax(sizes, axis=1)  # first position of the largest class = first seen
        out["sample_hits"] = hits.sum(axis=1)
        out["majority_hit"] = hits[np.arange(G), first_majority] & (n_answered > 0)
    return out


@dataclass(frozen=True)
class AnswerAdvantages:
    """One batch's advantages and what they came from.

    Attributes:
        advantages: one per row, float64, finite (0 for singleton groups).
        rewards: alft's reward per row (0 for singleton groups).
        group_sizes: the size of each row's uid group.
        singleton_groups: uid groups of one sample (advantage 0).
        stats: answer-level statistics of the groups of size ≥ 2.
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
        equal to the reference) and ``label_accuracy`` (the majority answer equals the reference, TTRL's
        metric) appear when compute_score had references.
        """
        metrics = {
            "alft/singleton_groups": float(self.singleton_groups),
            "alft/equivalence_seconds": self.equivalence_seconds,
            "alft/estimator_seconds": self.estimator_seconds,
            "alft/step_seconds": self.seconds,
        }
        stats = self.stats
        if not stats.size.size:
            return metrics
        rows = float(stats.size.sum())
        metrics["alft/reward_mean"] = float(self.rewards[self.group_sizes >= 2].mean())
        for name in ("entropy", "majority_share", "n_distinct"):
            metrics[f"alft/{'answer_entropy' if name == 'entropy' else name}"] = float(getattr(stats, name).mean())
        metrics["alft/unanswered"] = float(stats.n_unanswered.sum() / rows)
        if stats.sample_hits is not None:
            metrics["alft/sample_accuracy"] = float(stats.sample_hits.sum() / rows)
            metrics["alft/label_accuracy"] = float(stats.majority_hit.mean())
        return metrics


def _check_rows(answers: Sequence[str | None], uids: Sequence[object], references: Sequence[object] | None) -> None:
    if len(answers) != len(uids):
        raise AlftInputError(f"alft_answer: got {len(answers)} answers for {len(uids)} rows, expected one per row")
    if references is not None and len(references) != len(uids):
        raise AlftInputError(f"alft_reference: got {len(references)} references for {len(uids)} rows")
    if set(map(type, answers)) <= {str, type(None)}:  # one C-level pass in the common case
        return
    bad = next((i for i, a in enumerate(answers) if a is not None and not isinstance(a, str)), None)
    if bad is not None:
        raise AlftInputError(f"alft_answer[{bad}]: got {answers[bad]!r}, expected a string ('' or None = unanswered)")


def _check_every_row_has_a_reference(refs: list[str | None]) -> None:
    missing = next((i for i, r in enumerate(refs) if r is None), None)
    if missing is not None:
        raise AlftInputError(f"alft_reference[{missing}]: empty, expected a reference answer for every row "
                             "(the objective has a verifier term; reward_model.ground_truth)")


def _advantages(rewards: np.ndarray, baseline: np.ndarray | None, settings: VerlRewardSettings) -> np.ndarray:
    """(R − b) / (std + ε) for groups of equal size, rows of shape (G, K)."""
    centered = rewards - (rewards.mean(axis=1, keepdims=True) if baseline is None else baseline)
    if settings.norm_by_std:
        centered = centered / (rewards.std(axis=1, ddof=1, keepdims=True) + settings.epsilon)
    return centered


def _uid_groups(uids: Sequence[object]) -> tuple[np.ndarray, np.ndarray]:
    """(rows ordered by uid group, batch order kept inside a group; each row's group size)."""
    index: dict[object, int] = {}
    values = uids.tolist() if isinstance(uids, np.ndarray) else uids  # numpy str scalars hash slowly
    group = np.fromiter((index.setdefault(uid, len(index)) for uid in values), dtype=np.int64, count=len(values))
    sizes = np.bincount(group, minlength=len(index))
    return np.argsort(group, kind="stable"), sizes[group]


def answer_advantages(
    answers: Sequence[str | None],
    uids: Sequence[object],
    settings: VerlRewardSettings,
    verifier_scores: Sequence[float] | None = None,
    references: Sequence[str | None] | None = None,
) -> AnswerAdvantages:
    """Advantages of a verl batch from each row's canonical answer and uid.

    Args:
        answers: the canonical answer compute_score extracted, per row ("" or None = unanswered).
        uids: verl's uid per row (rows of one prompt share it).
        settings: the plugin's settings.
        verifier_scores: verl's per-row score (a compute_score's ``score``), used by verifier terms only when
            the rows carry no references.
        references: canonical reference answer per row (compute_score's ``alft_reference``; "" or None = none),
            for accuracy metrics and, with a verifier term, the verifier score: the answer's class is
            equivalent to the reference (``alft.answers.reference_hits``, the grouper of the counts).

    Returns:
        An :class:`AnswerAdvantages`.
    """
    start = time.perf_counter()
    _check_rows(answers, uids, references)
    texts = ["" if a is None else a for a in answers]
    refs = None if references is None else [r or None for r in references]  # canonical strings or None
    if refs is not None and settings.needs_verifier:
        _check_every_row_has_a_reference(refs)
    order, row_sizes = _uid_groups(uids)
    advantages, rewards = np.zeros(len(texts)), np.zeros(len(texts))
    stats, equivalence_seconds, estimator_seconds = [], 0.0, 0.0
    for K in np.unique(row_sizes[row_sizes >= 2]).tolist():
        rows = order[row_sizes[order] == K]  # whole groups of size K, consecutive
        group_texts = [texts[r] for r in rows]
        grouped = time.perf_counter()
        labels = _class_labels(group_texts, K, settings.grouper)
        group_refs = None if refs is None else [refs[r] for r in rows]
        hits = None if group_refs is None else reference_hits(labels, group_refs, settings.grouper)
        scored = time.perf_counter()
        scores = None if verifier_scores is None else np.asarray(verifier_scores, dtype=float)[rows]
        if hits is not None and settings.needs_verifier:
            scores = hits.astype(float)  # the verifier sees the classes the counts see
        group_rewards, baseline = _group_rewards(labels, K, settings, scores)
        shaped = None if baseline is None or settings.baseline == "mean" else baseline.reshape(-1, K)
        advantages[rows] = _advantages(group_rewards.reshape(-1, K), shaped, settings).ravel()
        rewards[rows] = group_rewards
        estimator_seconds += time.perf_counter() - scored
        equivalence_seconds += scored - grouped
        stats.append(_group_stats(labels, hits, K))
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


def _concatenated(parts: list[dict]) -> GroupStats:
    names = GroupStats.__dataclass_fields__
    if not parts:
        return GroupStats(**{name: np.zeros(0) for name in names})
    return GroupStats(**{n: None if parts[0][n] is None else np.concatenate([p[n] for p in parts]) for n in names})


def preflight(settings: VerlRewardSettings, K: int) -> None:
    """Score one dummy group of K now, so bad settings fail before the first step, naming ``algorithm.alft``.

    Also refuses log-p tables unfit for training at this K (e.g. minimax at large K, SPEC §3.5), as the TRL
    integration does.
    """
    dummy = [str(i % 2) for i in range(K)]
    scores = np.zeros(K) if settings.needs_verifier else None
    try:
        settings.reward.prepare(K)
        _group_rewards(dummy, K, settings, scores)
    except (AlftInputError, TypeError, ValueError) as error:
        raise AlftInputError(
            f"{CONFIG_PREFIX}estimator/estimator_params (estimator={settings.estimator!r}, "
            f"estimator_params={dict(settings.estimator_params)}, K={K}): {error}"
        ) from None
