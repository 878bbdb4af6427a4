"""Whole-group checks, answer classes per group and the batch statistics a trainer logs."""

import math

import pytest

from alft.errors import AlftInputError
from alft.answers.groups import answer_groups, check_whole_groups, completion_text
from alft.answers.stats import answer_stats


def test_check_whole_groups_counts_groups_and_refuses_partial_ones():
    assert check_whole_groups(12, 4) == 3
    with pytest.raises(AlftInputError, match="multiple of num_generations=4"):
        check_whole_groups(10, 4)
    with pytest.raises(AlftInputError, match="num_generations"):
        check_whole_groups(4, 1)
    with pytest.raises(AlftInputError, match="completions"):
        check_whole_groups(0, 4)


def test_classes_are_per_group_and_equivalence_merges_forms():
    completions = ["1+1=2", "=2", "x=3", "junk", "the answer is 1/2", "0.5", "\\boxed{\\frac{1}{2}}", "7"]
    groups = answer_groups(completions, 4, extractor="auto", grouper="math")
    assert groups.answers[3] is None  # no number in "junk"
    assert groups.class_ids[0] == (0, 0, 1, None)
    assert groups.class_ids[1] == (0, 0, 0, 1)  # 1/2, 0.5 and \frac{1}{2} are one answer
    labels = groups.labels()
    assert labels[:4] == ["2", "2", "3", None]
    assert labels[4:] == [labels[4]] * 3 + ["7"]  # the class's first member stands for it


def test_stats_match_hand_computation():
    completions = ["=5", "=5", "=5", "=4", "=1", "=2", "=x", "=y"]
    groups = answer_groups(completions, 4, extractor="arithmetic", grouper="exact")
    stats = answer_stats(groups, gold_answers=["5", "2"])  # one reference per group
    entropy_a = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    entropy_b = math.log(2)
    assert stats.answer_entropy == pytest.approx((entropy_a + entropy_b) / 2)
    assert stats.majority_share == pytest.approx((3 / 4 + 1 / 4) / 2)
    assert stats.n_distinct == pytest.approx(2.0)
    assert stats.n_unextractable == 2
    assert stats.sample_accuracy == pytest.approx(4 / 8)  # three 5s and one 2
    assert stats.majority_accuracy == pytest.approx(0.5)  # group 2's tie goes to "1", the first seen


def test_all_unextractable_group_is_counted_not_fatal():
    groups = answer_groups(["", "no", "?", "."], 4, extractor="arithmetic", grouper="exact")
    stats = answer_stats(groups)
    assert stats.unextractable_groups == 1 and stats.n_unextractable == 4
    assert stats.answer_entropy == 0.0 and stats.sample_accuracy is None


def test_references_of_the_wrong_length_are_refused():
    groups = answer_groups(["=1"] * 4, 2, extractor="arithmetic", grouper="exact")
    with pytest.raises(AlftInputError, match="gold answers"):
        answer_stats(groups, gold_answers=["1", "2", "3"])


def test_completion_text_reads_conversations_and_refuses_other_types():
    assert completion_text([{"role": "assistant", "content": "=4"}]) == "=4"
    with pytest.raises(AlftInputError, match="completion"):
        completion_text(42)


def test_huge_completion_is_handled_quickly():
    groups = answer_groups(["1" * 1_000_000 + "=3", "=3"], 2, extractor="arithmetic", grouper="math")
    assert groups.answers == ("3", "3") and groups.class_ids == ((0, 0),)
