"""The arithmetic generator: determinism, correctness of traces, valid routes, the systematic error, disjoint splits."""

import re
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.answers import extract_arithmetic
from alft.errors import AlftInputError
from alft.task.arithmetic import (
    ArithmeticConfig,
    _trace,
    evaluate,
    generate_problems,
    prompt_dataset,
    reduce_at,
    render,
    split_of,
    systematic_error,
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
        assert ArithmeticConfig().min_ops <= n_ops <= ArithmeticConfig().max_ops
        assert not re.search(r"[-+*]-", problem.completion)  # no negative number after an operator


def parse(prompt: str):
    expression = prompt.rstrip("=")
    return tuple(int(n) for n in re.split(r"[-+*]", expression)), tuple(re.findall(r"[-+*]", expression))


def test_correct_traces_rewrite_to_equal_values_and_wrong_ones_start_with_the_systematic_error():
    problems = generate_problems(4000, seed=2)
    for problem in problems:
        steps = problem.completion.split("=")
        if problem.correct:
            assert all(python_value(step + "=") == problem.answer for step in steps)
        else:
            expression = parse(problem.prompt)
            assert steps[0] == render(reduce_at(expression, systematic_error(expression)))
            assert all(python_value(step + "=") == problem.trace_answer for step in steps)  # then no more errors
    # the systematic error's rate among problems that have one: error_rate 0.35, binomial sd ≈ 0.01
    exposed = [p for p in problems if systematic_error(parse(p.prompt)) is not None]
    assert len(exposed) > 2000
    assert 0.32 < sum(not p.correct for p in exposed) / len(exposed) < 0.38


def test_error_rate_zero_and_one():
    assert all(p.correct for p in generate_problems(200, config=ArithmeticConfig(error_rate=0.0)))
    for problem in generate_problems(200, config=ArithmeticConfig(error_rate=1.0)):
        assert problem.correct == (systematic_error(parse(problem.prompt)) is None)


def test_valid_routes_include_an_early_plus_or_minus_and_the_systematic_error_is_left_to_right():
    assert valid_steps(((5, 2, 1), ("+", "-"))) == [0, 1]  # 5+(2-1)
    assert valid_steps(((5, 2, 1), ("-", "+"))) == [0]  # 5-(2+1) would be wrong
    assert valid_steps(((3, 2, 5), ("+", "-"))) == [0]  # 3+(2-5) would render 3+-3
    assert valid_steps(((3, 4, 2, 5), ("+", "*", "-"))) == [1]
    assert systematic_error(((3, 4, 2, 5), ("+", "*", "-"))) == 0  # 3+4*2-5 → 7*2-5
    assert systematic_error(((5, 2, 1), ("-", "+"))) == 1  # 5-2+1 → 5-3
    assert systematic_error(((3, 4, 2, 5), ("*", "*", "+"))) == 2  # 3*4*2+5 → 3*4*7
    assert systematic_error(((3, 4, 2, 5), ("+", "+", "-"))) is None  # every order gives 4


def test_products_are_capped():
    for cap in (0, 1, 3):
        counts = Counter(p.prompt.count("*") for p in generate_problems(500, config=ArithmeticConfig(max_products=cap)))
        assert max(counts) == cap  # the cap is reached and never passed


def test_every_valid_route_is_taken_about_equally_often():
    # 5+2-1*3: the valid first steps are 7-1*3 and 5+2-3 (the systematic error would be 5+1*3)
    rng = np.random.default_rng(0)
    firsts = Counter(_trace(((5, 2, 1, 3), ("+", "-", "*")), rng, None)[0].split("=")[0] for _ in range(3000))
    assert set(firsts) == {"7-1*3", "5+2-3"}
    assert all(abs(count / 3000 - 0.5) < 0.04 for count in firsts.values())  # binomial sd ≈ 0.009


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
    value = python_value(render(expression))
    assert evaluate(expression) == value
    for step in valid_steps(expression):
        reduced = reduce_at(expression, step)
        assert evaluate(reduced) == value and python_value(render(reduced)) == value
        assert not re.search(r"[-+*]-", render(reduced))
    error = systematic_error(expression)
    if error is not None:
        assert error not in valid_steps(expression) and evaluate(reduce_at(expression, error)) != value


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
    with pytest.raises(AlftInputError, match="max_products"):
        ArithmeticConfig(max_products=-1)
    with pytest.raises(AlftInputError, match="split"):
        generate_problems(3, split="test")  # type: ignore[arg-type]
    with pytest.raises(AlftInputError, match="distinct eval problems"):
        generate_problems(10_000, split="eval", unique=True, config=ArithmeticConfig(min_ops=1, max_ops=1))
