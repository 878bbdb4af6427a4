"""Answers: extract a completion's final answer and group equivalent answers (docs/concepts/answer-level.md, docs/concepts/answers.md#equivalence).

Typical use in a group reward::

    from alft.answers import extract_answer, AnswerEquivalence
    answers = [extract_answer(text) for text in completions]
    grouping = AnswerEquivalence().group(answers)   # grouping.class_ids, grouping.stats.seconds

Both halves are pluggable: any ``str -> str | None`` callable is an extractor (:data:`AnswerExtractor`),
any ``answers -> class ids`` callable is a grouper (:data:`AnswerGrouper`). A dataset's gold answers
(plain, GSM8K ``#### 72`` or boxed) are read by :func:`read_gold_answer` and matched with the grouper's
classes by :func:`equivalent_to`, the one "answer = gold answer" decision of verifier terms and accuracies
(and of the anchor's count among the reference answers, the answers drawn from the reference policy).
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
from alft.answers.gold import RENAMED as _RENAMED, equivalent_to, read_gold_answer, read_gold_answers
from alft.deprecation import renamed_attributes

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
    "equivalent_to",
    "extract_answer",
    "extract_answer_or_last_number",
    "extract_answers",
    "extract_arithmetic",
    "extract_boxed",
    "extract_last_number",
    "get_extractor",
    "get_grouper",
    "group_equivalent",
    "read_gold_answer",
    "read_gold_answers",
]

__getattr__ = renamed_attributes("alft.answers", _RENAMED)  # read_reference, read_references, reference_hits
