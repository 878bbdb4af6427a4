"""Cost of grouping a GRPO batch of 1024 groups × K = 16 by answer mix: alft's grouping against today's (issue 20).

Four mixes, each a batch of problems whose K answers are drawn from a few spellings of the right value and of
one to three wrong values (as a sampled group looks):

* ``numeric``: integers only;
* ``math_like``: 60 % of the problems have integer answers, 40 % fractions, roots, π multiples, intervals,
  points, expressions, equations, percentages or words (MATH's answer types), in several spellings each;
* ``symbolic``: every problem of the second kind, each problem with its own values (so a batch brings ≈ 4
  distinct new strings per group: the cost at first sight is bound by parsing them);
* ``symbolic_shared``: the same, over 32 problems only, as in the issue's measurement (the same answer strings
  and pairs recur in every group and every step);
* ``adversarial``: every group holds 16 distinct near-equal forms (equal values in many spellings, and values
  that differ by 1e-3…1e-7: ``\\sqrt{12}``, ``3.464102``, ``3.4641``, ``2\\sqrt{3}+10^{-6}``, …).

For each mix, on one core (the process and its judge pinned to it):

* ``first_sight``: caches empty, judge started beforehand (its start-up, ≈ 1.5 s once per process, is reported
  apart), the batch's answers never seen;
* ``steady``: a later step — the same problems, the groups drawn again after ``--warm-steps`` earlier steps, so
  almost every answer string was seen before (the new ones are counted);
* ``today``: the grouping of commit d65db5e (``grouping_baseline.py``) on the same first-sight batch, in the same
  run; on ``--today-groups`` groups when that is fewer than the batch (its cost is per group, so it is scaled).

CPU seconds count this process and its judge processes. The ratio is today's CPU over alft's.

    python benchmarks/answers_grouping.py [--groups 1024] [--k 16] [--today-groups 1024] [--seed 0]

Writes benchmarks/results/answers_grouping.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from alft.answers import AnswerEquivalence, clear_caches  # noqa: E402
from alft.answers.judge import JUDGES  # noqa: E402
from one_core import pin_to_one_core  # noqa: E402

TARGETS = {"symbolic": {"steady": 1.0, "first_sight": 5.0}, "symbolic_shared": {"steady": 1.0, "first_sight": 5.0},
           "math_like": {"steady": 0.2}}
"""CPU seconds per 1024 × 16 batch that issue 20 asks for."""
ISSUE_TODAY_SECONDS = 50.0
"""Today's grouping of the issue's all-symbolic batch as the issue measured it: its targets are ratios against
today's grouping in one run (≤ 5 s first sight = 10× faster, ≤ 1 s steady = 50×), as machines differ."""
SHARED_PROBLEMS = 32
TODAY_GROUPS_CAP = {"adversarial": 128}
"""Today's grouping needs ≈ 0.6 s a group on the adversarial mix: timed on fewer groups and scaled."""
NAMES = ["Evelyn", "Paris", "Tuesday", "yes", "no", "Alice", "Bob", "circle", "even", "odd"]


def spellings_of_fraction(p: int, q: int) -> list[str]:
    value = Fraction(p, q)
    p, q = value.numerator, value.denominator
    sign = "-" if p < 0 else ""
    p = abs(p)
    out = [f"{sign}\\frac{{{p}}}{{{q}}}", f"{sign}\\dfrac{{{p}}}{{{q}}}", f"{sign}{p}/{q}", f"\\frac{{{sign}{p}}}{{{q}}}",
           f"{sign}\\frac{{{2 * p}}}{{{2 * q}}}"]
    if 10**6 % q == 0:
        out.append(f"{float(value):g}")
    return out


