"""From completions to answer classes per GRPO group, and the answer-level statistics of a batch.

A GRPO batch is a flat list of completions in which each consecutive run of K belongs to one prompt
(SPEC §6). This module checks that the batch is made of whole groups, extracts each answer, groups equivalent
answers per group (``alft.answers``), and summarises what the groups look like — the quantities a run must
log beside its reward, so that "agreement up, accuracy down" (a collapse, SPEC §7) is visible.
numpy only: no torch here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft.answers import AnswerExtractor, AnswerGrouper, canonicalize, get_extractor, get_grouper
from alft.answers.equivalence import AnswerEquivalence
from alft.errors import AlftInputError, require

ClassIds = tuple[tuple["int | None", ...], ...]
"""One tuple of class ids per group (equal id = equivalent answer; ``None`` = unextractable)."""


@dataclass(frozen=True)
class AnswerGroups:
    """The answers of a batch, split into groups of K, with their equivalence classes.

    Attributes:
        K: group size.
        answers: extracted answer per completion (``None`` when unextractable), flat.
        canonical: the canonical form of each answer (``alft.answers.canonicalize``), flat.
        class_ids: per group, one class id per completion (:data:`ClassIds`).
        extract_seconds: time spent extracting answers.
        equivalence_seconds: time spent grouping equivalent answers (math-verify included, SPEC §6).
    """

    K: int
    answers: tuple[str | None, ...]
    canonical: tuple[str | None, ...]
    class_ids: ClassIds
    extract_seconds: float
    equivalence_seconds: float

    @property
    def n_groups(self) -> int:
        return len(self.class_ids)

    def labels(self) -> list[str | None]:
        """One answer per completion: the canonical form of its class's first member (None if unextractable).

        Exact string counting on these labels (what a group reward does) agrees with the equivalence classes,
        and constraint indicators still see real answers.
        """
        labels: list[str | None] = []
        for g, ids in enumerate(self.class_ids):
            first = {}
            for i, cid in enumerate(ids):
                if cid is not None and cid not in first:
                    first[cid] = self.canonical[g * self.K + i]
            labels.extend(None if cid is None else first[cid] for cid in ids)
        return labels


@dataclass(frozen=True)
class AnswerStats:
    """Answer-level statistics of a batch of groups (means over groups unless said otherwise).

    Attributes:
        answer_entropy: entropy (nats) of the empirical answer distribution of a group's extractable answers.
        majority_share: size of a group's largest answer class divided by K.
        n_distinct: number of distinct answer classes in a group.
        n_unextractable: completions without an answer, summed over the batch.
        n_groups: groups in the batch.
        unextractable_groups: groups in which no completion has an answer.
        sample_accuracy: fraction of completions whose answer equals the reference (None without references).
        majority_accuracy: fraction of groups whose majority answer equals the reference (None without).
    """

    answer_entropy: float
    majority_share: float
    n_distinct: float
    n_unextractable: int
    n_groups: int
    unextractable_groups: int
    sample_accuracy: float | None = None
    majority_accuracy: float | None = None


def check_whole_groups(n_completions: int, K: int) -> int:
    """Number of groups, refusing a batch that is not made of whole groups of K.

    Args:
        n_completions: completions in the batch.
        K: group size (``num_generations``), at least 2.

    Returns:
        ``n_completions // K``.
    """
    require(isinstance(K, int) and not isinstance(K, bool) and K >= 2, "num_generations", K, "an integer ≥ 2")
    require(n_completions > 0, "completions", n_completions, "at least one group of completions")
    if n_completions % K:
        raise AlftInputError(
            f"completions: got {n_completions} completions, expected a multiple of num_generations={K} "
            "(whole groups; with several processes use AlftGRPOTrainer, which gathers groups first)"
        )
    return n_completions // K


def completion_text(completion: object) -> str:
    """The text of a completion: a string, or the last message's content of a conversational completion."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content", "")
        if isinstance(content, list):  # content blocks: keep the text parts
            return "".join(block.get("text", "") for block in content if isinstance(block, dict))
        return str(content)
    raise AlftInputError(
        f"completion: got {type(completion).__name__} {completion!r:.80}, expected a str or a list of messages"
    )


