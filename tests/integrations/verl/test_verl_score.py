"""compute_score: verl's per-sample score plus the extracted answer and canonical reference."""

from alft.integrations.verl import ANSWER_KEY, GOLD_KEY, compute_score


def test_score_is_canonical_equality_with_the_reference_and_carries_the_answer():
    right = compute_score("gsm8k", "6 * 7 = 42\n#### 42.0", "42")
    assert right == {"score": 1.0, ANSWER_KEY: "42", GOLD_KEY: "42"}  # canonical: 42.0 is 42
    wrong = compute_score("gsm8k", "The answer is \\boxed{41}", "42")
    assert (wrong["score"], wrong[ANSWER_KEY]) == (0.0, "41")


def test_unanswered_and_reference_free_samples_score_zero_with_empty_strings():
    assert compute_score("x", "I am not sure.", "3") == {"score": 0.0, ANSWER_KEY: "", GOLD_KEY: "3"}
    assert compute_score("x", "#### 3", None) == {"score": 0.0, ANSWER_KEY: "3", GOLD_KEY: ""}


def test_extractor_is_chosen_by_keyword_as_verl_reward_kwargs_pass_it():
    text = "\\boxed{5} and later 7"
    assert compute_score("x", text, "5", extractor="boxed")[ANSWER_KEY] == "5"
    assert compute_score("x", text, "5", extractor="last-number")[ANSWER_KEY] == "7"


def test_gsm8k_and_boxed_ground_truths_are_read_not_scored_zero():
    # old code compared canonical strings: a GSM8K ground truth "… #### 72" scored every completion 0
    solution = "She sold 48/2 = <<48/2=24>>24 clips.\n#### 72"
    assert compute_score("gsm8k", "#### 72", solution) == {"score": 1.0, ANSWER_KEY: "72", GOLD_KEY: "72"}
    assert compute_score("math", "so \\boxed{72}", "\\boxed{72}")["score"] == 1.0


def test_score_uses_math_verify_equivalence_unless_exact_is_asked():
    assert compute_score("math", "\\boxed{1+x}", "x+1")["score"] == 1.0  # old code: canonical strings differ → 0
    assert compute_score("math", "\\boxed{1+x}", "x+1", grouper="exact")["score"] == 0.0


def test_an_unreadable_ground_truth_is_a_clear_error():
    import pytest

    from alft.errors import AlftInputError

    for ground_truth in ("", "#### ", "\\boxed{7"):
        with pytest.raises(AlftInputError, match="reward_model.ground_truth: got"):
            compute_score("gsm8k", "#### 7", ground_truth)


def test_the_default_grouper_is_the_reward_s_declared_once(monkeypatch):
    """compute_score's grouper default is read from alft.games.Reward, the default of algorithm.alft.grouper."""
    import importlib
    import inspect

    from alft.games import Reward
    from alft.games.reward import REWARD_DEFAULTS
    from alft.integrations.verl import score, settings_from_config

    default = inspect.signature(compute_score).parameters["grouper"].default
    assert default == Reward().grouper == settings_from_config({"adv_estimator": "alft"}).grouper
    monkeypatch.setitem(REWARD_DEFAULTS, "grouper", "exact")
    try:
        assert inspect.signature(importlib.reload(score).compute_score).parameters["grouper"].default == "exact"
    finally:
        monkeypatch.undo()
        importlib.reload(score)
