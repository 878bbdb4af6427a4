"""Peer methods' rewards (docs/concepts/peers.md): TTRL's majority vote and EMPO's gated log-frequency."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alft.answers.stats import label_array
from alft.games.peers import log_frequency_rewards as _log_frequency, majority_vote_rewards as _majority


def _flat(rule, class_ids, **options):
    """The rule applied group by group (groups may differ in size), flattened."""
    return np.concatenate([rule(label_array([ids]), **options).ravel() for ids in class_ids])


def majority_vote_rewards(class_ids):
    return _flat(_majority, class_ids)


def log_frequency_rewards(class_ids, **options):
    return _flat(_log_frequency, class_ids, **options)

groups_strategy = st.lists(
    st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=2, max_size=8), min_size=1, max_size=5
)


def test_majority_vote_rewards_the_majority_only():
    rewards = majority_vote_rewards(((0, 0, 1, None), (0, 1, 1, 1), (None, None)))
    assert rewards.tolist() == [1, 1, 0, 0, 0, 1, 1, 1, 0, 0]


def test_majority_tie_goes_to_first_class():
    assert majority_vote_rewards(((0, 1, 1, 0),)).tolist() == [1, 0, 0, 1]


def test_log_frequency_matches_definition_below_the_gate():
    rewards = log_frequency_rewards(((0, 0, 0, 1),))
    assert rewards == pytest.approx([math.log(3 / 4)] * 3 + [math.log(1 / 4)])


def test_high_entropy_group_is_gated_to_zero():
    # four distinct answers: entropy log 4 > 0.75 log 4
    assert log_frequency_rewards(((0, 1, 2, 3),)).tolist() == [0, 0, 0, 0]
    assert log_frequency_rewards(((0, 1, 2, 3),), max_entropy=10.0) == pytest.approx([math.log(1 / 4)] * 4)


@given(groups_strategy)
def test_peer_rewards_are_finite_and_in_range(groups):
    class_ids = tuple(tuple(g) for g in groups)
    ttrl = majority_vote_rewards(class_ids)
    empo = log_frequency_rewards(class_ids)
    n = sum(len(g) for g in groups)
    assert ttrl.shape == empo.shape == (n,)
    assert np.all(np.isin(ttrl, [0.0, 1.0]))
    assert np.all(np.isfinite(empo)) and np.all(empo <= 0)
