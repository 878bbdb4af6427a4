"""Answer-level statistics of groups: what a run logs beside its reward, so that "agreement up, accuracy
down" (a collapse, docs/concepts/game.md#the-anchor, docs/concepts/peers.md) is visible. One module for training, the peers and evaluation. numpy only.

A group is a row of integer answer labels, equal label = equivalent answer, :data:`UNANSWERED` (−1) for a
completion without an answer. Unanswered completions never agree with anything: they are left out of the
answer classes (entropy, distinct answers, majority) and counted apart.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from alft.answers.equivalence import AnswerGrouper
from alft.answers.gold import equivalent_to, read_gold_answers
from alft.deprecation import renamed_keywords
from alft.errors import AlftInputError

UNANSWERED = -1


def label_array(class_ids: Sequence[Sequence[int | None]]) -> np.ndarray:
    """(G, K) int64 labels from per-group class ids (``None`` → :data:`UNANSWERED`)."""
    sizes = {len(ids) for ids in class_ids}
    if len(sizes) > 1:
        raise AlftInputError(f"class_ids: got groups of sizes {sorted(sizes)}, expected one group size")
    rows = [[UNANSWERED if i is None else int(i) for i in ids] for ids in class_ids]
    return np.array(rows, dtype=np.int64).reshape(len(rows), sizes.pop() if sizes else 0)


def value_labels(values: Sequence[Hashable], unanswered: tuple = (None,)) -> tuple[np.ndarray, dict]:
    """Integer labels of a flat list of answers: equal values get equal labels, ``unanswered`` values
    :data:`UNANSWERED`; and the value → label lookup.

    The distinct values are numbered in first-seen order by two C-level dict passes, with no Python loop per
    value (16k answers in 1–2 ms on one core here).
    """
    index = dict(zip(dict.fromkeys(values), range(len(values))))
    index.update(dict.fromkeys(unanswered, UNANSWERED))
    return np.array(list(map(index.__getitem__, values)), dtype=np.int64), index


def class_sizes(ids: np.ndarray) -> np.ndarray:
    """(G, K): how many completions of the group share each completion's answer (itself included); 0 if unanswered."""
    same = ids[:, :, None] == ids[:, None, :]  # an unanswered completion shares no answer's label
    return np.where(ids == UNANSWERED, 0, same.sum(axis=2))


def majority_labels(ids: np.ndarray) -> np.ndarray:
    """(G,) the most frequent answer label per group, ties to the answer seen first; −1 if none answered."""
    return _majority(ids, class_sizes(ids))


def answer_entropy(ids: np.ndarray) -> np.ndarray:
    """(G,) entropy (nats) of each group's answered completions: −(1/n) Σ_i log(c_i/n); 0 if none answered."""
    return _entropy(class_sizes(ids))


def majority_share(ids: np.ndarray) -> np.ndarray:
    """(G,) size of the largest answer class divided by the group size K."""
    return _share(class_sizes(ids))


def distinct_answers(ids: np.ndarray) -> np.ndarray:
    """(G,) number of distinct answers per group (unanswered completions not counted)."""
    return _distinct(class_sizes(ids))