def answer_groups(
    completions: Sequence[object],
    K: int,
    extractor: str | AnswerExtractor = "auto",
    grouper: str | AnswerGrouper = "math",
) -> AnswerGroups:
    """Extract and group the answers of a batch of whole groups.

    Args:
        completions: K consecutive completions per prompt (strings or message lists).
        K: group size.
        extractor: an ``alft.answers`` extractor name or callable.
        grouper: an ``alft.answers`` grouper name or callable ``answers -> class ids``.

    Returns:
        An :class:`AnswerGroups`.
    """
    n_groups = check_whole_groups(len(completions), K)
    extract, group = get_extractor(extractor), get_grouper(grouper)
    start = time.perf_counter()
    answers = tuple(extract(completion_text(c)) for c in completions)
    canonical_of = {a: canonicalize(a) for a in set(answers) if a is not None}  # a batch repeats answers a lot
    canonical = tuple(None if a is None else canonical_of[a] for a in answers)
    extracted = time.perf_counter()
    chunks = [answers[g * K : (g + 1) * K] for g in range(n_groups)]
    if isinstance(group, AnswerEquivalence):
        class_ids = group.group_batch(chunks).class_ids  # one parse cache for the whole batch (SPEC §6)
    else:
        class_ids = tuple(tuple(group(chunk)) for chunk in chunks)
    return AnswerGroups(K, answers, canonical, class_ids, extracted - start, time.perf_counter() - extracted)


def _matches(canonical_answer: str | None, canonical_reference: str | None) -> bool:
    return canonical_answer is not None and canonical_answer == canonical_reference


def answer_stats(groups: AnswerGroups, references: Sequence[object] | None = None) -> AnswerStats:
    """Summarise a batch of groups.

    Args:
        groups: the batch.
        references: optional reference answer per completion (a dataset's ``answer`` column, repeated K
            times by TRL) or per group; compared after canonicalisation.

    Returns:
        An :class:`AnswerStats`.
    """
    K = groups.K
    entropies, shares, distinct, majority_ok, empty = [], [], [], [], 0
    per_group_refs = _per_group(references, groups.n_groups, K)
    for g, ids in enumerate(groups.class_ids):
        counts = np.bincount([i for i in ids if i is not None]) if any(i is not None for i in ids) else np.zeros(0)
        counts = counts[counts > 0]
        if counts.size == 0:
            empty += 1
            entropies.append(0.0)
            shares.append(0.0)
            distinct.append(0)
            majority_ok.append(False)
            continue
        freq = counts / counts.sum()
        entropies.append(float(-(freq * np.log(freq)).sum()))
        shares.append(float(counts.max() / K))
        distinct.append(int(counts.size))
        if per_group_refs is not None:
            majority_id = int(np.argmax(np.bincount([i for i in ids if i is not None])))  # ties → first seen
            majority_answer = groups.canonical[g * K + ids.index(majority_id)]
            majority_ok.append(_matches(majority_answer, per_group_refs[g]))
    sample_accuracy = majority_accuracy = None
    if per_group_refs is not None:
        hits = [_matches(a, per_group_refs[i // K]) for i, a in enumerate(groups.canonical)]
        sample_accuracy = float(np.mean(hits))
        majority_accuracy = float(np.mean(majority_ok))
    return AnswerStats(
        answer_entropy=float(np.mean(entropies)),
        majority_share=float(np.mean(shares)),
        n_distinct=float(np.mean(distinct)),
        n_unextractable=sum(a is None for a in groups.answers),
        n_groups=groups.n_groups,
        unextractable_groups=empty,
        sample_accuracy=sample_accuracy,
        majority_accuracy=majority_accuracy,
    )


def _canonical_reference(reference: object) -> str | None:
    return None if reference is None else canonicalize(str(reference))


def _per_group(references: Sequence[object] | None, n_groups: int, K: int) -> list[object] | None:
    """Canonical references per group from a per-completion (TRL repeats columns K times) or per-group list."""
    if references is None:
        return None
    references = list(references)
    if len(references) == n_groups * K:
        return [_canonical_reference(r) for r in references[::K]]
    if len(references) == n_groups:
        return [_canonical_reference(r) for r in references]
    raise AlftInputError(
        f"answer: got {len(references)} reference answers, expected {n_groups * K} (one per completion) "
        f"or {n_groups} (one per group)"
    )
