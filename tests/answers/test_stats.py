"""group_stats: every per-group statistic from one count of the classes, equal to the single-statistic functions."""

import math

import numpy as np
import pytest

from alft.answers.stats import (
    UNANSWERED,
    answer_entropy,
    distinct_answers,
    group_stats,
    majority_labels,
    majority_share,
    value_labels,
)

N = UNANSWERED
IDS = np.array([[3, 3, 7, N], [5, 9, 9, 5], [N, N, N, N]])


def test_group_stats_match_hand_computation_and_the_single_statistics():
    stats = group_stats(IDS)
    entropy_first = -(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)
    assert stats.entropy.tolist() == pytest.approx([entropy_first, math.log(2), 0.0])
    assert stats.majority_share.tolist() == [0.5, 0.5, 0.0]
    assert stats.n_distinct.tolist() == [2, 2, 0]
    assert stats.n_unanswered.tolist() == [1, 0, 4]
    assert stats.majority.tolist() == [3, 5, N]  # group 2's tie goes to 5, the answer seen first
    assert stats.sample_hits is None and stats.majority_hit is None
    np.testing.assert_array_equal(stats.entropy, answer_entropy(IDS))
    np.testing.assert_array_equal(stats.majority_share, majority_share(IDS))
    np.testing.assert_array_equal(stats.n_distinct, distinct_answers(IDS))
    np.testing.assert_array_equal(stats.majority, majority_labels(IDS))


def test_majority_hit_when_any_member_of_the_majority_class_equals_the_reference():
    hits = np.array([[False, True, False, False], [False, True, True, False], [False] * 4])
    stats = group_stats(IDS, hits)
    assert stats.sample_hits.tolist() == [1, 2, 0]
    assert stats.majority_hit.tolist() == [True, False, False]  # group 2's majority is 5, the hits are 9s


def test_value_labels_number_distinct_values_in_first_seen_order_and_mark_unanswered():
    labels, index = value_labels(["7", None, "3", "7", "", "3"], unanswered=("", None))
    assert labels.tolist() == [0, N, 2, 0, N, 2]
    assert index["7"] == 0 and index[""] == index[None] == N
    assert value_labels(["b", "a", "b"])[0].tolist() == [0, 1, 0]