def _majority(ids: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    first = np.argmax(sizes, axis=1)  # argmax takes the first position holding the largest class
    return np.where(sizes.max(axis=1, initial=0) > 0, ids[np.arange(len(ids)), first], UNANSWERED)


def _entropy(sizes: np.ndarray) -> np.ndarray:
    answered = sizes > 0
    n = answered.sum(axis=1)
    logs = np.log(np.where(answered, sizes, 1) / np.maximum(n, 1)[:, None])
    return -np.where(answered, logs, 0.0).sum(axis=1) / np.maximum(n, 1)


def _share(sizes: np.ndarray) -> np.ndarray:
    return sizes.max(axis=1, initial=0) / max(sizes.shape[1], 1)


def _distinct(sizes: np.ndarray) -> np.ndarray:
    return np.where(sizes > 0, 1.0 / np.maximum(sizes, 1), 0.0).sum(axis=1).round().astype(int)


@dataclass(frozen=True)
class GroupStats:
    """Answer-level statistics per group, each of shape (G,): what :func:`answer_stats` averages.

    Attributes:
        entropy: :func:`answer_entropy`.
        majority_share: :func:`majority_share`.
        n_distinct: :func:`distinct_answers`.
        n_unanswered: completions without an answer.
        majority: :func:`majority_labels`.
        sample_hits: completions whose answer equals the gold answer (None without ``hits``).
        majority_hit: a completion of the majority class equals the gold answer (None without ``hits``).
    """

    entropy: np.ndarray
    majority_share: np.ndarray
    n_distinct: np.ndarray
    n_unanswered: np.ndarray
    majority: np.ndarray
    sample_hits: np.ndarray | None = None
    majority_hit: np.ndarray | None = None


def group_stats(ids: np.ndarray, hits: np.ndarray | None = None) -> GroupStats:
    """Every per-group statistic of label rows ``ids`` (G, K), from one count of the answer classes.

    Args:
        ids: integer answer labels, :data:`UNANSWERED` for no answer.
        hits: optional (G, K) bools, True where a completion's answer equals its prompt's gold answer.
    """
    sizes = class_sizes(ids)
    majority = _majority(ids, sizes)
    sample_hits = majority_hit = None
    if hits is not None:
        sample_hits = hits.sum(axis=1)
        majority_hit = (hits & (ids == majority[:, None])).any(axis=1)
    return GroupStats(
        entropy=_entropy(sizes), majority_share=_share(sizes), n_distinct=_distinct(sizes),
        n_unanswered=(ids == UNANSWERED).sum(axis=1), majority=majority, sample_hits=sample_hits,
        majority_hit=majority_hit,
    )


@dataclass(frozen=True)
class AnswerStats:
    """Answer-level statistics of a batch of groups (means over groups unless said otherwise).

    Attributes:
        answer_entropy: entropy (nats) of the empirical answer distribution of a group's answered completions.
        majority_share: size of a group's largest answer class divided by K.
        n_distinct: number of distinct answer classes in a group.
        n_unextractable: completions without an answer, summed over the batch.
        n_groups: groups in the batch.
        unextractable_groups: groups in which no completion has an answer.
        sample_accuracy: fraction of completions whose answer is equivalent to the gold answer, over the groups
            that have one (None without gold answers).
        majority_accuracy: fraction of those groups whose majority answer is equivalent to the gold answer.
    """

    answer_entropy: float
    majority_share: float
    n_distinct: float
    n_unextractable: int
    n_groups: int
    unextractable_groups: int
    sample_accuracy: float | None = None
    majority_accuracy: float | None = None


@renamed_keywords(references="gold_answers")
def answer_stats(groups: "alft.answers.groups.AnswerGroups", gold_answers: Sequence[object] | None = None, *,
                 grouper: str | AnswerGrouper = "math", hits: np.ndarray | None = None,
                 unanswered_is_answer: bool = False) -> AnswerStats:
    """Summarise a batch of groups.

    Args:
        groups: the batch.
        gold_answers: optional gold answer per completion (a dataset's ``answer`` column, repeated K
            times by TRL) or per group, in any form :func:`alft.answers.read_gold_answer` reads; ``None`` for
            a prompt without one (left out of the accuracies). Its old name ``references`` still works.
        grouper: the equivalence deciding "answer = gold answer" (:func:`alft.answers.equivalent_to`).
        hits: those verdicts per completion if already computed (the verifier term's), to skip a second pass.
        unanswered_is_answer: count unanswered completions as one more answer (as the reward does under
            ``unextractable="own-class"``); otherwise they belong to no answer class.

    Returns:
        An :class:`AnswerStats`.
    """
    ids = groups.label_ids()
    if unanswered_is_answer:
        ids = np.where(ids == UNANSWERED, ids.max(initial=0) + 1, ids)
    hits_rows = has_gold = None
    if gold_answers is not None:
        gold = read_gold_answers(gold_answers, groups.n_groups, groups.K)
        hits_rows = equivalent_to(groups.labels(), gold, grouper) if hits is None else np.asarray(hits, dtype=bool)
        hits_rows = hits_rows.reshape(ids.shape)
        has_gold = np.array([g is not None for g in gold[:: groups.K]], dtype=bool)
    per_group = group_stats(ids, hits_rows)
    scored = has_gold is not None and has_gold.any()  # prompts without a gold answer: no accuracy
    return AnswerStats(
        answer_entropy=float(per_group.entropy.mean()),
        majority_share=float(per_group.majority_share.mean()),
        n_distinct=float(per_group.n_distinct.mean()),
        n_unextractable=int(per_group.n_unanswered.sum()),
        n_groups=groups.n_groups,
        unextractable_groups=int((per_group.n_unanswered == groups.K).sum()),
        sample_accuracy=float(hits_rows[has_gold].mean()) if scored else None,
        majority_accuracy=float(per_group.majority_hit[has_gold].mean()) if scored else None,
    )
