"""Cost of grouping a GRPO group of 16 answers: alft's grouping vs naive all-pairs math-verify (docs/concepts/answers.md#equivalence).

Naive: parse all 16 answers, verify all 120 pairs. alft: canonicalise, merge identical strings and plain
numbers exactly, parse each distinct string once (in its judge process), verify only pairs whose candidate keys
match. alft's caches are emptied before every timed call, so each group is timed at first sight (the cost
across steps is ``benchmarks/answers_grouping.py``'s). Both run on the same groups; the result is their ratio
(wall time: alft's math-verify runs in its judge process), plus whether the partitions agree.

    python benchmarks/answers_equivalence.py [--groups 20] [--seed 0]

Writes benchmarks/results/answers_equivalence.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import time
from pathlib import Path

import numpy as np

from alft.answers import AnswerEquivalence, clear_caches

# A pool with the kinds of answers a math model produces: equal values in several notations, near-misses,
# expressions, plain numbers, and a little junk.
MATH_POOL = [
    "\\frac{1}{2}", "0.5", "1/2", "\\dfrac{1}{2}", "2\\sqrt{3}", "\\sqrt{12}", "3\\sqrt{2}", "\\sqrt{18}",
    "x+1", "1+x", "x^2-1", "(x-1)(x+1)", "\\pi", "3.14", "12", "12.0", "13", "-4", "\\{1,2\\}", "\\frac{3}{4}",
    "0.75", "\\text{none}", "e^{2}", "\\infty",
]
SIZE = 16


def naive_classes(answers: list[str]) -> list[int]:
    """All-pairs math-verify: parse every answer, verify every pair, union the matches."""
    import math_verify
    from scipy.cluster.hierarchy import DisjointSet

    parsed = [math_verify.parse(f"${a}$") for a in answers]
    classes = DisjointSet(range(len(answers)))
    for i, j in itertools.combinations(range(len(answers)), 2):
        if math_verify.verify(parsed[i], parsed[j]):
            classes.merge(i, j)
    return [classes[i] for i in range(len(answers))]


def same_partition(a: list, b: list) -> bool:
    return all((a[i] == a[j]) == (b[i] == b[j]) for i, j in itertools.combinations(range(len(a)), 2))


def draw_groups(rng: np.random.Generator, n_groups: int) -> list[list[str]]:
    """Groups of 16 with realistic repetition: each group draws from 6 pool answers, skewed."""
    groups = []
    for _ in range(n_groups):
        support = rng.choice(len(MATH_POOL), size=6, replace=False)
        weights = rng.dirichlet(np.full(6, 0.7))
        groups.append([MATH_POOL[i] for i in rng.choice(support, size=SIZE, p=weights)])
    return groups


def clear_math_verify_caches() -> None:
    """math-verify memoises LaTeX parsing; clear it so neither method profits from the other's work."""
    from math_verify import parser

    parser.parse_latex_cached.cache_clear()
    parser.parse_expr_cached.cache_clear()


def timed(function, *args):
    clear_math_verify_caches()
    clear_caches()
    start = time.perf_counter()
    value = function(*args)
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    groups = draw_groups(rng, args.groups)
    integers = [[str(int(v)) for v in rng.integers(-20, 60, size=SIZE)] for _ in range(args.groups)]
    equivalence = AnswerEquivalence()
    equivalence.group(["\\frac{1}{2}", "0.5"])  # warm math-verify's imports and caches for both methods
    naive_classes(["\\frac{1}{2}", "0.5"])

    naive_seconds, alft_seconds, agree, verifies = 0.0, 0.0, 0, 0
    for group in groups:
        naive, seconds = timed(naive_classes, group)
        naive_seconds += seconds
        grouping, seconds = timed(equivalence.group, group)
        alft_seconds += seconds
        verifies += grouping.stats.verifies
        agree += same_partition(naive, list(grouping.class_ids))
    batch, batch_seconds = timed(equivalence.group_batch, groups)
    naive_int_seconds = sum(timed(naive_classes, g)[1] for g in integers)
    alft_int, alft_int_seconds = timed(equivalence.group_batch, integers)

    n = len(groups)
    result = {
        "benchmark": "answers_equivalence",
        "group_size": SIZE,
        "groups": n,
        "seed": args.seed,
        "math_groups": {
            "naive_seconds_per_group": naive_seconds / n,
            "alft_seconds_per_group": alft_seconds / n,
            "alft_batch_seconds_per_group": batch_seconds / n,
            "speedup": naive_seconds / alft_seconds,
            "speedup_batch": naive_seconds / batch_seconds,
            "naive_verifies_per_group": SIZE * (SIZE - 1) // 2,
            "alft_verifies_per_group": verifies / n,
            "alft_batch_parses": batch.stats.parses,
            "partitions_agree": agree / n,
        },
        "integer_groups": {
            "naive_seconds_per_group": naive_int_seconds / n,
            "alft_seconds_per_group": alft_int_seconds / n,
            "speedup": naive_int_seconds / alft_int_seconds,
            "alft_math_verify_calls": alft_int.stats.parses + alft_int.stats.verifies,
        },
        "steps_of_64_groups_seconds": {"naive": 64 * naive_seconds / n, "alft": 64 * batch_seconds / n},
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
    }
    out = Path(__file__).parent / "results" / "answers_equivalence.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
