"""Evaluation: scoring rules on known class ids, pass@k, and a run on a tiny policy."""

import itertools
import math

import pytest
import torch

from alft.errors import AlftInputError
from alft.task.evaluate import EvalReport, _score_prompt, evaluate_on_task, evaluate_policy, pass_at_k


@pytest.mark.parametrize(("n", "c"), [(8, 0), (8, 1), (8, 3), (8, 8), (5, 2)])
def test_pass_at_k_matches_enumeration(n, c):
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(outcomes, k))
        assert math.isclose(pass_at_k(n, c, k), sum(any(s) for s in subsets) / len(subsets))


def test_pass_at_k_bad_inputs():
    with pytest.raises(AlftInputError, match="k"):
        pass_at_k(4, 1, 5)
    with pytest.raises(AlftInputError, match="c"):
        pass_at_k(4, 5, 1)


def test_scoring_one_prompt():
    # layout: [greedy, samples...]; hits say which answers are equivalent to the reference (here: class 0)
    def score(ids):
        return _score_prompt(ids, [None if i is None else f"a{i}" for i in ids], [i == 0 for i in ids])

    result = score([0, 1, 1, 0, None, 2, 1])  # samples: 1 ×3, 0 ×1, 2 ×1, one unextractable
    assert result.outcome.greedy_correct and not result.outcome.majority_correct
    assert result.outcome.greedy == "a0" and result.outcome.samples == ("a1", "a1", "a0", None, "a2", "a1")
    assert result.outcome.samples_correct == (False, False, True, False, False, False)
    assert result.n_correct == 1 and result.distinct == 3 and result.unextractable == 1
    assert math.isclose(result.entropy, -(3 / 5 * math.log(3 / 5) + 2 * (1 / 5) * math.log(1 / 5)))
    tie = score([None, 1, 0, 0, 1])  # 2–2 tie: the first sampled answer (class 1) wins, not the right one
    assert not tie.outcome.greedy_correct and not tie.outcome.majority_correct
    tie_right_first = score([None, 0, 1, 1, 0])
    assert tie_right_first.outcome.majority_correct
    nothing = score([None, None, None])
    assert nothing.entropy == 0.0 and nothing.distinct == 0 and not nothing.outcome.majority_correct


def test_evaluation_is_in_range_seeded_and_leaves_the_rng_alone(tiny_policy):
    model, tokenizer = tiny_policy
    model.train()
    state = torch.random.get_rng_state()
    first = evaluate_on_task(model, tokenizer, n=12, k=4, seed=5, max_new_tokens=24)
    assert torch.equal(torch.random.get_rng_state(), state) and model.training
    second = evaluate_on_task(model, tokenizer, n=12, k=4, seed=5, max_new_tokens=24)
    timing = {"seconds", "equivalence_seconds"}
    strip = lambda r: {k: v for k, v in r.to_dict().items() if k not in timing}  # noqa: E731
    assert strip(first) == strip(second)
    assert isinstance(first, EvalReport) and first.n_prompts == 12 and first.k == 4
    for name in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy", "unextractable_rate"):
        assert 0.0 <= getattr(first, name) <= 1.0
    assert 0.0 <= first.answer_entropy <= math.log(4) + 1e-12
    assert 0.0 <= first.distinct_answers <= 4
    assert first.pass_at_k[1] == pytest.approx(first.mean_sample_accuracy)
    assert list(first.pass_at_k) == [1, 2, 4] and first.pass_at_k[1] <= first.pass_at_k[2] <= first.pass_at_k[4]
    assert {"pass@1", "pass@4"} <= set(first.to_dict()) and "problems" not in first.to_dict()
    # the per-problem record is what the metrics were computed from
    assert first.problems == second.problems and len(first.problems) == 12
    assert all(len(p.samples) == len(p.samples_correct) == 4 for p in first.problems)
    assert first.greedy_accuracy == sum(p.greedy_correct for p in first.problems) / 12
    assert first.majority_accuracy == sum(p.majority_correct for p in first.problems) / 12
    assert first.mean_sample_accuracy == pytest.approx(sum(sum(p.samples_correct) for p in first.problems) / 48)
    assert all(not c for p in first.problems for a, c in zip(p.samples, p.samples_correct) if a is None)


def test_a_policy_that_always_answers_right_scores_one(tiny_policy):
    # extractor and grouper are pluggable: an extractor that ignores the text and returns the gold answer
    model, tokenizer = tiny_policy
    report = evaluate_policy(
        model, tokenizer, ["1+2=", "3*3="], ["3", "9"], k=3, max_new_tokens=4, extractor=lambda text: "ignored",
        grouper=lambda answers: [0] * len(answers),
    )
    assert report.greedy_accuracy == report.majority_accuracy == report.mean_sample_accuracy == 1.0
    assert report.answer_entropy == 0.0 and report.distinct_answers == 1.0


def test_gsm8k_and_boxed_gold_answers_are_read(tiny_policy):
    # old code grouped the raw gold text with the answers: "… #### 9" never matched an answer "9"
    model, tokenizer = tiny_policy
    report = evaluate_policy(model, tokenizer, ["1+2=", "3*3="], ["1+2 = 3\n#### 3", "\\boxed{9}"], k=2,
                             max_new_tokens=2, extractor=lambda text: None, grouper="exact")
    assert report.greedy_accuracy == 0.0  # nothing answered
    per_prompt = iter(["3", "3", "3", "9", "9", "9"])  # greedy and 2 samples, prompt by prompt
    report = evaluate_policy(model, tokenizer, ["1+2=", "3*3="], ["1+2 = 3\n#### 3", "\\boxed{9}"], k=2,
                             max_new_tokens=2, extractor=lambda text: next(per_prompt), grouper="exact")
    assert report.greedy_accuracy == report.majority_accuracy == report.mean_sample_accuracy == 1.0


def test_bad_evaluation_inputs(tiny_policy):
    model, tokenizer = tiny_policy
    with pytest.raises(AlftInputError, match="answers"):
        evaluate_policy(model, tokenizer, ["1+2="], [], k=2)
    with pytest.raises(AlftInputError, match="prompts"):
        evaluate_policy(model, tokenizer, [], [], k=2)
    with pytest.raises(AlftInputError, match="temperature"):
        evaluate_policy(model, tokenizer, ["1+2="], ["3"], temperature=0.0)
    with pytest.raises(AlftInputError, match=r"answers\[1\]: got '#### '"):
        evaluate_policy(model, tokenizer, ["1+2=", "2+2="], ["3", "#### "], k=2)
    with pytest.raises(AlftInputError, match=r"answers\[0\]: got None"):
        evaluate_policy(model, tokenizer, ["1+2="], [None], k=2)
