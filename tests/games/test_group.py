"""Group rewards: unbiasedness, the None policies, the leave-one-out baseline, batches and bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from alft.answers.stats import value_labels
from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import (
    Reward,
    UNEXTRACTABLE_POLICIES,
    bregman,
    batch_group_rewards,
    coherence,
    diversity,
    gini_diversity,
    group_rewards,
    pairwise_coherence,
    verifier,
)
from alft.games.sampled_groups import count_rewards, count_tables

POLYNOMIAL = {
    "pairwise": pairwise_coherence(),
    "gini": gini_diversity(),
    "l2": bregman("l2"),
    "tsallis:3": bregman("tsallis:3", -2.0),
    "tsallis:4": bregman("tsallis:4"),
    "sum": pairwise_coherence(0.5) + bregman("tsallis:3"),
}
P = np.array([0.5, 0.3, 0.2])
LABELS = np.array(["a", "b", "c"])


def _sample_groups(rng, K, G):
    return LABELS[rng.choice(3, size=(G, K), p=P)]


@pytest.mark.parametrize("name", sorted(POLYNOMIAL))
def test_polynomial_rewards_unbiased_by_monte_carlo(name):
    """E[R_i | z_i = z] = R(p_z) for U-statistic tables (docs/concepts/estimators.md#u-statistics), within 5 standard errors."""
    objective, K, G = POLYNOMIAL[name], 5, 40_000
    answers = _sample_groups(np.random.default_rng(7), K, G).ravel().tolist()
    rewards = batch_group_rewards(answers, K, Reward(objective, "ustat", allow_collapse=True)).rewards
    expected = objective.reward(P)
    for z, label in enumerate(LABELS):
        mine = rewards[np.asarray(answers) == label]
        error = abs(mine.mean() - expected[z])
        assert error < 5 * mine.std() / np.sqrt(mine.size) + 1e-12, (label, mine.mean(), expected[z])


def test_pairwise_reward_is_twice_the_agreeing_fraction():
    rewards = group_rewards(["x", "x", "y", "x", "z"], Reward(pairwise_coherence(), "ustat", allow_collapse=True)).rewards
    assert np.allclose(rewards, [2 * 2 / 4, 2 * 2 / 4, 0.0, 2 * 2 / 4, 0.0])


@pytest.mark.parametrize("K", [3, 6])
def test_polynomial_tables_are_exactly_unbiased(K):
    objective = bregman("tsallis:3") + gini_diversity()
    table = get_estimator("ustat", K, target=objective.target)
    grid = np.linspace(0.01, 1, 50)
    assert np.max(np.abs(table.mean(grid) - objective.reward(grid))) < 1e-12


def test_log_reward_uses_the_named_table():
    rewards = group_rewards(["1", "1", "2", "3"], Reward(coherence(0.5), "digamma", allow_collapse=True)).rewards
    table = 0.5 * get_estimator("digamma", 4).table
    assert np.allclose(rewards, [table[1], table[1], table[0], table[0]])
    assert np.allclose(group_rewards(["1", "1", "2", "3"], Reward(diversity(), "digamma")).rewards, -2 * rewards)


@pytest.mark.parametrize("policy", UNEXTRACTABLE_POLICIES)
def test_loo_baseline_does_not_depend_on_own_answer(policy):
    """baseline_loo[i] is a function of the others only, hence exactly unbiased (docs/concepts/estimators.md#grpo-caveats)."""
    others = ["1", "2", None, "1", "3"]
    objective = coherence() + verifier(0.5)
    scores = [1.0, 0.0, 0.0, 1.0, 0.5]
    baselines = {
        own: group_rewards([own] + others, Reward(objective, "aqp", unextractable=policy, allow_collapse=True), verifier_scores=[0.3] + scores).baseline_loo[0]
        for own in ["1", "2", "9", None]
    }
    assert np.ptp(list(baselines.values())) < 1e-14
    # and it is what the definition says: others' rewards in the group without sample 0, tables for K−1
    reduced = group_rewards(others, Reward(objective, "aqp", unextractable=policy, allow_collapse=True), verifier_scores=scores)
    assert baselines["1"] == pytest.approx(reduced.rewards.mean(), abs=1e-14)


def test_loo_baseline_for_K_2_is_the_other_samples_linear_terms():
    result = group_rewards(["a", "b"], Reward(coherence() + verifier(2.0), "aqp", allow_collapse=True), verifier_scores=[1.0, 0.25])
    assert np.allclose(result.baseline_loo, [0.5, 2.0])


def test_own_class_counts_none_as_an_answer():
    result = group_rewards([None, None, "5", "5", "6"], Reward(coherence(), "plugin", unextractable="own-class", allow_collapse=True))
    assert list(result.counts) == [1, 1, 1, 1, 0] and result.n_unextractable == 2 and result.n_distinct == 2


def test_exclude_uses_the_table_of_the_counted_size():
    result = group_rewards([None, "5", "5", "6"], Reward(coherence(), "plugin", unextractable="exclude", allow_collapse=True))
    table = get_estimator("plugin", 3).table
    assert np.allclose(result.rewards[1:], [table[1], table[1], table[0]])
    assert result.rewards[0] == pytest.approx(result.rewards[1:].mean())
    assert result.counts[0] == -1


def test_penalty_sets_none_rewards():
    result = group_rewards([None, "5", "5", "6"], Reward(coherence() + verifier(), "plugin", unextractable="penalty", penalty=-3.0, allow_collapse=True), verifier_scores=[9, 1, 1, 0])
    assert result.rewards[0] == -3.0
    assert result.rewards[3] == pytest.approx(get_estimator("plugin", 3).table[0])


@pytest.mark.parametrize("policy", UNEXTRACTABLE_POLICIES)
def test_all_none_group_is_finite_and_documented(policy):
    result = group_rewards([None] * 4, Reward(coherence(), "aqp", unextractable=policy, penalty=-1.0, allow_collapse=True))
    assert np.all(np.isfinite(result.rewards)) and np.all(np.isfinite(result.baseline_loo))
    expected = {"own-class": get_estimator("aqp", 4).table[3], "exclude": 0.0, "penalty": -1.0, "lowest": 0.0}[policy]
    assert np.allclose(result.rewards, expected)
    assert result.degenerate == (policy != "own-class")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"answers": []}, "answers"),
        ({"answers": ["1", 2]}, r"answers\[1\]"),
        ({"answers": "12"}, "answers"),
        ({"verifier_scores": [1.0, float("nan"), 0.0]}, r"verifier_scores\[1\]"),
        ({"verifier_scores": [1.0, 0.0, float("inf")]}, r"verifier_scores\[2\]"),
        ({"verifier_scores": [1.0, 0.0]}, "verifier_scores"),
        ({"verifier_scores": None}, "verifier_scores"),
        ({"estimator": "mle"}, "estimator"),
        ({"unextractable": "drop"}, "unextractable"),
        ({"penalty": float("nan")}, "penalty"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    arguments = {"answers": ["1", "1", "2"], "objective": coherence() + verifier(), "estimator": "aqp",
                 "verifier_scores": [1.0, 1.0, 0.0], **kwargs}
    reward_fields = {k: arguments.pop(k) for k in ("objective", "estimator", "unextractable", "penalty") if k in arguments}
    with pytest.raises(AlftInputError, match=field):
        group_rewards(arguments.pop("answers"), Reward(**reward_fields, allow_collapse=True), **arguments)


def test_batch_length_must_be_a_multiple_of_K():
    with pytest.raises(AlftInputError, match="multiple of K=4"):
        batch_group_rewards(["1"] * 10, 4, Reward(coherence(), allow_collapse=True))


@given(st.lists(st.sampled_from(["1", "2", "3", None]), min_size=12, max_size=12), st.sampled_from(UNEXTRACTABLE_POLICIES))
@settings(max_examples=30, deadline=None)
def test_batch_equals_groups(answers, policy):
    batch = batch_group_rewards(answers, 4, Reward(coherence(), "digamma", unextractable=policy, allow_collapse=True))
    for g in range(3):
        single = group_rewards(answers[4 * g: 4 * g + 4], Reward(coherence(), "digamma", unextractable=policy, allow_collapse=True))
        assert np.allclose(batch.group(g).rewards, single.rewards)
        assert np.allclose(batch.group(g).baseline_loo, single.baseline_loo)
    assert np.all(np.isfinite(batch.rewards))


@given(st.lists(st.sampled_from(["1", "2", "3", None]), min_size=12, max_size=12), st.sampled_from(UNEXTRACTABLE_POLICIES))
@settings(max_examples=30, deadline=None)
def test_given_labels_give_the_same_rewards_as_labelling_here(answers, policy):
    reward = Reward(coherence(), "digamma", unextractable=policy, allow_collapse=True)
    own = batch_group_rewards(answers, 4, reward)
    given_labels = batch_group_rewards(answers, 4, reward, labels=value_labels(answers)[0])
    np.testing.assert_array_equal(given_labels.rewards, own.rewards)
    np.testing.assert_array_equal(given_labels.baseline_loo, own.baseline_loo)


def test_given_labels_of_the_wrong_shape_or_type_are_refused():
    with pytest.raises(AlftInputError, match="labels: .*4 integer labels"):
        batch_group_rewards(["1", "2", "1", "2"], 4, Reward(coherence(), allow_collapse=True), labels=np.zeros(3, dtype=np.int64))
    with pytest.raises(AlftInputError, match="labels: got 'float64"):
        batch_group_rewards(["1", "2", "1", "2"], 4, Reward(coherence(), allow_collapse=True), labels=np.zeros(4))


def test_count_form_of_the_simulator_equals_group_rewards():
    rng = np.random.default_rng(3)
    objective = coherence(0.5) + verifier()
    linear = np.array([1.0, 0.0, 0.5])
    for K in (2, 5):
        tables = count_tables(objective, "aqp", K, {})
        for _ in range(20):
            counts = rng.multinomial(K, P)
            answers = [label for label, n in zip(LABELS, counts) for _ in range(n)]
            scores = [linear[list(LABELS).index(a)] for a in answers]
            result = group_rewards(answers, Reward(objective, "aqp", allow_collapse=True), verifier_scores=scores)
            for baseline in ("loo", "mean"):
                reward, base = count_rewards(counts[None, :], linear, tables, baseline)
                index = [list(LABELS).index(a) for a in answers]
                assert np.allclose(reward[0, index], result.rewards)
                expected = result.baseline_loo if baseline == "loo" else np.full(K, result.rewards.mean())
                assert np.allclose(base[0, index], expected)


def test_every_table_lookup_goes_through_estimator_rewards(monkeypatch):
    """One way from counts to rewards (Estimator.rewards): the group rewards, the simulator's count form and the
    anchor's log p̂_ref all read their tables through it, so a change to the lookup reaches all three."""
    from alft.estimators import Estimator
    from alft.games.objectives import sharpened
    from alft.games.reward import reference_log_estimator, reference_log_p

    looked_up: list[int] = []
    lookup = Estimator.rewards
    monkeypatch.setattr(Estimator, "rewards", lambda self, counts: (looked_up.append(self.K), lookup(self, counts))[1])
    batch_group_rewards(["1", "1", "2", "3"], 4, Reward(sharpened(2.0)), reference_counts=[2, 2, 1, 0],
                        reference_draws=5, loo_baseline=False)
    assert sorted(set(looked_up)) == [4, 6]  # the group's table and the reference's (M + 1)
    looked_up.clear()
    count_rewards(np.array([[2, 1, 1, 0]]), np.zeros(4), count_tables(coherence(0.5), "aqp", 4, {}), "loo")
    assert sorted(set(looked_up)) == [3, 4]  # the group's table and the K − 1 table of the baseline
    looked_up.clear()
    reference_log_p(np.array([0, 5]), reference_log_estimator("digamma", 5))
    assert looked_up == [6]


def test_the_reference_log_p_of_an_estimator_and_of_its_table_agree():
    from alft.games.reward import reference_log_estimator, reference_log_p, reference_table

    counts = np.array([0, 1, 7, 16])
    np.testing.assert_array_equal(reference_log_p(counts, reference_log_estimator("digamma", 16)),
                                  reference_log_p(counts, reference_table("digamma", 16)))
    with pytest.raises(AlftInputError, match=r"reference_counts: .*0\.\.16"):
        reference_log_p(np.array([17]), reference_log_estimator("digamma", 16))
