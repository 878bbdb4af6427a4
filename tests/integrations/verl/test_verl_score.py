"""compute_score: verl's per-sample score plus the extracted answer and canonical reference."""

from alft.integrations.verl import ANSWER_KEY, REFERENCE_KEY, compute_score


def test_score_is_canonical_equality_with_the_reference_and_carries_the_answer():
    right = compute_score("gsm8k", "6 * 7 = 42\n#### 42.0", "42")
    assert right == {"score": 1.0, ANSWER_KEY: "42", REFERENCE_KEY: "42"}  # canonical: 42.0 is 42
    wrong = compute_score("gsm8k", "The answer is \\boxed{41}", "42")
    assert (wrong["score"], wrong[ANSWER_KEY]) == (0.0, "41")


def test_unanswered_and_reference_free_samples_score_zero_with_empty_strings():
    assert compute_score("x", "I am not sure.", "3") == {"score": 0.0, ANSWER_KEY: "", REFERENCE_KEY: "3"}
    assert compute_score("x", "#### 3", None) == {"score": 0.0, ANSWER_KEY: "3", REFERENCE_KEY: ""}


def test_extractor_is_chosen_by_keyword_as_verl_reward_kwargs_pass_it():
    text = "\\boxed{5} and later 7"
    assert compute_score("x", text, "5", extractor="boxed")[ANSWER_KEY] == "5"
    assert compute_score("x", text, "5", extractor="last-number")[ANSWER_KEY] == "7"
