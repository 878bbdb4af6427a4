"""The arithmetic generator: determinism, correctness of traces, wrong steps, disjoint splits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.answers import extract_arithmetic
from alft.errors import AlftInputError
from alft.task.arithmetic import (
    ArithmeticConfig,
    evaluate,
    generate_problems,
    prompt_dataset,
    render,
    split_of,
    valid_steps,
    warmup_dataset,
)


def python_value(prompt: str) -> int:
    expression = prompt.rstrip("=")
    assert set(expression) <= set("0123456789+-*")
    return eval(expression)  # noqa: S307 — digits and + - * only, checked above


def test_same_seed_same_problems_other_seed_other_problems():
    assert generate_problems(50, seed=3) == generate_problems(50, seed=3)
    assert generate_problems(50, seed=3) != generate_problems(50, seed=4)


def test_answers_are_python_values_and_traces_are_well_formed():
    for problem in generate_problems(500, seed=1):
        assert problem.answer == python_value(problem.prompt)
        steps = problem.completion.split("=")
        n_ops = sum(problem.prompt.count(op) for op in "+*") + sum(
            1 for i, c in enumerate(problem.prompt) if c == "-" and i > 0
        )
        assert len(steps) == n_ops  # one rewrite per operation
        assert extract_arithmetic(problem.completion) == str(problem.trace_answer)
        assert 2 <= n_ops <= 4


def test_correct_traces_rewrite_to_equal_values_and_wrong_ones_differ():
    problems = generate_problems(2000, seed=2)
    wrong = [p for p in problems if not p.correct]
    assert 0.22 < len(wrong) / len(problems) < 0.38  # error_rate 0.3, binomial sd ≈ 0.01
    for problem in problems:
        if problem.correct:
            assert all(python_value(step + "=") == problem.answer for step in problem.completion.split("="))
        else:
            assert problem.trace_answer != problem.answer
    assert len({p.trace_answer - p.answer for p in wrong}) > 10  # slips and precedence errors both appear


def test_error_rate_zero_and_one():
    assert all(p.correct for p in generate_problems(200, config=ArithmeticConfig(error_rate=0.0)))
    assert sum(not p.correct for p in generate_problems(200, config=ArithmeticConfig(error_rate=1.0))) >= 195


def test_splits_are_disjoint_and_unique_when_asked():
    train = generate_problems(3000, split="train", seed=0)
    evaluation = generate_problems(500, split="eval", seed=0, unique=True)
    assert not {p.prompt for p in train} & {p.prompt for p in evaluation}
    assert len({p.prompt for p in evaluation}) == 500
    assert all(split_of(p.prompt) == "eval" for p in evaluation)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(1, 9), min_size=2, max_size=6).flatmap(
        lambda numbers: st.tuples(
            st.just(tuple(numbers)),
            st.lists(st.sampled_from("+-*"), min_size=len(numbers) - 1, max_size=len(numbers) - 1).map(tuple),
        )
    )
)
def test_evaluate_matches_python_and_valid_steps_preserve_value(expression):
    from alft.task.arithmetic import reduce_at

    value = python_value(render(expression))
    assert evaluate(expression) == value
    for step in valid_steps(expression):
        assert evaluate(reduce_at(expression, step)) == value


def test_datasets_have_the_documented_columns():
    warm = warmup_dataset(20, seed=0)
    assert warm.column_names == ["prompt", "completion", "text", "answer", "correct"]
    assert all(row["text"] == row["prompt"] + row["completion"] for row in warm)
    prompts = prompt_dataset(30, split="eval", seed=0)
    assert prompts.column_names == ["prompt", "answer"]
    assert len(set(prompts["prompt"])) == 30
    assert all(str(python_value(p)) == a for p, a in zip(prompts["prompt"], prompts["answer"]))


def test_bad_inputs():
    with pytest.raises(AlftInputError, match="max_ops"):
        ArithmeticConfig(min_ops=3, max_ops=2)
    with pytest.raises(AlftInputError, match="error_rate"):
        ArithmeticConfig(error_rate=1.5)
    with pytest.raises(AlftInputError, match="split"):
        generate_problems(3, split="test")  # type: ignore[arg-type]
    with pytest.raises(AlftInputError, match="distinct eval problems"):
        generate_problems(10_000, split="eval", unique=True, config=ArithmeticConfig(min_ops=1, max_ops=1))
