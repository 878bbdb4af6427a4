"""The built-in task: multi-step arithmetic with step-by-step traces (docs/concepts/builtin-task.md).

A problem is a flat expression of 3 operations over the digits 1–9 with ``+ - *``; the prompt is the
expression followed by ``=`` and the completion rewrites it one operation at a time, in a uniformly
random valid order (:func:`valid_steps`: any ``*``, and a ``+``/``-`` where a+b−c = a+(b−c)), down to
the result::

    prompt      3+4*2-5=
    completion  3+8-5=11-5=6

The task is built so that the self-consistency premise holds (docs/concepts/builtin-task.md, issue 12): majority-of-K must beat
one greedy path. There are no random slips; instead, with probability ``error_rate`` a warm-up trace
makes one *systematic* error (:func:`systematic_error`: its first step reduces the leftmost invalid
operator that changes the value, mostly a left-to-right precedence error) and then continues correctly.
The correct traces split their mass over several valid routes while the error is one route, so a policy
that matches the traces exactly decodes greedily into the error more often than its samples vote for it
(``benchmarks/task_premise.py`` measures both this exact-trace policy and the shipped base policy).

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
_DIGITS = range(1, 10)
_OPERATORS = ("+", "-", "*")
T = TypeVar("T")


@dataclass(frozen=True)
class ArithmeticConfig:
    """Sizes of the built-in task.

    Attributes:
        min_ops: fewest operations in an expression (≥ 1).
        max_ops: most operations (≥ min_ops, ≤ 8).
        error_rate: probability that a warm-up trace makes the systematic error, in [0, 1] (problems with
            no value-changing invalid step are always traced correctly).
        max_products: most ``*`` in an expression (≥ 0; the default 3 caps nothing at 3 operations). A cap of
            1 keeps every correct multiplication within the 9×9 table (7*8*9 needs 56*9, where the small
            model slips) — measured in ``benchmarks/results/task_premise_levers.json``.
    """

    min_ops: int = 3
    max_ops: int = 3
    error_rate: float = 0.35
    max_products: int = 3

    def __post_init__(self) -> None:
        require(1 <= self.min_ops <= 8, "min_ops", self.min_ops, "an integer in [1, 8]")
        require(self.min_ops <= self.max_ops <= 8, "max_ops", self.max_ops, f"an integer in [{self.min_ops}, 8]")
        require(0.0 <= self.error_rate <= 1.0, "error_rate", self.error_rate, "a probability in [0, 1]")
        require(0 <= self.max_products <= 8, "max_products", self.max_products, "an integer in [0, 8]")


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
    """Operator positions that may be reduced next without changing the value (the valid routes).

    Any ``*`` may go first (products of adjacent factors commute with everything else). A ``+``/``-`` may go
    first when both its operands are whole terms (no ``*`` beside it) and it opens the expression or follows
    a ``+``: a+b−c = a+(b−c). A reduction that would leave a negative number after an operator (``3+-3``) is
    left out, so every rendered step stays a plain expression.
    """
    operators = expression[1]
    return [i for i in range(len(operators)) if _preserves_value(operators, i) and _renders(expression, i)]


def _preserves_value(operators: tuple[str, ...], i: int) -> bool:
    if operators[i] == "*":
        return True
    whole_right = i + 1 == len(operators) or operators[i + 1] != "*"
    return whole_right and (i == 0 or operators[i - 1] == "+")


def _renders(expression: Expression, i: int) -> bool:
    """Whether reducing at ``i`` keeps every number after the first non-negative."""
    return i == 0 or reduce_at(expression, i)[0][i] >= 0


def systematic_error(expression: Expression) -> int | None:
    """The wrong first step the warm-up traces make: the leftmost invalid operator that changes the value.

    This is mostly a left-to-right (precedence) error, ``3+4*2`` → ``7*2``. It is ``None`` when no invalid
    reduction changes the value (e.g. ``3*4*2`` or ``3+4+5``): such problems are always traced correctly.
    """
    value, valid = evaluate(expression), valid_steps(expression)
    for i in range(len(expression[1])):
        if i not in valid and _renders(expression, i) and evaluate(reduce_at(expression, i)) != value:
            return i
    return None


def reduce_at(expression: Expression, position: int) -> Expression:
    """Apply the operator at ``position`` to its two neighbours."""
    numbers, operators = expression
    a, b, op = numbers[position], numbers[position + 1], operators[position]
    value = a + b if op == "+" else a - b if op == "-" else a * b
    new_numbers = numbers[:position] + (value,) + numbers[position + 2 :]
    return new_numbers, operators[:position] + operators[position + 1 :]


def _pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """A uniform element of ``items`` (``rng.random()`` is ~10x cheaper than ``rng.choice`` per call)."""
    return items[int(rng.random() * len(items))]


def _random_expression(rng: np.random.Generator, config: ArithmeticConfig) -> Expression:
    n_ops = _pick(rng, range(config.min_ops, config.max_ops + 1))
    numbers = tuple(_pick(rng, _DIGITS) for _ in range(n_ops + 1))
    operators = tuple(_pick(rng, _OPERATORS) for _ in range(n_ops))
    while operators.count("*") > config.max_products:  # redraw: uniform over the allowed operator strings
        operators = tuple(_pick(rng, _OPERATORS) for _ in range(n_ops))
    return numbers, operators


def _trace(expression: Expression, rng: np.random.Generator, first: int | None) -> tuple[str, int]:
    """Reduce step by step in a uniformly random valid order, the first step at ``first`` if given."""
    steps = []
    while expression[1]:
        position = first if first is not None else _pick(rng, valid_steps(expression))
        expression, first = reduce_at(expression, position), None
        steps.append(render(expression))
    return "=".join(steps), expression[0][0]


def split_of(prompt: str) -> Split:
    """The split a prompt belongs to (a hash, so train and eval never share a problem)."""
    return "eval" if zlib.crc32(prompt.encode()) % EVAL_MODULUS == 0 else "train"


def _problem(rng: np.random.Generator, expression: Expression, config: ArithmeticConfig) -> Problem:
    wrong = rng.random() < config.error_rate  # drawn for every problem, so the stream does not depend on it
    completion, trace_answer = _trace(expression, rng, first=systematic_error(expression) if wrong else None)
    return Problem(render(expression) + "=", evaluate(expression), completion, trace_answer)


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
