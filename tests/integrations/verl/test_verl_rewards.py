"""answer_advantages: uid groups of any size and layout, each scored with its own K; metrics; bad rows."""

import math

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.games import Reward, batch_group_rewards, parse_objective
from alft.integrations.verl import answer_advantages, preflight, settings_from_config

COHERENCE = settings_from_config({"adv_estimator": "alft_coherence", "alft": {"grouper": "exact", "allow_collapse": True}})
GROUPS = {"a": ["4", "4", "5", None, "4"], "b": ["7", "8", "7", "8"], "c": ["1", "2", "3"]}


def _interleaved(groups, seed=0):
    rows = [(uid, answer) for uid, answers in groups.items() for answer in answers]
    order = np.random.default_rng(seed).permutation(len(rows))
    return [rows[i][0] for i in order], [rows[i][1] for i in order]


def test_each_uid_group_gets_the_game_rewards_for_its_own_size_wherever_its_rows_are():
    uids, answers = _interleaved(GROUPS)
    result = answer_advantages(answers, uids, COHERENCE)
    for uid, group in GROUPS.items():
        rows = [i for i, u in enumerate(uids) if u == uid]
        expected = batch_group_rewards([answers[i] for i in rows], len(rows), Reward(parse_objective("coherence"), allow_collapse=True)).rewards
        np.testing.assert_array_equal(result.rewards[rows], expected)
        centered = expected - expected.mean()
        np.testing.assert_allclose(result.advantages[rows], centered / (expected.std(ddof=1) + 1e-6), rtol=1e-12)
        assert result.group_sizes[rows].tolist() == [len(group)] * len(group)


def test_layout_does_not_matter_only_the_order_inside_a_group():
    uids, answers = _interleaved(GROUPS, seed=1)
    rows_of = {uid: [i for i, u in enumerate(uids) if u == uid] for uid in GROUPS}
    adjacent_rows = [i for uid in GROUPS for i in rows_of[uid]]  # same order inside each group, groups together
    adjacent = answer_advantages([answers[i] for i in adjacent_rows], [uids[i] for i in adjacent_rows], COHERENCE)
    shuffled = answer_advantages(answers, uids, COHERENCE)
    np.testing.assert_array_equal(shuffled.advantages[adjacent_rows], adjacent.advantages)


def test_a_group_of_one_gets_zero_advantage_and_is_counted():
    result = answer_advantages(["4", "4", "5", "9"], ["a", "a", "a", "lonely"], COHERENCE)
    assert result.advantages[3] == 0.0 and result.rewards[3] == 0.0
    assert result.singleton_groups == 1 and result.metrics()["alft/singleton_groups"] == 1.0
    assert abs(result.advantages[:3].sum()) < 1e-9  # the mean baseline still centres the real group
    only = answer_advantages(["4"], ["lonely"], COHERENCE)
    assert only.advantages.tolist() == [0.0] and "alft/answer_entropy" not in only.metrics()


def test_metrics_average_over_groups_of_different_sizes():
    answers = ["4", "4", "5", None, "7", "7"]
    result = answer_advantages(answers, ["a"] * 4 + ["b"] * 2, COHERENCE, gold_answers=["4"] * 4 + ["7"] * 2)
    metrics = result.metrics()
    entropy_a = -(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3)
    assert metrics["alft/answer_entropy"] == pytest.approx(entropy_a / 2)
    assert metrics["alft/majority_share"] == pytest.approx((2 / 4 + 2 / 2) / 2)
    assert metrics["alft/n_distinct"] == pytest.approx(1.5)
    assert metrics["alft/unanswered"] == pytest.approx(1 / 6)
    assert metrics["alft/sample_accuracy"] == pytest.approx(4 / 6)
    assert metrics["alft/label_accuracy"] == pytest.approx(1.0)
    assert "alft/sample_accuracy" not in answer_advantages(answers, ["a"] * 4 + ["b"] * 2, COHERENCE).metrics()


def test_peers_and_loo_baseline_and_unscaled_advantages():
    uids, answers = ["a"] * 4, ["7", "8", "7", "8"]
    ttrl = answer_advantages(answers, uids, settings_from_config({"adv_estimator": "alft_ttrl"}))
    assert ttrl.rewards.tolist() == [1.0, 0.0, 1.0, 0.0]  # a tie goes to the answer seen first
    loo = settings_from_config({"adv_estimator": "alft", "norm_adv_by_std_in_grpo": False, "alft": {"baseline": "loo", "objective": "coherence", "allow_collapse": True}})
    game = batch_group_rewards(answers, 4, Reward(parse_objective("coherence"), allow_collapse=True))
    np.testing.assert_array_equal(answer_advantages(answers, uids, loo).advantages, game.rewards - game.baseline_loo)


