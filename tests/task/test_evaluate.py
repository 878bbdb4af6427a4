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
    # layout: [gold, greedy, samples...]; the gold is class 0
    result = _score_prompt([0, 0, 1, 1, 0, None, 2, 1], k=6)  # samples: 1 ×3, 0 ×1, 2 ×1, one unextractable
    assert result.greedy_correct and not result.majority_correct
    assert result.n_correct == 1 and result.distinct == 3 and result.unextractable == 1
    assert math.isclose(result.entropy, -(3 / 5 * math.log(3 / 5) + 2 * (1 / 5) * math.log(1 / 5)))
    tie = _score_prompt([0, None, 1, 0, 0, 1], k=4)  # 2–2 tie: the first sampled answer (class 1) wins, not the gold
    assert not tie.greedy_correct and not tie.majority_correct
    tie_gold_first = _score_prompt([0, None, 0, 1, 1, 0], k=4)
    assert tie_gold_first.majority_correct
    nothing = _score_prompt([0, None, None, None], k=2)
    assert nothing.entropy == 0.0 and nothing.distinct == 0 and not nothing.majority_correct


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
    assert {"pass@1", "pass@4"} <= set(first.to_dict())


def test_a_policy_that_always_answers_right_scores_one(tiny_policy):
    # extractor and grouper are pluggable: an extractor that ignores the text and returns the gold answer
    model, tokenizer = tiny_policy
    report = evaluate_policy(
        model, tokenizer, ["1+2=", "3*3="], ["3", "9"], k=3, max_new_tokens=4, extractor=lambda text: "ignored",
        grouper=lambda answers: [0] * len(answers),
    )
    assert report.greedy_accuracy == report.majority_accuracy == report.mean_sample_accuracy == 1.0
    assert report.answer_entropy == 0.0 and report.distinct_answers == 1.0


def test_bad_evaluation_inputs(tiny_policy):
    model, tokenizer = tiny_policy
    with pytest.raises(AlftInputError, match="answers"):
        evaluate_policy(model, tokenizer, ["1+2="], [], k=2)
    with pytest.raises(AlftInputError, match="prompts"):
        evaluate_policy(model, tokenizer, [], [], k=2)
    with pytest.raises(AlftInputError, match="temperature"):
        evaluate_policy(model, tokenizer, ["1+2="], ["3"], temperature=0.0)
