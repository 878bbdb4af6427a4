"""The failure warning (alft.integrations.trl.FailureTest) measured: its false-alarm rate on stationary runs, and
when it fires on the runs that fail, replayed from their logged metrics (the test sees only what a run logs).

1. ``null``: the fraction of 5000 simulated stationary runs of 3200 steps that raise a false alarm, with the
   test's own arithmetic (μ and σ from the first 10 steps, σ floored as ``accuracy_baseline`` floors it, the
   CUSUM): ``bootstrap`` resamples the per-step accuracies of the second halves of the 3200-step default runs
   (a real step's distribution: 8 prompts × 8 samples, discrete and bounded); ``gaussian`` draws N(0, 1) steps
   with σ estimated from the first 10 and no floor (a worst case the test's floor never allows).
2. ``tradeoff``: for other (slack, threshold) pairs, the bootstrap false-alarm rate beside the step each failing
   run is caught at: the faster settings pay in false alarms (the default is the first with < 1 %).
3. ``runs``: each run folder's metrics.jsonl replayed through the test: the step it fires at and its evidence.
   The folders are ``alft train`` runs (seed 0 unless named):

       alft train --objective coherence --allow-collapse --lr 3e-4 --steps 300 -o RUNS/coh_lr3e-4_s0
       alft train --peer ttrl --lr 3e-4 --steps 300 -o RUNS/ttrl_lr3e-4_s0
       alft train --lr 1e-3 --steps 300 -o RUNS/anch_lr1e-3_s0
       alft train --lr 3e-4 --steps 300 -o RUNS/anch_lr3e-4_s0
       alft train --steps 3200 --seed S -o RUNS/anch_3200_sS        (S = 0, 1, 2)

    python benchmarks/failure_warning.py --runs RUNS [--seed 0]

Writes benchmarks/results/failure_warning.json.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from alft.integrations.trl import FailureTest
from alft.integrations.trl.callbacks import accuracy_baseline

RESULT = Path(__file__).parent / "results" / "failure_warning.json"
STEPS = 3200
GROUPS = 8  # prompts per step of the default run: the floor of σ


def null_false_alarms(draw: Callable, floor: bool, runs: int = 5000, steps: int = STEPS,
                      test: FailureTest | None = None) -> dict[str, float]:
    """The test's CUSUM (default: the default test) on i.i.d. steps ``draw(shape)``, baseline from the first
    steps, vectorised."""
    test = test or FailureTest()
    base = draw((runs, test.baseline_steps))
    if floor:  # the test's own (μ, σ), floor included
        mu, sigma = np.array([accuracy_baseline(row, GROUPS) for row in base]).T
    else:
        mu, sigma = base.mean(axis=1), base.std(axis=1, ddof=1)
    statistic, alarmed = np.zeros(runs), np.zeros(runs, dtype=bool)
    for _ in range(steps - test.baseline_steps):
        statistic = np.maximum(0.0, statistic + (mu - draw(runs)) / sigma - test.slack)
        alarmed |= statistic > test.threshold
    rate = float(alarmed.mean())
    return {"runs": runs, "steps": steps, "false_alarm_rate": rate, "standard_error": float(np.sqrt(rate * (1 - rate) / runs))}


def stationary_accuracies(folders: list[Path]) -> np.ndarray:
    """Per-step sample accuracy of the second half of each long default run (where it sits at its equilibrium)."""
    values: list[float] = []
    for folder in folders:
        lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        values += [line["alft/sample_accuracy"] for line in lines[len(lines) // 2:]]
    return np.asarray(values)


def replay(folder: Path) -> dict[str, object]:
    """The test over a run's logged steps: where it fires (None if never), how many steps it saw."""
    test, evidence, steps = FailureTest(), None, 0
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        logs = json.loads(line)
        steps = logs["step"]
        evidence = evidence or test.add(logs["step"], logs)
    summary = json.loads((folder / "summary.json").read_text()) if (folder / "summary.json").exists() else None
    greedy = None if summary is None else [summary["before"]["greedy_accuracy"], summary["after"]["greedy_accuracy"]]
    return {"steps_logged": steps, "finished": summary is not None, "warning": evidence, "greedy_accuracy": greedy}


TRADEOFF = ((0.5, 6.0), (0.75, 6.0), (1.0, 6.0), (1.0, 9.0))


def first_warning(folder: Path, test: FailureTest) -> int | None:
    for line in (folder / "metrics.jsonl").read_text().splitlines():
        logs = json.loads(line)
        evidence = test.add(logs["step"], logs)
        if evidence is not None:
            return evidence["step"]
    return None


def tradeoff(folders: list[Path], pool: np.ndarray, seed: int) -> list[dict[str, object]]:
    """Per (slack, threshold): bootstrap false-alarm rate and the first warning step of every run."""
    out = []
    for slack, threshold in TRADEOFF:
        rng = np.random.default_rng(seed)
        rate = null_false_alarms(lambda shape: rng.choice(pool, shape), floor=True, runs=2000,
                                 test=FailureTest(slack=slack, threshold=threshold))
        out.append({"slack": slack, "threshold": threshold, "false_alarm_rate": rate["false_alarm_rate"],
                    "first_warning": {f.name: first_warning(f, FailureTest(slack=slack, threshold=threshold))
                                      for f in folders}})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="folder holding the run folders")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folders = [folder for folder in sorted(args.runs.iterdir()) if (folder / "metrics.jsonl").exists()]
    runs = {folder.name: replay(folder) for folder in folders}
    long = [folder for folder in folders if runs[folder.name]["steps_logged"] >= STEPS]
    pool, rng = stationary_accuracies(long), np.random.default_rng(args.seed)
    null = {"bootstrap": {**null_false_alarms(lambda shape: rng.choice(pool, shape), floor=True),
                          "from_runs": [f.name for f in long], "steps_pooled": int(pool.size),
                          "step_accuracy_mean": float(pool.mean()), "step_accuracy_sd": float(pool.std())},
            "gaussian": null_false_alarms(lambda shape: rng.standard_normal(shape), floor=False)}
    test = FailureTest()
    result = {"test": {"baseline_steps": test.baseline_steps, "slack": test.slack, "threshold": test.threshold},
              "null": null, "tradeoff": tradeoff(folders, pool, args.seed), "runs": runs}
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    for name, run in runs.items():
        warning = run["warning"]
        print(f"{name}: {run['steps_logged']} steps, " + ("no warning" if warning is None else
              f"warns at step {warning['step']} ({warning['kind']})"))
    for name, rate in null.items():
        print(f"null ({name}) false-alarm rate in {STEPS} steps: {rate['false_alarm_rate']:.4f}")


if __name__ == "__main__":
    main()
