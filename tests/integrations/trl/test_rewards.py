"""The TRL reward function: same numbers as the game layer, whole groups only, finite always, metrics logged."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.errors import AlftInputError
from alft.games import Constraint, Reward, batch_group_rewards, parse_objective
from alft.integrations.trl import answer_reward


def _completions(answers):
    return [f"1+1={a}" if a is not None else "1+" for a in answers]


@pytest.mark.parametrize("estimator", ["aqp", "digamma", "plugin"])
def test_rewards_equal_the_game_layer_on_the_same_answers(estimator):
    answers = ["4", "4", "5", None, "7", "7", "7", "7"]
    reward = answer_reward(4, "coherence", estimator, extractor="arithmetic", grouper="exact", allow_collapse=True)
    got = reward(prompts=["p"] * 4 + ["q"] * 4, completions=_completions(answers))
    expected = batch_group_rewards(answers, 4, Reward(parse_objective("coherence"), estimator, allow_collapse=True)).rewards
    assert got == pytest.approx(expected.tolist(), abs=0)


def test_metrics_are_logged_with_equivalence_cost_apart_from_the_estimator():
    logged = {}
    reward = answer_reward(4, "coherence", "aqp", extractor="arithmetic", allow_collapse=True)
    reward(completions=_completions(["4", "4", "5", None]), answer=["4"] * 4, log_metric=logged.__setitem__)
    for key in ("answer_entropy", "majority_share", "n_distinct", "n_unextractable", "equivalence_seconds",
                "estimator_seconds", "sample_accuracy", "majority_accuracy"):
        assert "alft/" + key in logged
    assert logged["alft/n_unextractable"] == 1.0
    assert logged["alft/sample_accuracy"] == pytest.approx(0.5)
    assert logged["alft/answer_entropy"] == pytest.approx(-(2 / 3) * math.log(2 / 3) - (1 / 3) * math.log(1 / 3))


def test_partial_groups_and_mixed_prompts_are_refused():
    reward = answer_reward(4, "coherence", "digamma", extractor="arithmetic", allow_collapse=True)
    with pytest.raises(AlftInputError, match="multiple of num_generations=4"):
        reward(completions=_completions(["1"] * 6))
    with pytest.raises(AlftInputError, match="group 0 mixes prompts"):
        reward(prompts=["p", "p", "q", "q"], completions=_completions(["1"] * 4))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"num_generations": 1}, "num_generations"),
        ({"num_generations": 4, "objective": "harmony"}, "objective"),
        ({"num_generations": 4, "estimator": "nope"}, "estimator"),
        ({"num_generations": 4, "unextractable": "ignore"}, "unextractable"),
        ({"num_generations": 4, "penalty": float("nan")}, "penalty"),
    ],
)
def test_bad_settings_fail_at_construction_naming_the_field(kwargs, field):
    with pytest.raises(AlftInputError, match=field):
        answer_reward(**kwargs)


def test_verifier_objective_without_reference_answers_is_a_clear_error():
    reward = answer_reward(2, "coherence+verifier", "digamma", extractor="arithmetic", allow_collapse=True)
    assert reward(completions=["=3", "=4"], answer=["3", "3"]) == pytest.approx([1 + (-1.0), -1.0])
    with pytest.raises(AlftInputError, match="'answer' column"):
        reward(completions=["=3", "=4"])


@pytest.mark.parametrize("reference", ["3", "#### 3", "she has 1+2 = 3 left\n#### 3", "\\boxed{3}", 3])
def test_verifier_reads_plain_gsm8k_and_boxed_references(reference):
    # old code compared canonical strings: "#### 3" scored every completion 0
    reward = answer_reward(2, "verifier", "digamma", extractor="arithmetic", grouper="exact", allow_collapse=True)
    assert reward(completions=["=3", "=4"], answer=[reference] * 2) == [1.0, 0.0]


def test_verifier_uses_the_classes_of_the_counts():
    # x+1 and 1+x are one math-verify class; old code compared canonical strings and scored "1+x" 0
    reward = answer_reward(4, "verifier", "digamma", extractor="boxed", grouper="math", allow_collapse=True)
    completions = ["\\boxed{1+x}", "\\boxed{x+1}", "\\boxed{2x}", "\\boxed{\\sqrt{12}}"]
    assert reward(completions=completions, answer=["$x+1$"] * 4) == [1.0, 1.0, 0.0, 0.0]
    assert reward(completions=completions, answer=["2\\sqrt{3}"] * 4) == [0.0, 0.0, 0.0, 1.0]


@pytest.mark.parametrize("reference", ["", "#### ", None, float("nan")])
def test_an_unreadable_or_missing_reference_is_refused_not_scored_zero(reference):
    reward = answer_reward(2, "coherence+verifier", "digamma", extractor="arithmetic", allow_collapse=True)
    with pytest.raises(AlftInputError, match=r"answer\[2\]: got"):
        reward(completions=["=3", "=4", "=3", "=4"], answer=["3", "3", reference, reference])


@pytest.mark.parametrize("policy", ["own-class", "exclude", "penalty"])
def test_all_unextractable_group_gets_finite_equal_rewards(policy):
    reward = answer_reward(4, "coherence", "aqp", extractor="arithmetic", unextractable=policy, allow_collapse=True)
    got = np.array(reward(completions=["", "x" * 100_000, "1+", "="]))
    assert np.all(np.isfinite(got)) and np.ptp(got) == 0  # no advantage inside the group


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(["1", "2", "3", "-4"])), min_size=8, max_size=8),
       st.sampled_from([{"objective": "coherence"}, {"objective": "diversity"}, {"objective": "pairwise"}, {"peer": "ttrl"}, {"peer": "empo"}]))
def test_rewards_are_always_finite(answers, rule):
    reward = answer_reward(4, estimator="aqp", extractor="arithmetic", grouper="exact", allow_collapse=True, **rule)
    assert np.all(np.isfinite(reward(completions=_completions(answers))))


def test_constraint_multiplier_rises_while_violated_and_penalises_the_answer():
    unsafe = Constraint("no-seven", frozenset({"7"}), bound=0.25)
    reward = answer_reward(4, "coherence", "digamma", extractor="arithmetic", grouper="exact",
                           constraints=[unsafe], dual_step=1.0, allow_collapse=True)
    completions = _completions(["7", "7", "7", "5"])
    before = reward(completions=completions)
    metrics = reward.update_duals()
    assert metrics["constraint/no-seven/estimate"] == pytest.approx(0.75)
    assert metrics["constraint/no-seven/multiplier"] == pytest.approx(0.5)
    after = reward(completions=completions)
    assert after[0] == pytest.approx(before[0] - 0.5) and after[3] == pytest.approx(before[3])


def test_conversational_completions_are_read():
    reward = answer_reward(2, peer="ttrl", extractor="arithmetic")
    assert reward(completions=[[{"role": "assistant", "content": "=2"}]] * 2) == [1.0, 1.0]


def test_a_reward_built_for_a_smaller_K_than_the_trainer_is_refused_naming_both():
    reward = answer_reward(4, "coherence", extractor="arithmetic", grouper="exact", allow_collapse=True)
    with pytest.raises(AlftInputError, match="K=4.*8 completions"):
        reward(prompts=["a"] * 8 + ["b"] * 8, completions=["=1"] * 16)
    assert len(reward(prompts=["a"] * 4 + ["b"] * 4, completions=["=1"] * 8)) == 8


def test_construction_scores_a_made_up_group_through_the_game_layer_preflight(monkeypatch):
    """One preflight (alft.games.preflight) for TRL and verl; TRL's scores the group through its own path."""
    import alft.games

    calls, real = [], alft.games.preflight

    def spy(reward, K, score=None):
        calls.append((reward, K, score))
        return real(reward, K, score)

    monkeypatch.setattr(alft.games, "preflight", spy)
    reward = answer_reward(4, "0.5*coherence+verifier", extractor="arithmetic", allow_collapse=True)
    assert [(r, K) for r, K, _ in calls] == [(reward.reward, 4)] and calls[0][2] is not None
    assert reward.last is None  # the made-up group is not a batch

    def broken(text):
        raise RuntimeError("this extractor fails")

    with pytest.raises(RuntimeError, match="this extractor fails"):
        answer_reward(4, extractor=broken)
