"""The reward value (alft.games.Reward): one place for the reward's settings, validated once; the anchored
game (docs/concepts/game.md#the-anchor); unanswered completions never win."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import Reward, batch_group_rewards, coherence, group_rewards, parse_objective
from alft.games.objectives import anchor, sharpened
from alft.games.peers import Peer


def test_strings_become_values_once_and_round_trip():
    reward = Reward("coherence+0.5*verifier", "aqp", {"kappa": 4}, constraints=("no-seven:7<=0.05",), allow_collapse=True)
    assert reward.objective == parse_objective("coherence+0.5*verifier")
    assert reward.estimator_params == (("kappa", 4.0),)
    assert reward.constraints[0].bound == 0.05
    assert Reward(**reward.as_fields()) == reward
    assert reward.to_json()["constraints"] == ["no-seven:7<=0.05"]


@pytest.mark.parametrize("fields, field", [
    ({"objective": "ttrl"}, "objective"), ({"peer": "majority"}, "peer"), ({"estimator": "mle"}, "estimator"),
    ({"estimator_params": {"zeta": 1}}, "estimator_params"), ({"estimator_params": {"kappa": float("nan")}}, "kappa"),
    ({"unextractable": "drop"}, "unextractable"), ({"penalty": math.inf}, "penalty"), ({"extractor": "magic"}, "extractor"),
    ({"grouper": 3}, "grouper"), ({"constraints": ("nonsense",)}, "constraints"), ({"dual_step": 0}, "dual_step"),
    ({"peer": "ttrl", "objective": "coherence"}, "peer"), ({"reference_estimator": "ustat"}, "reference_estimator"),
])
def test_bad_settings_name_the_field(fields, field):
    with pytest.raises(AlftInputError, match=field):
        Reward(**fields)


def test_peers_are_rules_not_objectives():
    reward = Reward(peer="ttrl")
    assert reward.rule == Peer("ttrl") and reward.objective is None and reward.target is None
    result = group_rewards(["1", "1", "2", None], reward)
    assert result.rewards.tolist() == [1.0, 1.0, 0.0, 0.0]


def test_tables_are_resolved_once_per_size_and_shared_by_equal_rewards():
    from alft.games import reward as reward_module

    reward_module._estimator.cache_clear()
    reward = Reward(coherence(), "digamma", allow_collapse=True).prepare(8)
    assert reward_module._estimator.cache_info().currsize == 2  # K = 8 and its leave-one-out size 7
    table = reward.table(8)
    twin = Reward(coherence(), "digamma", allow_collapse=True)
    assert twin is not reward and twin.table(8) is table and np.allclose(table, get_estimator("digamma", 8).table)
    assert reward_module._estimator.cache_info().currsize == 2


def test_prepare_refuses_an_untrainable_table_with_a_pointer():
    with pytest.raises(AlftInputError, match="aqp"):
        Reward(coherence(), "minimax", allow_collapse=True).prepare(32)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["1", "2", "3", None]), min_size=2, max_size=10),
       st.sampled_from(["coherence", "diversity", "pairwise", "0.5*coherence+anchor"]))
def test_an_unanswered_completion_scores_below_every_answered_one(answers, objective):
    reward = Reward(objective, "aqp", allow_collapse=True)  # the default policy, "lowest"
    counts = [3 if a == "1" else 0 for a in answers]
    result = batch_group_rewards(answers, len(answers), reward, reference_counts=counts, reference_draws=8)
    unanswered = np.array([a is None for a in answers])
    assert np.all(np.isfinite(result.rewards)) and np.all(np.isfinite(result.baseline_loo))
    if unanswered.any() and not unanswered.all():
        assert result.rewards[unanswered].max() < result.rewards[~unanswered].min()


def test_own_class_lets_unanswered_completions_win_which_is_why_it_is_not_the_default():
    shared = group_rewards([None, None, None, "8"], Reward("coherence", unextractable="own-class", allow_collapse=True)).rewards
    assert shared[3] < shared[0]  # the only completion that answered gets the lowest reward
    lowest = group_rewards([None, None, None, "8"], Reward("coherence", allow_collapse=True)).rewards
    assert lowest[3] > lowest[0]


def test_anchored_reward_is_the_spec_formula():
    gamma, beta, M = 0.5, 1.0, 16
    reward = Reward(gamma * coherence() + beta * anchor(), "digamma", reference_estimator="digamma")
    answers, counts = ["a", "a", "b", "c"], [9, 9, 4, 0]
    result = group_rewards(answers, reward, reference_counts=counts, reference_draws=M)
    group_table, reference_table = get_estimator("digamma", 4).table, get_estimator("digamma", M + 1).table
    loo = [1, 1, 0, 0]
    expected = [(gamma - beta) * group_table[n] + beta * reference_table[c] for n, c in zip(loo, counts)]
    assert np.allclose(result.rewards, expected)


def test_anchored_game_needs_reference_counts():
    with pytest.raises(AlftInputError, match="reference_counts"):
        group_rewards(["a", "b"], Reward(sharpened(2.0)))
    with pytest.raises(AlftInputError, match="reference_counts"):
        group_rewards(["a", "b"], Reward(sharpened(2.0)), reference_counts=[9, 0], reference_draws=4)


@pytest.mark.parametrize("s", [1.0, 0.5, math.inf, float("nan"), "2"])
def test_sharpening_must_be_a_finite_exponent_above_one(s):
    with pytest.raises(AlftInputError, match="sharpening"):
        sharpened(s)


def test_collapse_is_recognised():
    assert coherence().collapses and parse_objective("pairwise").collapses
    assert parse_objective("coherence+anchor").collapses  # γ = β: s = ∞
    assert not sharpened(2.0).collapses and not parse_objective("diversity").collapses
    assert sharpened(3.0).sharpening == pytest.approx(3.0)
    assert parse_objective("0.5*coherence+anchor").sharpening == pytest.approx(2.0)


def test_anchor_objective_value_is_minus_kl_to_the_reference():
    p, p_ref = np.array([0.5, 0.3, 0.2]), np.array([0.6, 0.3, 0.1])
    value = anchor(2.0).F(p, reference_log_p=np.log(p_ref))
    assert value == pytest.approx(-2.0 * float(np.sum(p * np.log(p / p_ref))))


def test_the_estimator_spec_is_the_same_reward_as_a_name_with_a_mapping():
    spec = Reward(estimator="aqp:kappa=4")
    assert spec == Reward(estimator="aqp", estimator_params={"kappa": 4})
    assert spec.estimator == "aqp" and spec.estimator_params == (("kappa", 4.0),)
    assert Reward(estimator="aqp:kappa=4", estimator_params={"kappa": 4.0}) == spec  # the same value twice: fine
    with pytest.raises(AlftInputError, match="kappa"):
        Reward(estimator="aqp:kappa=4", estimator_params={"kappa": 8})
    with pytest.raises(AlftInputError, match="estimator"):
        Reward(estimator="aqp:kappa")


@pytest.mark.parametrize("objective, gold, anchored", [
    ("coherence", False, False), ("0.5*coherence+verifier", True, False), (None, False, True),
    ("sharpened:2+verifier", True, True)])
def test_the_preflight_group_carries_what_the_reward_needs(objective, gold, anchored):
    from alft.games import preflight, preflight_group

    reward = Reward(objective, allow_collapse=True)
    group = preflight_group(reward, 5)
    assert group.answers == ("0", "1", "0", "1", "0")
    assert (group.gold_answers is not None, group.reference_answers is not None) == (gold, anchored)
    assert (group.verifier_scores is not None) == gold and (group.reference_counts is not None) == anchored
    preflight(reward, 5)  # scored in the game layer: passes


def test_preflight_refuses_a_bad_table_and_rewards_that_are_not_k_finite_numbers():
    from alft.games import preflight

    with pytest.raises(AlftInputError, match="minimax"):
        preflight(Reward("0.5*coherence+anchor", "minimax"), 64)  # untrainable at K = 64
    with pytest.raises(AlftInputError, match=r"coherence/aqp: a made-up group of K=4 .*expected 4 finite numbers"):
        preflight(Reward("coherence", allow_collapse=True), 4, lambda group: [0.0, float("nan"), 0.0, 0.0])
    with pytest.raises(AlftInputError, match="expected 4 finite numbers"):
        preflight(Reward("coherence", allow_collapse=True), 4, lambda group: [0.0] * 3)
