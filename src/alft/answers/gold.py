"""Gold answers: read a dataset's answer column, and decide which answers are equivalent to it (docs/concepts/game.md#the-training-step, docs/concepts/builtin-task.md).

A prompt's *gold* answer is the one its dataset states (TRL's ``answer`` column, verl's ``ground_truth``); it is
not a *reference answer*, an answer drawn from the reference policy p_ref (``alft.answers.groups.reference_counts``).

One decision, used everywhere a completion is compared with its prompt's gold answer: the TRL reward's
verifier term and accuracy metrics, verl's ``compute_score`` and advantage step, and evaluation.

* :func:`read_gold_answer` normalises the forms datasets use — plain (``72``), GSM8K (``… #### 72``: the text
  after the last ``####``) and boxed (``… \\boxed{72}``) — to one canonical answer. A gold answer that states
  nothing readable raises :class:`~alft.errors.AlftInputError` naming the row: scoring every completion 0
  against it would be a silent failure. ``None`` means "this prompt has no gold answer".
* :func:`equivalent_to` says whether an answer *class* is equivalent to a given answer (the gold one, or one
  of the reference answers the anchor counts), with the same grouper (math-verify or exact) that forms the
  classes the counts use: equivalent answers always get the same verifier score. Plain numbers are compared
  exactly, without math-verify.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from alft.answers.canonical import CANONICAL_NUMBER, canonicalize
from alft.answers.equivalence import AnswerEquivalence, AnswerGrouper, get_grouper
from alft.answers.extract import _BOXED_RE, _HASHES_RE, _accept, _after_last_marker, _last_boxed, _prepare
from alft.deprecation import renamed_keywords
from alft.errors import AlftInputError, require

GOLD_FORMS = "plain ('72'), GSM8K ('… #### 72') or boxed ('\\boxed{72}')"


def read_gold_answer(gold: object, field: str = "answer") -> str | None:
    """The canonical answer a gold answer states, or ``None`` when the prompt has none (``gold is None``).

    Args:
        gold: a dataset's answer: a string in plain, GSM8K or boxed form, or a finite int / float.
        field: how the error names the value (e.g. ``"answer[3]"``).

    Returns:
        The canonical answer (``alft.answers.canonicalize``): ``"… #### 1,000"`` → ``"1000"``,
        ``"\\boxed{\\frac{1}{2}}"`` → ``"1/2"``, ``72.0`` → ``"72"``.

    Raises:
        AlftInputError: a gold answer with nothing readable (empty, ``####`` with nothing after it, an
            unclosed ``\\boxed{``, longer than ``MAX_ANSWER_CHARS``, a non-finite number, a list, …).
    """
    if gold is None:
        return None
    readable = isinstance(gold, str) or (
        isinstance(gold, (int, float)) and not isinstance(gold, bool) and math.isfinite(gold))
    answer = _stated_answer(_prepare(str(gold))) if readable else None
    canonical = canonicalize(answer) if answer is not None else None
    if canonical is None:
        raise AlftInputError(f"{field}: got {gold!r:.80}, expected a gold answer: {GOLD_FORMS}")
    return canonical


def _stated_answer(text: str) -> str | None:
    """The GSM8K answer if the text has ``####``, else the last boxed one if it has ``\\boxed{``, else the text."""
    if _HASHES_RE.search(text):
        return _accept(_after_last_marker(_HASHES_RE, text))
    if _BOXED_RE.search(text):
        return _accept(_last_boxed(text))
    return _accept(text)


def read_gold_answers(gold_answers: Sequence[object], n_groups: int, K: int,
                      field: str = "answer") -> list[str | None]:
    """One canonical gold answer per completion, from a column given per completion (TRL repeats it K times)
    or per group; each distinct value is read once.

    Raises:
        AlftInputError: a length that is neither, or an unreadable gold answer (named with its row).
    """
    values = list(gold_answers)
    if len(values) not in (n_groups * K, n_groups):
        raise AlftInputError(f"{field}: got {len(values)} gold answers, expected {n_groups * K} "
                             f"(one per completion) or {n_groups} (one per group)")
    read: dict[object, str | None] = {}
    out = []
    for row, value in enumerate(values):
        # a list or dict cannot be a key, and cannot be read either: read_gold_answer raises on it
        key = (type(value), value) if value is None or isinstance(value, (str, int, float)) else row
        if key not in read:
            read[key] = read_gold_answer(value, f"{field}[{row}]")
        out.append(read[key])
    return out if len(values) == n_groups * K else [r for r in out for _ in range(K)]


def equivalent_to(
    labels: Sequence[str | None], targets: Sequence[str | None], grouper: str | AnswerGrouper = "math"
) -> np.ndarray:
    """Per completion, whether its answer is equivalent to its target (False where either is ``None``).

    Args:
        labels: canonical answers per completion (``alft.answers.canonicalize``; a fraction not in lowest
            terms such as ``2/4`` is not canonical and would be told apart from ``1/2``) — for consistency with
            the counts, each class's label (``AnswerGroups.labels()``), so a class's members share one verdict.
        targets: canonical answers to compare with, per completion, ``None`` for none: gold answers
            (:func:`read_gold_answer`), or reference answers; a target is math-verify's gold.
        grouper: the equivalence of the counts (a name of ``alft.answers.GROUPERS`` or a callable).

    Returns:
        A bool array. Equal strings match and two different canonical plain numbers do not, with no grouper
        call (vectorised: a numeric batch costs string comparisons only); each remaining distinct (target,
        answer) pair is decided once by the grouper.
    """
    require(len(labels) == len(targets), "targets", len(targets), f"one per answer ({len(labels)})")
    answers, expected = np.array(labels, dtype=object), np.array(targets, dtype=object)
    present = (answers != None) & (expected != None)  # noqa: E711 — elementwise on object arrays
    hits = present & (answers == expected)
    open_rows = np.flatnonzero(present & ~hits)
    strings = set(answers[open_rows].tolist()) | set(expected[open_rows].tolist())
    symbolic = {text for text in strings if not CANONICAL_NUMBER.fullmatch(text)}
    if symbolic:
        rows = [i for i in open_rows.tolist() if answers[i] in symbolic or expected[i] in symbolic]
        verdicts = _decide(list(dict.fromkeys((expected[i], answers[i]) for i in rows)), get_grouper(grouper))
        hits[rows] = [verdicts[(expected[i], answers[i])] for i in rows]
    return hits


def _decide(pairs: list[tuple[str, str]], group: AnswerGrouper) -> dict[tuple[str, str], bool]:
    """(target, answer) → equivalent, with the target first (math-verify's gold)."""
    if not pairs:
        return {}
    if isinstance(group, AnswerEquivalence):
        ids = group.group_batch([list(pair) for pair in pairs]).class_ids  # one parse cache for all pairs
    else:
        ids = [tuple(group(list(pair))) for pair in pairs]
    return {pair: pair_ids[0] is not None and pair_ids[0] == pair_ids[1] for pair, pair_ids in zip(pairs, ids)}


# The names from before gold answers and reference answers had names of their own; alft.answers and the old
# module alft.answers.references serve them with a DeprecationWarning.
RENAMED = {
    "read_reference": ("alft.answers.read_gold_answer", lambda: renamed_keywords(reference="gold")(read_gold_answer)),
    "read_references": ("alft.answers.read_gold_answers",
                        lambda: renamed_keywords(references="gold_answers")(read_gold_answers)),
    "reference_hits": ("alft.answers.equivalent_to", lambda: renamed_keywords(references="targets")(equivalent_to)),
    "REFERENCE_FORMS": ("alft.answers.gold.GOLD_FORMS", lambda: GOLD_FORMS),
}