def symbolic_problem(rng: random.Random) -> list[list[str]]:
    """The spellings of a right value and of some wrong ones, for one problem with a symbolic answer."""
    kind = rng.choice(["fraction", "root", "pi", "interval", "point", "expression", "equation", "percent", "word",
                       "root_fraction"])

    def value(shift: int) -> list[str]:
        a, b = rng.randint(1, 9) + shift, rng.choice([2, 3, 5, 6, 7, 10, 11, 13])
        if kind == "fraction":
            return spellings_of_fraction(rng.randint(-20, 40) + shift, rng.randint(2, 24))
        if kind == "root":
            return [f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"{a} \\sqrt{{{b}}}", f"\\sqrt{{{b}}}\\cdot {a}"]
        if kind == "root_fraction":
            return [f"\\frac{{{a}\\sqrt{{{b}}}}}{{{b + 1}}}", f"\\frac{{{a}}}{{{b + 1}}}\\sqrt{{{b}}}",
                    f"\\dfrac{{{a}\\sqrt{b}}}{{{b + 1}}}"]
        if kind == "pi":
            return [f"{a}\\pi", f"\\frac{{{a}\\pi}}{{{b}}}" if shift % 2 else f"{a} \\pi", f"\\pi \\cdot {a}"]
        if kind == "interval":
            lo = rng.randint(-9, 5)
            return [f"({lo},{lo + a}]", f"({lo}, {lo + a}]", f"\\left({lo},{lo + a}\\right]", f"{lo} < x \\le {lo + a}"]
        if kind == "point":
            return [f"({a},{b})", f"({a}, {b})", f"\\left({a}, {b}\\right)"]
        if kind == "expression":
            return [f"{a}x+{b}", f"{b}+{a}x", f"{a}x + {b}", f"x\\cdot{a}+{b}"]
        if kind == "equation":
            return [f"y = {a}x + {b}", f"y={a}x+{b}", f"y = {b} + {a}x"]
        if kind == "percent":
            return [f"{a * 5}\\%", f"{a * 5} \\%", f"{a * 5}\\text{{ percent}}"]
        name = NAMES[(a + shift) % len(NAMES)]
        return [f"\\text{{{name}}}", name, f"\\textbf{{{name}}}"]

    return [value(shift) for shift in range(rng.randint(2, 4))]


def integer_problem(rng: random.Random) -> list[list[str]]:
    right = rng.randint(0, 2000)
    values = [right] + [right + rng.randint(1, 50) for _ in range(rng.randint(1, 3))]
    return [[str(v), f"{v:,}" if v >= 1000 else f"{v}.0", f"\\boxed{{{v}}}"] for v in values]


def adversarial_problem(rng: random.Random) -> list[list[str]]:
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 7])
    exact = a * b**0.5
    forms = [f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", f"\\frac{{{a * b}}}{{\\sqrt{{{b}}}}}", f"{a}\\cdot\\sqrt{{{b}}}",
             f"\\sqrt{{{b}}}{a}", f"{exact:.6f}", f"{exact:.4f}", f"{exact:.7f}", f"{a}\\sqrt{{{b}}}+10^{{-6}}",
             f"{a}\\sqrt{{{b}}}-10^{{-7}}", f"\\sqrt{{{a * a * b}.001}}", f"{a}\\sqrt{{{b}}}\\cdot 1.000001",
             f"\\frac{{{2 * a}\\sqrt{{{b}}}}}{{2}}", f"{exact:.3f}", f"\\sqrt{{{a * a * b - 1}}}", f"{a + 1}\\sqrt{{{b}}}"]
    return [[form] for form in forms]


def problems(mix: str, n: int, rng: random.Random) -> list[list[list[str]]]:
    def one() -> list[list[str]]:
        if mix == "numeric":
            return integer_problem(rng)
        if mix == "adversarial":
            return adversarial_problem(rng)
        if mix == "symbolic" or rng.random() < 0.4:
            return symbolic_problem(rng)
        return integer_problem(rng)

    if mix == "symbolic_shared":
        shared = [symbolic_problem(rng) for _ in range(SHARED_PROBLEMS)]
        return [shared[rng.randrange(SHARED_PROBLEMS)] for _ in range(n)]
    return [one() for _ in range(n)]


def draw_groups(batch: list[list[list[str]]], K: int, rng: random.Random) -> list[list[str]]:
    """K answers per problem: a skewed choice of value, then a uniform choice of its spelling."""
    groups = []
    for values in batch:
        if len(values) == K:  # adversarial: one of each form
            groups.append([v[0] for v in rng.sample(values, K)])
            continue
        weights = [rng.random() ** 2 for _ in values]
        groups.append([rng.choice(rng.choices(values, weights)[0]) for _ in range(K)])
    return groups


def cpu_now() -> float:
    return time.process_time() + JUDGES.cpu_seconds


def timed(function, *args) -> tuple[object, float, float]:
    cpu, wall = cpu_now(), time.perf_counter()
    out = function(*args)
    return out, cpu_now() - cpu, time.perf_counter() - wall


