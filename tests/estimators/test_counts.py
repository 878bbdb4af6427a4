"""The vectorised online step against a plain Counter loop."""

from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from alft.errors import AlftInputError
from alft.estimators import get_estimator, leave_one_out_counts


@given(arrays(np.int64, st.tuples(st.integers(1, 20), st.integers(1, 12)), elements=st.integers(-3, 3)))
def test_counts_equal_a_counter_loop(ids):
    expected = [[Counter(row)[z] - 1 for z in row] for row in ids.tolist()]
    np.testing.assert_array_equal(leave_one_out_counts(ids), expected)


def test_one_group_as_a_vector():
    np.testing.assert_array_equal(leave_one_out_counts([7, 7, 1, 7]), [2, 2, 0, 2])


def test_rewards_index_the_table():
    est = get_estimator("plugin", 4)
    np.testing.assert_allclose(est.rewards(leave_one_out_counts([[1, 1, 2, 3]])), [[np.log(0.5)] * 2 + [np.log(0.25)] * 2])


def test_bad_shapes_and_counts_are_refused():
    with pytest.raises(AlftInputError, match="answer_ids"):
        leave_one_out_counts(np.zeros((2, 2, 2), dtype=int))
    with pytest.raises(AlftInputError, match="counts"):
        get_estimator("plugin", 4).rewards([0, 4])
