"""The failure warning (alft.integrations.trl.FailureTest) measured: its false-alarm rate on stationary runs, and
when it fires on the runs that fail, replayed from their logged metrics (the test sees only what a run logs).

1. ``null``: i.i.d. Gaussian steps, μ and σ estimated from the first 10 (as the test does): the fraction of
   5000 simulated runs of 3200 steps that raise a false alarm, for the default test.
2. ``runs``: each run folder's metrics.jsonl replayed through the test: the step it fires at and its evidence.
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
from pathlib import Path

import numpy as np

from alft.integrations.trl import FailureTest

RESULT = Path(__file__).parent / "results" / "failure_warning.json"
STEPS = 3200


def null_false_alarms(seed: int, runs: int = 5000, steps: int = STEPS) -> dict[str, float]:
    """The default test's CUSUM on i.i.d. N(0, 1) steps, baseline estimated from its first steps, vectorised."""
    test = FailureTest()
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((runs, test.baseline_steps))
    mu, sigma = base.mean(axis=1), base.std(axis=1, ddof=1)
    statistic, alarmed = np.zeros(runs), np.zeros(runs, dtype=bool)
    for _ in range(steps - test.baseline_steps):
        statistic = np.maximum(0.0, statistic + (mu - rng.standard_normal(runs)) / sigma - test.slack)
        alarmed |= statistic > test.threshold
    return {"runs": runs, "steps": steps, "false_alarm_rate": float(alarmed.mean()),
            "standard_error": float(np.sqrt(alarmed.mean() * (1 - alarmed.mean()) / runs))}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True, help="folder holding the run folders")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    runs = {folder.name: replay(folder) for folder in sorted(args.runs.iterdir()) if (folder / "metrics.jsonl").exists()}
    result = {"test": {"baseline_steps": FailureTest().baseline_steps, "slack": FailureTest().slack,
                       "threshold": FailureTest().threshold},
              "null": null_false_alarms(args.seed), "runs": runs}
    RESULT.write_text(json.dumps(result, indent=1) + "\n")
    for name, run in runs.items():
        warning = run["warning"]
        print(f"{name}: {run['steps_logged']} steps, " + ("no warning" if warning is None else
              f"warns at step {warning['step']} ({warning['kind']})"))
    print(f"null false-alarm rate in {STEPS} steps: {result['null']['false_alarm_rate']:.3f}")


if __name__ == "__main__":
    main()
