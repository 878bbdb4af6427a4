"""From completions to answer classes per GRPO group.

A GRPO batch is a flat list of completions in which each consecutive run of K belongs to one prompt
(docs/concepts/answers.md#equivalence). This module checks that the batch is made of whole groups, extracts each answer and groups
equivalent answers per group; :mod:`alft.answers.stats` summarises the result. numpy only: no torch here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft.answers.canonical import canonicalize
from alft.answers.equivalence import AnswerEquivalence, AnswerGrouper, get_grouper
from alft.answers.extract import AnswerExtractor, get_extractor
from alft.answers.gold import equivalent_to
from alft.answers.stats import label_array
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
        equivalence_seconds: time spent grouping equivalent answers (math-verify included, docs/concepts/answers.md#equivalence).
        grouper: the equivalence that formed the classes (a name of ``alft.answers.GROUPERS`` or a callable);
            :func:`reference_counts` compares reference answers with the classes through it.
    """

    K: int
    answers: tuple[str | None, ...]
    canonical: tuple[str | None, ...]
    class_ids: ClassIds
    extract_seconds: float
    equivalence_seconds: float
    grouper: str | AnswerGrouper = "math"

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

    def label_ids(self) -> np.ndarray:
        """(G, K) integer class labels, −1 for unanswered (:mod:`alft.answers.stats`)."""
        return label_array(self.class_ids)


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
        class_ids = group.group_batch(chunks).class_ids  # one parse cache for the whole batch (docs/concepts/answers.md#equivalence)
    else:
        class_ids = tuple(tuple(group(chunk)) for chunk in chunks)
    return AnswerGroups(K, answers, canonical, class_ids, extracted - start, time.perf_counter() - extracted, grouper)


def reference_counts(
    groups: AnswerGroups, reference_answers: Sequence[object], grouper: str | AnswerGrouper | None = None
) -> tuple[np.ndarray, int]:
    """C_ref(z_i) per completion: how many of its prompt's M reference answers are equivalent to its answer's
    class (docs/concepts/game.md#the-anchor): :func:`label_reference_counts` on the batch's class labels, with the grouper that formed
    the classes unless another is given."""
    return label_reference_counts(groups.labels(), groups.K, reference_answers,
                                  groups.grouper if grouper is None else grouper)


def label_reference_counts(labels: Sequence[str | None], K: int, reference_answers: Sequence[object],
                           grouper: str | AnswerGrouper = "math") -> tuple[np.ndarray, int]:
    """C_ref per completion from its class label (``AnswerGroups.labels()``; consecutive groups of K).

    A reference answer r counts for a class when ``alft.answers.equivalent_to`` says the class's label (its
    first member's canonical form) equals r, with r as math-verify's gold: the one "answer = gold answer" decision
    of the verifier terms, here with the reference policy's answers, and through the same caches as the
    grouping. So ``\\frac{1}{2}`` among the reference answers counts for a class spelled ``0.5``. math-verify's
    equality is not transitive: a reference may count for two classes of one group; each count stays ≤ M.
    The TRL integration and the verl plugin both count here.

    Args:
        labels: the canonical label of each completion's class (None = unanswered).
        K: group size.
        reference_answers: per completion (TRL repeats a dataset column K times) or per group, the prompt's
            M reference answers: a list of answers or its JSON text, ``None`` (or "") for an unanswered draw.
        grouper: the equivalence (a name of ``alft.answers.GROUPERS`` or a callable).

    Returns:
        (counts, M). An unanswered completion counts the unanswered reference draws.
    """
    n_groups = len(labels) // K
    per_group = list(reference_answers)
    require(len(per_group) in (n_groups, n_groups * K), "reference_answers", len(per_group),
            f"one list per completion ({n_groups * K}) or per group ({n_groups})")
    if len(per_group) != n_groups:
        per_group = per_group[::K]
    tallies = [_tally(answers, g) for g, answers in enumerate(per_group)]
    draws = {sum(t.values()) for t in tallies}
    require(len(draws) == 1, "reference_answers", sorted(draws), "the same number M of reference answers per prompt")
    pairs: dict[tuple[int, str, str], None] = {}  # (group, reference, label): each distinct pair decided once
    for i, label in enumerate(labels):
        if label is not None:
            pairs.update(dict.fromkeys((i // K, reference, label) for reference in tallies[i // K] if reference is not None))
    decided = list(pairs)
    hits = equivalent_to([label for _, _, label in decided], [reference for _, reference, _ in decided], grouper)
    count_of: dict[tuple[int, str], int] = {}
    for (g, reference, label), hit in zip(decided, np.asarray(hits).tolist()):
        count_of[(g, label)] = count_of.get((g, label), 0) + (tallies[g][reference] if hit else 0)
    counts = [tallies[i // K].get(None, 0) if label is None else count_of.get((i // K, label), 0)
              for i, label in enumerate(labels)]
    return np.asarray(counts, dtype=np.int64), draws.pop()


def _tally(answers: object, group: int) -> dict[str | None, int]:
    """Canonical reference answer → how many of the prompt's M draws gave it (``None`` = unanswered)."""
    if isinstance(answers, str):
        try:
            answers = json.loads(answers)
        except json.JSONDecodeError:
            answers = None
    require(isinstance(answers, (list, tuple)) and len(answers) >= 2, f"reference_answers[{group}]",
            answers if not isinstance(answers, list) else len(answers), "a list of at least M = 2 reference answers")
    tally: dict[str | None, int] = {}
    for answer in answers:
        key = None if answer is None or answer == "" else canonicalize(str(answer))
        tally[key] = tally.get(key, 0) + 1
    return tally
