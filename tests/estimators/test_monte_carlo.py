"""Sampled mean rewards of multinomial groups agree with each table's exact mean B_g(p) (docs/concepts/answer-level.md#count-tables)."""

import numpy as np
import pytest

from alft.estimators import ESTIMATORS, get_estimator, leave_one_out_counts

PROBS = np.array([0.5, 0.25, 0.15, 0.07, 0.03])


@pytest.mark.parametrize("name", [n for n, spec in ESTIMATORS.items() if spec.log_solver is not None and n != "minimax-floor"])
@pytest.mark.parametrize("K", [4, 8])
def test_sampled_group_rewards_match_exact_bias(name, K):
    rng = np.random.default_rng(K)
    est = get_estimator(name, K)
    groups = rng.choice(len(PROBS), size=(40_000, K), p=PROBS)
    rewards = est.rewards(leave_one_out_counts(groups))
    for z, p in enumerate(PROBS):
        sample = rewards[groups == z]
        stderr = np.sqrt(est.variance(p) / sample.size)  # exact, not the sample's (rare counts may be unseen)
        assert abs(sample.mean() - est.mean(p)) <= 4 * stderr + 1e-12, (name, K, z)


def test_ustat_rewards_are_unbiased_in_sampled_groups():
    rng = np.random.default_rng(0)
    est = get_estimator("ustat", 6, "tsallis:4")
    groups = rng.choice(len(PROBS), size=(60_000, 6), p=PROBS)
    rewards = est.rewards(leave_one_out_counts(groups))
    for z, p in enumerate(PROBS):
        sample = rewards[groups == z]
        truth = est.target.value(p)
        assert abs(sample.mean() - truth) <= 4 * np.sqrt(est.variance(p) / sample.size) + 1e-12
