"""The built-in task: multi-step arithmetic with step-by-step traces (SPEC §7).

A problem is a flat expression of 2–4 operations over the digits 1–9 with ``+ - *``; the prompt is the
expression followed by ``=`` and the completion rewrites it one operation at a time, in a random valid
order, down to the result::

    prompt      3+4*2-5=
    completion  3+8-5=11-5=6

About 30 % of warm-up traces make exactly one wrong step (a precedence error, or a slip of ±1, ±2, ±10)
and then continue correctly, so a model warmed up on them spreads its sampled answers: that spread is
what answer-level objectives act on.

Train and eval problems are disjoint by construction: a prompt belongs to the eval split iff its CRC32
is divisible by :data:`EVAL_MODULUS`, whatever the seeds and sizes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from collections.abc import Sequence
from typing import Literal, TypeVar

import datasets
import numpy as np

from alft.errors import require

Split = Literal["train", "eval"]
EVAL_MODULUS = 10
"""One prompt in ten (by CRC32) belongs to the eval split."""

_PATIENCE = 20_000
_SLIPS = (-10, -2, -1, 1, 2, 10)
_DIGITS = range(1, 10)
_OPERATORS = ("+", "-", "*")
T = TypeVar("T")


@dataclass(frozen=True)
class ArithmeticConfig:
    """Sizes of the built-in task.

    Attributes:
        min_ops: fewest operations in an expression (≥ 1).
        max_ops: most operations (≥ min_ops, ≤ 8).
        error_rate: probability that a warm-up trace makes one wrong step, in [0, 1].
    """

    min_ops: int = 2
    max_ops: int = 4
    error_rate: float = 0.3

    def __post_init__(self) -> None:
        require(1 <= self.min_ops <= 8, "min_ops", self.min_ops, "an integer in [1, 8]")
        require(self.min_ops <= self.max_ops <= 8, "max_ops", self.max_ops, f"an integer in [{self.min_ops}, 8]")
        require(0.0 <= self.error_rate <= 1.0, "error_rate", self.error_rate, "a probability in [0, 1]")


@dataclass(frozen=True)
class Problem:
    """One problem with one trace.

    Attributes:
        prompt: the expression and ``=``, e.g. ``"3+4*2-5="``.
        answer: the true value of the expression.
        completion: the trace after the prompt, e.g. ``"3+8-5=11-5=6"``.
        trace_answer: the value the trace ends on (differs from ``answer`` iff the trace has a wrong step).
    """

    prompt: str
    answer: int
    completion: str
    trace_answer: int

    @property
    def correct(self) -> bool:
        """Whether the trace ends on the true answer."""
        return self.trace_answer == self.answer


# An expression is a pair (numbers, operators) with len(numbers) == len(operators) + 1.
Expression = tuple[tuple[int, ...], tuple[str, ...]]


def render(expression: Expression) -> str:
    """``((3, 4), ("+",))`` → ``"3+4"``."""
    numbers, operators = expression
    return str(numbers[0]) + "".join(op + str(n) for op, n in zip(operators, numbers[1:]))


def evaluate(expression: Expression) -> int:
    """The value of a flat expression with the usual precedence (``*`` before ``+``/``-``, left to right)."""
    while expression[1]:
        expression = reduce_at(expression, valid_steps(expression)[0])
    return expression[0][0]


def valid_steps(expression: Expression) -> list[int]:
    """Operator positions that may be reduced next without changing the value.

    Any ``*`` may go first (products of adjacent factors commute with everything else); a ``+``/``-``
    only when it is the first operator and the next operator is not ``*`` (left-to-right evaluation).
    """
    operators = expression[1]
    steps = [i for i, op in enumerate(operators) if op == "*"]
    if operators[0] != "*" and (len(operators) == 1 or operators[1] != "*"):
        steps.insert(0, 0)
    return steps


def reduce_at(expression: Expression, position: int, slip: int = 0) -> Expression:
    """Apply the operator at ``position`` to its two neighbours (plus ``slip``, to model a careless step)."""
    numbers, operators = expression
    a, b, op = numbers[position], numbers[position + 1], operators[position]
    value = a + b if op == "+" else a - b if op == "-" else a * b
    new_numbers = numbers[:position] + (value + slip,) + numbers[position + 2 :]
    return new_numbers, operators[:position] + operators[position + 1 :]


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """A uniform element of ``items`` (``rng.random()`` is ~10x cheaper than ``rng.choice`` per call)."""
    return items[int(rng.random() * len(items))]


def _random_expression(rng: np.random.Generator, config: ArithmeticConfig) -> Expression:
    n_ops = _pick(rng, range(config.min_ops, config.max_ops + 1))
    numbers = tuple(_pick(rng, _DIGITS) for _ in range(n_ops + 1))
    operators = tuple(_pick(rng, _OPERATORS) for _ in range(n_ops))
    return numbers, operators


def _wrong_step(expression: Expression, rng: np.random.Generator) -> Expression:
    """One wrong reduction: a precedence error when one is possible and chosen, else a slip."""
    valid = valid_steps(expression)
    invalid = [i for i in range(len(expression[1])) if i not in valid]
    if invalid and rng.random() < 0.5:
        return reduce_at(expression, _pick(rng, invalid))
    return reduce_at(expression, _pick(rng, valid), slip=_pick(rng, _SLIPS))


def _trace(expression: Expression, rng: np.random.Generator, wrong_at: int | None) -> tuple[str, int]:
    """Reduce step by step in a random valid order; step ``wrong_at`` (if any) is a wrong one."""
    steps = []
    for step in range(len(expression[1])):
        if step == wrong_at:
            expression = _wrong_step(expression, rng)
        else:
            expression = reduce_at(expression, _pick(rng, valid_steps(expression)))
        steps.append(render(expression))
    return "=".join(steps), expression[0][0]


def split_of(prompt: str) -> Split:
    """The split a prompt belongs to (a hash, so train and eval never share a problem)."""
    return "eval" if zlib.crc32(prompt.encode()) % EVAL_MODULUS == 0 else "train"


def _problem(rng: np.random.Generator, expression: Expression, config: ArithmeticConfig) -> Problem:
    answer = evaluate(expression)
    n_steps = len(expression[1])
    if rng.random() < config.error_rate:
        for _ in range(10):  # a wrong step can land on the right value by chance (e.g. 3+1*1); redraw it
            completion, trace_answer = _trace(expression, rng, wrong_at=_pick(rng, range(n_steps)))
            if trace_answer != answer:
                return Problem(render(expression) + "=", answer, completion, trace_answer)
    completion, trace_answer = _trace(expression, rng, wrong_at=None)
    return Problem(render(expression) + "=", answer, completion, trace_answer)


def generate_problems(
    n: int,
    *,
    split: Split = "train",
    seed: int = 0,
    config: ArithmeticConfig = ArithmeticConfig(),
    unique: bool = False,
) -> list[Problem]:
    """Draw ``n`` problems of one split, deterministically from ``seed``.

    Args:
        n: how many problems (≥ 0).
        split: ``"train"`` or ``"eval"``; the two never share a prompt.
        seed: the random seed (same seed, same problems and traces).
        config: task sizes and the wrong-step rate.
        unique: if True, no prompt repeats (use for evaluation and RL prompts); if False, prompts may repeat
            with different traces (use for warm-up data).

    Returns:
        A list of :class:`Problem`.
    """
    require(isinstance(n, int) and n >= 0, "n", n, "an integer ≥ 0")
    require(split in ("train", "eval"), "split", split, "'train' or 'eval'")
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    problems: list[Problem] = []
    seen: set[str] = set()
    misses = 0  # small configs have few distinct prompts per split: give up after a long run of misses
    while len(problems) < n and misses < _PATIENCE:
        expression = _random_expression(rng, config)
        prompt = render(expression) + "="
        if split_of(prompt) != split or (unique and prompt in seen):
            misses += 1
            continue
        misses = 0
        seen.add(prompt)
        problems.append(_problem(rng, expression, config))
    require(len(problems) == n, "n", n, f"at most {len(problems)} distinct {split} problems for this config")
    return problems


def warmup_dataset(
    n: int, *, seed: int = 0, config: ArithmeticConfig = ArithmeticConfig()
) -> datasets.Dataset:
    """Warm-up (supervised) data from the train split: prompts may repeat with different traces.

    Args:
        n: number of traces.
        seed: random seed.
        config: task sizes and the wrong-step rate.

    Returns:
        A ``datasets.Dataset`` with columns ``prompt``, ``completion`` (the trace), ``text``
        (prompt + completion, for plain language modelling), ``answer`` (the true answer, a string) and
        ``correct`` (whether the trace ends on it).
    """
    problems = generate_problems(n, split="train", seed=seed, config=config)
    return datasets.Dataset.from_dict(
        {
            "prompt": [p.prompt for p in problems],
            "completion": [p.completion for p in problems],
            "text": [p.prompt + p.completion for p in problems],
            "answer": [str(p.answer) for p in problems],
            "correct": [p.correct for p in problems],
        }
    )


def prompt_dataset(
    n: int, *, split: Split = "train", seed: int = 0, config: ArithmeticConfig = ArithmeticConfig()
) -> datasets.Dataset:
    """Distinct prompts with their true answers, for RL training (``split="train"``) or evaluation.

    Args:
        n: number of distinct prompts.
        split: ``"train"`` or ``"eval"`` (disjoint).
        seed: random seed.
        config: task sizes.

    Returns:
        A ``datasets.Dataset`` with columns ``prompt`` and ``answer`` (a string, as answers are strings in
        general; compare through :mod:`alft.answers`).
    """
    problems = generate_problems(n, split=split, seed=seed, config=config, unique=True)
    return datasets.Dataset.from_dict(
        {"prompt": [p.prompt for p in problems], "answer": [str(p.answer) for p in problems]}
    )