def test_a_verifier_term_without_any_reference_is_refused_not_scored_zero():
    # compute_score scores 0 without a ground truth: the verifier term would silently be 0 on every row
    settings = settings_from_config({"adv_estimator": "alft", "alft": {"objective": "coherence+0.5*verifier", "allow_collapse": True}})
    with pytest.raises(AlftInputError, match="alft_gold: no row has a gold answer"):
        answer_advantages(["4", "4", "5", "5"], ["a"] * 4, settings, verifier_scores=[0.0] * 4)


def test_an_untrainable_table_is_refused_at_the_estimator_too():
    # verl's bare compute_advantage never runs the trainer's preflight: the estimator itself refuses
    settings = settings_from_config({"adv_estimator": "alft", "alft": {"estimator": "minimax"}})
    answers = [str(i % 5) for i in range(64)]
    with pytest.raises(AlftInputError, match="algorithm.alft.estimator.*minimax"):
        answer_advantages(answers, ["a"] * 64, settings, reference_answers=['["0", "1"]'] * 64)


def test_the_anchored_default_without_reference_answers_names_the_command():
    with pytest.raises(AlftInputError, match="alft_reference_answers.*alft references --verl"):
        answer_advantages(["4", "4", "5", "5"], ["a"] * 4, settings_from_config({"adv_estimator": "alft"}))


def test_with_references_the_verifier_scores_the_answer_classes():
    # old code took verl's per-row score (canonical string equality): "1+x" against "x+1" scored 0 while its
    # class-mate "x+1" scored 1, although the counts treat them as one answer
    settings = settings_from_config({"adv_estimator": "alft", "alft": {"objective": "verifier"}})
    answers, refs = ["x+1", "1+x", "2x", "2x"], ["x+1"] * 4
    result = answer_advantages(answers, ["a"] * 4, settings, verifier_scores=[1.0, 0.0, 0.0, 0.0], gold_answers=refs)
    assert result.rewards.tolist() == [1.0, 1.0, 0.0, 0.0]
    assert result.metrics()["alft/sample_accuracy"] == pytest.approx(0.5)


def test_a_verifier_term_refuses_rows_without_a_reference():
    settings = settings_from_config({"adv_estimator": "alft", "alft": {"objective": "coherence+verifier", "allow_collapse": True}})
    with pytest.raises(AlftInputError, match=r"alft_gold\[2\]: empty"):
        answer_advantages(["4", "4", "5", "5"], ["a"] * 4, settings, [1.0] * 4, gold_answers=["4", "4", "", "4"])


def test_bad_rows_are_refused():
    with pytest.raises(AlftInputError, match="alft_answer: got 2 answers for 3 rows"):
        answer_advantages(["4", "5"], ["a", "a", "a"], COHERENCE)
    with pytest.raises(AlftInputError, match=r"alft_answer\[1\]"):
        answer_advantages(["4", 5], ["a", "a"], COHERENCE)


def test_preflight_names_the_config_keys_of_a_bad_estimator():
    with pytest.raises(AlftInputError, match="algorithm.alft.estimator"):  # refused as soon as it is read
        preflight(settings_from_config({"adv_estimator": "alft", "alft": {"estimator_params": {"no_such": 1.0}}}), 8)
    preflight(COHERENCE, 16)  # a good one passes


def test_math_verify_merges_equivalent_non_numeric_answers_and_only_those():
    answers = ["\\sqrt{12}", "2\\sqrt{3}", "3", "3", "5", "5", "7", "8"]
    result = answer_advantages(answers, ["a"] * 4 + ["b"] * 4, settings_from_config({"adv_estimator": "alft", "alft": {"objective": "coherence", "allow_collapse": True}}))
    assert result.rewards[0] == result.rewards[1] == result.rewards[2]  # two classes of two: one answer
    assert result.stats.n_distinct.tolist() == [2.0, 3.0]


