"""Gold answers: the forms datasets use are read alike, unreadable ones are refused, and "answer = gold
answer" is decided by the same equivalence classes as the counts."""

import math

import numpy as np
import pytest

from alft.answers import equivalent_to, read_gold_answer, read_gold_answers
from alft.answers.groups import answer_groups
from alft.answers.stats import answer_stats
from alft.errors import AlftInputError

GSM8K_SOLUTION = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips.\n#### 72"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        (GSM8K_SOLUTION, "72"),
        ("#### 1,000", "1000"),
        ("so \\boxed{72}", "72"),
        ("\\boxed{\\frac{1}{2}}", "1/2"),
        ("$x+1$", "x+1"),
        (" 72 ", "72"),
        ("72.0", "72"),
        (72, "72"),
        (0.5, "1/2"),
        (None, None),
    ],
)
def test_plain_gsm8k_and_boxed_references_read_alike(reference, expected):
    assert read_gold_answer(reference) == expected


@pytest.mark.parametrize("reference", ["", "   ", "#### ", "see \\boxed{72", "x" * 600, math.nan, math.inf, True,
                                       [72], {"answer": 72}])
def test_an_unreadable_reference_is_a_clear_error_naming_the_row(reference):
    with pytest.raises(AlftInputError, match=r"answer\[2\]: got .*expected a gold answer: plain"):
        read_gold_answers(["1", "2", reference, "4"], n_groups=4, K=2)


def test_read_references_accepts_per_group_or_per_completion_columns():
    assert read_gold_answers(["#### 3", "\\boxed{4}"], n_groups=2, K=2) == ["3", "3", "4", "4"]
    assert read_gold_answers(["#### 3", "3", None, None], n_groups=2, K=2) == ["3", "3", None, None]
    with pytest.raises(AlftInputError, match="expected 4 .* or 2"):
        read_gold_answers(["1", "2", "3"], n_groups=2, K=2)


def test_hits_use_math_verify_classes_and_exact_numbers():
    labels = ["2\\sqrt{3}", "1+x", "1/2", "3", "3", None, "7"]
    refs = ["\\sqrt{12}", "x+1", "1/2", "4", None, "7", "7"]
    assert equivalent_to(labels, refs, "math").tolist() == [True, True, True, False, False, False, True]
    # the exact grouper (canonical strings) does not see the symbolic equalities
    assert equivalent_to(labels, refs, "exact").tolist() == [False, False, True, False, False, False, True]


def test_hits_send_non_canonical_numbers_to_the_grouper():
    # canonical inputs are the contract; forms the fast path cannot read as canonical numbers reach the grouper
    assert equivalent_to(["0.50", "1,000", "+3"], ["1/2", "1000", "3"], "exact").tolist() == [True, True, True]


def test_hits_follow_a_custom_grouper():
    same_first_letter = lambda answers: [a[0] for a in answers]  # noqa: E731 — a toy equivalence
    assert equivalent_to(["apple", "banana"], ["avocado", "cherry"], same_first_letter).tolist() == [True, False]


def test_accuracy_reads_gsm8k_references_and_skips_prompts_without_one():
    # old code compared canonical strings: "#### 2" never equalled "2", and a missing reference counted as a miss
    completions = ["=2", "=2", "=3", "=3", "=5", "=5", "=5", "=5"]
    groups = answer_groups(completions, 4, extractor="arithmetic", grouper="exact")
    stats = answer_stats(groups, gold_answers=["step 1+1=2\n#### 2", None], grouper="exact")
    assert stats.sample_accuracy == pytest.approx(0.5)  # the first group only: two of four right
    assert stats.majority_accuracy == pytest.approx(1.0)  # its majority (tie → first seen) is "2"
    assert answer_stats(groups, gold_answers=[None, None]).sample_accuracy is None


def test_accuracy_counts_symbolic_equals_of_the_reference():
    groups = answer_groups(["\\boxed{1+x}", "\\boxed{x+1}", "\\boxed{2x}", "\\boxed{x+1}"], 4, grouper="math")
    stats = answer_stats(groups, gold_answers=["\\boxed{x+1}"])
    assert stats.sample_accuracy == pytest.approx(3 / 4)
    assert np.isclose(stats.majority_accuracy, 1.0)