def fresh_judge() -> float:
    """Stop the judges and start one again (on a string no batch holds); its start-up CPU seconds."""
    JUDGES.close()
    _, cpu, _ = timed(AnswerEquivalence().group, ["\\zeta", "\\aleph"])
    clear_caches()
    return cpu


def run_mix(mix: str, args: argparse.Namespace, today_class) -> dict:
    rng = random.Random(f"{args.seed}-{mix}")
    batch = problems(mix, args.groups, rng)
    first_groups = draw_groups(batch, args.k, rng)
    grouper = AnswerEquivalence()
    startup = fresh_judge()
    first, first_cpu, first_wall = timed(grouper.group_batch, first_groups)
    for _ in range(args.warm_steps):
        grouper.group_batch(draw_groups(batch, args.k, rng))
    steady_groups = draw_groups(batch, args.k, rng)
    steady, steady_cpu, steady_wall = timed(grouper.group_batch, steady_groups)
    repeat, repeat_cpu, _ = timed(grouper.group_batch, steady_groups)

    n_today = min(args.today_groups, args.groups, TODAY_GROUPS_CAP.get(mix, args.groups))
    clear_math_verify_caches()
    today, today_cpu, today_wall = timed(today_class().group_batch, first_groups[:n_today])
    scale = args.groups / n_today
    same = sum(a == b for a, b in zip(today.class_ids, first.class_ids[:n_today]))
    targets = TARGETS.get(mix, {})
    return {
        "groups": args.groups,
        "distinct_strings": len({a for g in first_groups for a in g}),
        "judge_startup_cpu_seconds": startup,
        "first_sight": {"cpu_seconds": first_cpu, "wall_seconds": first_wall, "parses": first.stats.parses,
                        "verifies": first.stats.verifies, "fallbacks": first.stats.fallbacks},
        "steady": {"cpu_seconds": steady_cpu, "wall_seconds": steady_wall, "parses": steady.stats.parses,
                   "verifies": steady.stats.verifies, "cache_hits": steady.stats.cache_hits,
                   "same_batch_again_cpu_seconds": repeat_cpu},
        "today": {"groups_measured": n_today, "cpu_seconds": today_cpu * scale, "wall_seconds": today_wall * scale,
                  "scaled_from": n_today, "parses": today.stats.parses, "verifies": today.stats.verifies},
        "today_over_first_sight_cpu": today_cpu * scale / first_cpu,
        "today_over_steady_cpu": today_cpu * scale / steady_cpu,
        "groups_with_the_same_classes_as_today": same / n_today,
        "targets_cpu_seconds": targets,
        "meets_targets": {name: (first_cpu if name == "first_sight" else steady_cpu) <= limit
                          for name, limit in targets.items()},
        "meets_target_ratios": {name: today_cpu * scale / (first_cpu if name == "first_sight" else steady_cpu)
                                >= ISSUE_TODAY_SECONDS / limit
                                for name, limit in targets.items() if mix.startswith("symbolic")},
    }


def clear_math_verify_caches() -> None:
    """math-verify memoises some parsing in the calling process; today's grouping starts without it."""
    from math_verify import parser

    parser.parse_latex_cached.cache_clear()
    parser.parse_expr_cached.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1024)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--today-groups", type=int, default=1024, help="groups today's grouping is timed on")
    parser.add_argument("--warm-steps", type=int, default=3)
    parser.add_argument("--mixes", nargs="+", default=["numeric", "math_like", "symbolic", "symbolic_shared", "adversarial"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "answers_grouping.json")
    args = parser.parse_args()
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    core = pin_to_one_core()
    from grouping_baseline import AnswerEquivalence as Today

    Today().group(["\\frac{1}{2}", "\\sqrt{2}"])  # math-verify imported in this process too, before any timing
    mixes = {}
    for mix in args.mixes:
        mixes[mix] = run_mix(mix, args, Today)
        print(mix, json.dumps(mixes[mix], indent=1), flush=True)
    result = {
        "benchmark": "answers_grouping",
        "sizes": {"groups": args.groups, "K": args.k, "warm_steps": args.warm_steps},
        "mixes": mixes,
        "seed": args.seed,
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(), "pinned_core": core,
                    "load_average_1min": os.getloadavg()[0]},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
