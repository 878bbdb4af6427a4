"""The built-in task's self-consistency premise (issue 12 item 5, docs/concepts/builtin-task.md): does majority-of-8 beat greedy?

On 1000 held-out problems (eval split, seed 0), for each sampling temperature:

* ``shipped``: the shipped base policy (``alft.task.base_policy_path("default")``, checksum-verified),
  through ``alft.task.evaluate.evaluate_on_task``: greedy, majority-of-8, mean sample accuracy, answer
  entropy (nats), distinct answers, unextractable rate;
* ``exact_trace_policy``: a policy that matches the warm-up traces exactly (their distribution enumerated
  route by route), decoded token by token: greedy follows the most probable next character, samples use
  next-character probabilities raised to 1/T; majority-of-8 from 200 draws of 8 per problem. It is the
  ceiling the warm-up aims at, and shows that the premise is built into the generator.

    python benchmarks/task_premise.py [--seed 0] [--n 1000] [--temperatures 1.0 0.7]

Writes benchmarks/results/task_premise.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import torch

from alft.task import base_policy_path
from alft.task.arithmetic import (
    ArithmeticConfig,
    Expression,
    generate_problems,
    reduce_at,
    render,
    systematic_error,
    valid_steps,
)
from alft.task.evaluate import evaluate_on_task
from alft.task.loading import load_policy
from alft.task.shipped import CHECKSUMS

K, MAJORITY_DRAWS, END = 8, 200, "$"


def parse(prompt: str) -> Expression:
    expression = prompt.rstrip("=")
    return tuple(int(n) for n in re.split(r"[-+*]", expression)), tuple(re.findall(r"[-+*]", expression))


def routes(expression: Expression) -> Counter:
    """Probability of each correct completion (``=``-joined steps) under uniformly random valid orders."""
    if not expression[1]:
        return Counter({"": 1.0})
    out: Counter = Counter()
    valid = valid_steps(expression)
    for position in valid:
        reduced = reduce_at(expression, position)
        for rest, p in routes(reduced).items():
            out["=" + render(reduced) + rest] += p / len(valid)
    return out


def trace_distribution(expression: Expression, error_rate: float) -> Counter:
    """Probability of each warm-up completion (ending in END) for this prompt."""
    error = systematic_error(expression)
    correct_mass = 1.0 if error is None else 1.0 - error_rate
    out = Counter({c[1:] + END: p * correct_mass for c, p in routes(expression).items()})
    if error is not None:
        wrong = reduce_at(expression, error)
        for rest, p in routes(wrong).items():
            out[render(wrong) + rest + END] += error_rate * p
    return out


def answer_of(completion: str) -> str:
    return completion[: -len(END)].rsplit("=", 1)[-1]


def _children(items: list[tuple[str, float]], depth: int) -> dict[str, list[tuple[str, float]]]:
    groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for completion, p in items:
        groups[completion[depth]].append((completion, p))
    return groups


def sampled_answers(distribution: Counter, temperature: float) -> Counter:
    """Answer distribution when sampling the exact-trace policy character by character at ``temperature``."""
    answers: Counter = Counter()

    def descend(items: list[tuple[str, float]], mass: float, depth: int) -> None:
        if len(items) == 1:  # one completion left: the temperature cannot change its mass any more
            answers[answer_of(items[0][0])] += mass
            return
        groups = _children(items, depth)
        weights = {c: sum(p for _, p in g) ** (1 / temperature) for c, g in groups.items()}
        total = sum(weights.values())
        for c, group in groups.items():
            descend(group, mass * weights[c] / total, depth + 1)

    descend(list(distribution.items()), 1.0, 0)
    return answers


def greedy_answer(distribution: Counter) -> str:
    items, depth = list(distribution.items()), 0
    while len(items) > 1:
        groups = _children(items, depth)
        items = max(groups.values(), key=lambda g: sum(p for _, p in g))
        depth += 1
    return answer_of(items[0][0])


def majority_accuracy(answers: Counter, truth: str, rng: np.random.Generator) -> float:
    """Fraction of MAJORITY_DRAWS draws of K whose most frequent answer (ties: first seen) is ``truth``."""
    names = list(answers)
    probabilities = np.array([answers[a] for a in names])
    draws = rng.choice(len(names), size=(MAJORITY_DRAWS, K), p=probabilities / probabilities.sum())
    wins = 0
    for row in draws.tolist():
        counts = Counter(row)
        wins += names[max(counts, key=counts.__getitem__)] == truth
    return wins / MAJORITY_DRAWS


def exact_trace_policy(n: int, seed: int, temperature: float, config: ArithmeticConfig) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    greedy = majority = sample = 0.0
    for problem in generate_problems(n, split="eval", seed=seed, config=config, unique=True):
        distribution, truth = trace_distribution(parse(problem.prompt), config.error_rate), str(problem.answer)
        answers = sampled_answers(distribution, temperature)
        greedy += greedy_answer(distribution) == truth
        sample += answers.get(truth, 0.0)
        majority += majority_accuracy(answers, truth, rng)
    return {"greedy_accuracy": greedy / n, "majority_accuracy": majority / n, "mean_sample_accuracy": sample / n}


def shipped_policy(n: int, seed: int, temperature: float) -> dict[str, object]:
    located = base_policy_path("default")
    model, tokenizer = load_policy(str(located.path))
    report = evaluate_on_task(model, tokenizer, n=n, seed=seed, k=K, temperature=temperature, max_new_tokens=32)
    return report.to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.8, 0.7, 0.6])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "task_premise.json"))
    args = parser.parse_args()
    torch.set_num_threads(1)  # docs/concepts/builtin-task.md: one thread is the robust choice on a shared 2-core machine
    config = ArithmeticConfig()
    located = base_policy_path("default")
    record = json.loads((located.path / "alft_warmup.json").read_text())
    results: dict[str, object] = {
        "n_problems": args.n,
        "k": K,
        "seed": args.seed,
        "task": {"min_ops": config.min_ops, "max_ops": config.max_ops, "error_rate": config.error_rate},
        "base_policy": {
            "checksums": (located.path / CHECKSUMS).read_text().splitlines(),
            "warmup_seconds": record["seconds"],
            "warmup_final_loss": record["final_loss"],
            "warmup_recipe": record["config"],
        },
        "by_temperature": {},
        "machine": platform.platform(),
    }
    for temperature in args.temperatures:
        start = time.perf_counter()
        shipped = shipped_policy(args.n, args.seed, temperature)
        exact = exact_trace_policy(args.n, args.seed, temperature, config)
        gap = shipped["majority_accuracy"] - shipped["greedy_accuracy"]
        results["by_temperature"][str(temperature)] = {
            "shipped": shipped,
            "shipped_majority_minus_greedy": gap,
            "exact_trace_policy": exact,
            "seconds": time.perf_counter() - start,
        }
        print(f"T={temperature}: shipped greedy {shipped['greedy_accuracy']:.3f} majority "
              f"{shipped['majority_accuracy']:.3f} sample {shipped['mean_sample_accuracy']:.3f} (gap {gap:+.3f}); "
              f"exact-trace greedy {exact['greedy_accuracy']:.3f} majority {exact['majority_accuracy']:.3f}",
              flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
