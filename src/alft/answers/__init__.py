"""Answers: extract a completion's final answer and group equivalent answers (docs/concepts/answer-level.md, docs/concepts/answers.md#equivalence).

Typical use in a group reward::

    from alft.answers import extract_answer, AnswerEquivalence
    answers = [extract_answer(text) for text in completions]
    grouping = AnswerEquivalence().group(answers)   # grouping.class_ids, grouping.stats.seconds

Both halves are pluggable: any ``str -> str | None`` callable is an extractor (:data:`AnswerExtractor`),
any ``answers -> class ids`` callable is a grouper (:data:`AnswerGrouper`). A dataset's reference answers
(plain, GSM8K ``#### 72`` or boxed) are read by :func:`read_reference` and matched with the grouper's
classes by :func:`reference_hits`, the one "answer = reference" decision of verifier terms and accuracies.
"""

from alft.answers.canonical import as_number, canonicalize
from alft.answers.equivalence import (
    GROUPERS,
    AnswerEquivalence,
    AnswerGrouper,
    BatchGrouping,
    EquivalenceStats,
    Grouping,
    clear_caches,
    get_grouper,
    group_equivalent,
)
from alft.answers.extract import (
    EXTRACTORS,
    MAX_ANSWER_CHARS,
    MAX_SCAN_CHARS,
    AnswerExtractor,
    extract_answer,
    extract_answer_or_last_number,
    extract_answers,
    extract_arithmetic,
    extract_boxed,
    extract_last_number,
    get_extractor,
)
from alft.answers.references import read_reference, read_references, reference_hits

__all__ = [
    "EXTRACTORS",
    "GROUPERS",
    "MAX_ANSWER_CHARS",
    "MAX_SCAN_CHARS",
    "AnswerEquivalence",
    "AnswerExtractor",
    "AnswerGrouper",
    "BatchGrouping",
    "EquivalenceStats",
    "Grouping",
    "as_number",
    "canonicalize",
    "clear_caches",
    "extract_answer",
    "extract_answer_or_last_number",
    "extract_answers",
    "extract_arithmetic",
    "extract_boxed",
    "extract_last_number",
    "get_extractor",
    "get_grouper",
    "group_equivalent",
    "read_reference",
    "read_references",
    "reference_hits",
]
