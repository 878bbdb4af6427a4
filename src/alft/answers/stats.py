"""Answer-level statistics of groups: what a run logs beside its reward, so that "agreement up, accuracy
down" (a collapse, SPEC §2.6, §5) is visible. One module for training, the peers and evaluation. numpy only.

A group is a row of integer answer labels, equal label = equivalent answer, :data:`UNANSWERED` (−1) for a
completion without an answer. Unanswered completions never agree with anything: they are left out of the
answer classes (entropy, distinct answers, majority) and counted apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft.answers.equivalence import AnswerGrouper
from alft.answers.references import read_references, reference_hits
from alft.errors import AlftInputError

UNANSWERED = -1


def label_array(class_ids: Sequence[Sequence[int | None]]) -> np.ndarray:
    """(G, K) int64 labels from per-group class ids (``None`` → :data:`UNANSWERED`)."""
    sizes = {len(ids) for ids in class_ids}
    if len(sizes) > 1:
        raise AlftInputError(f"class_ids: got groups of sizes {sorted(sizes)}, expected one group size")
    rows = [[UNANSWERED if i is None else int(i) for i in ids] for ids in class_ids]
    return np.array(rows, dtype=np.int64).reshape(len(rows), sizes.pop() if sizes else 0)


def class_sizes(ids: np.ndarray) -> np.ndarray:
    """(G, K): how many completions of the group share each completion's answer (itself included); 0 if unanswered."""
    same = (ids[:, :, None] == ids[:, None, :]) & (ids[:, None, :] != UNANSWERED)
    return np.where(ids == UNANSWERED, 0, same.sum(axis=2))


def majority_labels(ids: np.ndarray) -> np.ndarray:
    """(G,) the most frequent answer label per group, ties to the answer seen first; −1 if none answered."""
    sizes = class_sizes(ids)
    first = np.argmax(sizes, axis=1)  # argmax takes the first position holding the largest class
    return np.where(sizes.max(axis=1, initial=0) > 0, ids[np.arange(len(ids)), first], UNANSWERED)


def answer_entropy(ids: np.ndarray) -> np.ndarray:
    """(G,) entropy (nats) of each group's answered completions: −(1/n) Σ_i log(c_i/n); 0 if none answered."""
    sizes = class_sizes(ids)
    answered = sizes > 0
    n = answered.sum(axis=1)
    logs = np.log(np.where(answered, sizes, 1) / np.maximum(n, 1)[:, None])
    return -np.where(answered, logs, 0.0).sum(axis=1) / np.maximum(n, 1)


def majority_share(ids: np.ndarray) -> np.ndarray:
    """(G,) size of the largest answer class divided by the group size K."""
    return class_sizes(ids).max(axis=1, initial=0) / max(ids.shape[1], 1)


def distinct_answers(ids: np.ndarray) -> np.ndarray:
    """(G,) number of distinct answers per group (unanswered completions not counted)."""
    sizes = class_sizes(ids)
    return np.where(sizes > 0, 1.0 / np.maximum(sizes, 1), 0.0).sum(axis=1).round().astype(int)


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
        sample_accuracy: fraction of completions whose answer is equivalent to the reference, over the groups
            that have one (None without references).
        majority_accuracy: fraction of those groups whose majority answer is equivalent to the reference.
    """

    answer_entropy: float
    majority_share: float
    n_distinct: float
    n_unextractable: int
    n_groups: int
    unextractable_groups: int
    sample_accuracy: float | None = None
    majority_accuracy: float | None = None


def answer_stats(groups: "alft.answers.groups.AnswerGroups", references: Sequence[object] | None = None, *,
                 grouper: str | AnswerGrouper = "math", hits: np.ndarray | None = None,
                 unanswered_is_answer: bool = False) -> AnswerStats:
    """Summarise a batch of groups.

    Args:
        groups: the batch.
        references: optional reference answer per completion (a dataset's ``answer`` column, repeated K
            times by TRL) or per group, in any form :func:`alft.answers.read_reference` reads; ``None`` for
            a prompt without one (left out of the accuracies).
        grouper: the equivalence deciding "answer = reference" (:func:`alft.answers.reference_hits`).
        hits: those verdicts per completion if already computed (the verifier term's), to skip a second pass.
        unanswered_is_answer: count unanswered completions as one more answer (as the reward does under
            ``unextractable="own-class"``); otherwise they belong to no answer class.

    Returns:
        An :class:`AnswerStats`.
    """
    ids = groups.label_ids()
    if unanswered_is_answer:
        ids = np.where(ids == UNANSWERED, ids.max(initial=0) + 1, ids)
    answered = (ids != UNANSWERED).any(axis=1)
    sample_accuracy = majority_accuracy = None
    if references is not None:
        refs = read_references(references, groups.n_groups, groups.K)
        hits = reference_hits(groups.labels(), refs, grouper) if hits is None else np.asarray(hits, dtype=bool)
        hits = hits.reshape(ids.shape)
        has_reference = np.array([r is not None for r in refs[:: groups.K]])
        majority_hit = (hits & (ids == majority_labels(ids)[:, None])).any(axis=1)
        if has_reference.any():
            sample_accuracy = float(hits[has_reference].mean())
            majority_accuracy = float(majority_hit[has_reference].mean())
    return AnswerStats(
        answer_entropy=float(answer_entropy(ids).mean()),
        majority_share=float(majority_share(ids).mean()),
        n_distinct=float(distinct_answers(ids).mean()),
        n_unextractable=int((ids == UNANSWERED).sum()),
        n_groups=groups.n_groups,
        unextractable_groups=int((~answered).sum()),
        sample_accuracy=sample_accuracy,
        majority_accuracy=majority_accuracy,
    )