def test_metrics_equal_the_trl_integrations_answer_stats_on_the_same_groups():
    from alft.answers.groups import answer_groups
    from alft.answers.stats import answer_stats

    answers = ["\\sqrt{12}", "2\\sqrt{3}", "5", None, "7", "7", "8", "7"]  # group a merges its first two
    references = ["2\\sqrt{3}"] * 4 + ["8"] * 4  # a's reference is the merged class's second member
    metrics = answer_advantages(answers, ["a"] * 4 + ["b"] * 4, settings_from_config({"adv_estimator": "alft", "alft": {"objective": "coherence", "allow_collapse": True}}),
                                gold_answers=references).metrics()
    stats = answer_stats(answer_groups([a or "" for a in answers], 4, lambda text: text or None, "math"), references)
    # a: both members of the merged class equal the reference (the classes decide, not the strings); b: one "8"
    assert (metrics["alft/label_accuracy"], metrics["alft/sample_accuracy"]) == (0.5, 0.375)
    assert metrics["alft/label_accuracy"] == stats.majority_accuracy
    assert metrics["alft/sample_accuracy"] == stats.sample_accuracy
    assert metrics["alft/answer_entropy"] == stats.answer_entropy and metrics["alft/n_distinct"] == stats.n_distinct
    assert metrics["alft/majority_share"] == stats.majority_share


@pytest.mark.parametrize("grouper", ["math", "exact"])
def test_the_id_comparison_of_numeric_batches_decides_as_equivalent_to(grouper):
    from alft.answers import equivalent_to
    from alft.answers.stats import value_labels
    from alft.integrations.verl.rewards import _BLANK, _hits, _non_number_ids

    rng = np.random.default_rng(0)
    K, G = 4, 50
    answers = [None if x < 0 else str(x) for x in rng.integers(-1, 6, G * K)]
    if grouper == "exact":
        answers[:4] = ["\\frac{1}{2}", "1/2", "x", None]  # symbolic answers take equivalent_to's own path
    refs = [r for g in range(G) for r in [None if g % 7 == 0 else str(rng.integers(0, 6))] * K]
    refs[:4] = ["1/2"] * 4
    ids, index = value_labels(answers, _BLANK)
    non_numbers = _non_number_ids(index)
    rows = np.arange(G * K)
    fast = _hits(answers, ids.reshape(G, K), index, refs, rows, non_numbers, grouper)
    assert fast.dtype == bool and fast.any() and not fast.all()
    assert fast.tolist() == equivalent_to(answers, refs, grouper).tolist()


def test_symbolic_answers_are_grouped_through_the_cached_path_and_timed_apart():
    # issue 20: the plugin's grouping of LaTeX answers goes through alft.answers' keys and caches
    from alft.answers import clear_caches

    math = settings_from_config({"adv_estimator": "alft_coherence", "alft": {"grouper": "math", "allow_collapse": True}})
    groups = {"a": ["2\\sqrt{3}", "\\sqrt{12}", "x+1", "1+x"], "b": ["\\{1,2\\}", "\\{2,1\\}", "7", "\\frac{\\pi}{2}"]}
    uids, answers = _interleaved(groups)
    clear_caches()
    first = answer_advantages(answers, uids, math)
    again = answer_advantages(answers, uids, math)
    rows = {uid: [i for i, u in enumerate(uids) if u == uid] for uid in groups}
    a = first.rewards[rows["a"]]
    assert a[0] == a[1] and a[2] == a[3]  # √12 = 2√3, x+1 = 1+x: two classes of two
    assert sorted(first.stats.n_distinct.tolist()) == [2, 3]  # {1,2} = {2,1}
    np.testing.assert_array_equal(first.rewards, again.rewards)
    metrics = first.metrics()
    assert metrics["alft/equivalence_seconds"] > 0 and metrics["alft/equivalence_seconds"] < metrics["alft/step_seconds"]
    assert again.equivalence_seconds < first.equivalence_seconds  # the second step finds every verdict cached


def test_preflight_is_the_game_layer_s_through_the_advantage_step_s_adapter(monkeypatch):
    import alft.games

    calls, real = [], alft.games.preflight

    def spy(reward, K, score=None):
        calls.append((reward, K, score))
        return real(reward, K, score)

    monkeypatch.setattr(alft.games, "preflight", spy)
    anchored = settings_from_config({"adv_estimator": "alft", "alft": {"objective": "sharpened:2+verifier"}})
    preflight(anchored, 6)  # the made-up group's gold and reference answers reach the adapter
    assert [(r, K) for r, K, _ in calls] == [(anchored.reward, 6)] and calls[0][2] is not None
    with pytest.raises(AlftInputError, match=r"algorithm\.alft\.estimator .*K=64"):
        preflight(settings_from_config({"adv_estimator": "alft", "alft": {"estimator": "minimax"}}), 64)
