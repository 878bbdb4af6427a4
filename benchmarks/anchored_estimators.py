"""Does the estimator matter in training? The anchored game with plugin, digamma and aqp where bias can show.

Issue 12: at the default K = 8, M = 64, s = 2 the reference answers' own noise (TV ≈ 0.95/√M) is larger than any
table's bias, so the tables differ in speed only. Here the game is played where docs/concepts/estimators.md#bias-moves-the-equilibrium says the bias
shifts the fixed point most: a larger group (K = 16), many more reference answers (M = 255) and a sharper
target (s = 3). Each (estimator, seed) is one ``run_training`` run from the shipped base policy (two at a
time, one torch thread each); the distance to p̂* is measured on ``--probe-prompts`` training prompts ×
``--probe-samples`` samples. Writes benchmarks/results/anchored_estimators_K<K>_M<M>_s<s>.json.

    python benchmarks/anchored_estimators.py [--seeds 0 1] [-k 16] [--reference-draws 255] [--sharpening 3]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from training_runs import prompts_with_references, run_or_reuse

HERE = Path(__file__).parent
RUNS = HERE / "runs" / "anchored_estimators"
ESTIMATORS = ("plugin", "digamma", "aqp")
METRICS = ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy", "answer_entropy")


def settings_for(args: argparse.Namespace, estimator: str, seed: int) -> Any:
    from alft.games.objectives import sharpened
    from alft.games import Reward
    from alft.training.settings import DataSettings, TrainSettings, task_extractor

    return TrainSettings(reward=Reward(sharpened(args.sharpening), estimator, extractor=task_extractor(None)),
                         num_generations=args.k, steps=args.steps, seed=seed, prompts_per_step=args.prompts_per_step,
                         data=DataSettings(reference_draws=args.reference_draws, eval_problems=args.eval_problems,
                                           probe_prompts=args.probe_prompts, probe_samples=args.probe_samples))


def run_one(args: argparse.Namespace, estimator: str, seed: int) -> dict[str, Any]:
    folder = RUNS / f"K{args.k}-M{args.reference_draws}-s{args.sharpening:g}" / f"{estimator}-seed{seed}"
    return run_or_reuse(settings_for(args, estimator, seed), folder, f"{estimator} seed {seed}")


def row(estimator: str, seed: int, summary: dict[str, Any]) -> dict[str, Any]:
    eq = summary["equilibrium"]
    out: dict[str, Any] = {"estimator": estimator, "seed": seed}
    for key in METRICS:
        out[f"{key}_delta"] = summary["after"][key] - summary["before"][key]
    out.update(tv_before=eq["before"]["tv_to_p_star"], tv_after=eq["after"]["tv_to_p_star"],
               tv_floor=eq["after"]["tv_floor"], best_exponent=eq["after"]["best_exponent"],
               tv_during=[(d["step"], d["tv_to_p_star"]) for d in eq["during"]])
    return out


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for estimator in dict.fromkeys(r["estimator"] for r in rows):
        mine = [r for r in rows if r["estimator"] == estimator]
        entry: dict[str, Any] = {"estimator": estimator, "seeds": [r["seed"] for r in mine]}
        for key in [f"{m}_delta" for m in METRICS] + ["tv_after", "best_exponent"]:
            values = [r[key] for r in mine if r.get(key) is not None]
            entry[f"{key}_mean"] = statistics.fmean(values)
            entry[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        out.append(entry)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS)
    parser.add_argument("-k", type=int, default=16)
    parser.add_argument("--reference-draws", type=int, default=255)
    parser.add_argument("--sharpening", type=float, default=3.0)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--prompts-per-step", type=int, default=4)
    parser.add_argument("--eval-problems", type=int, default=500)
    parser.add_argument("--probe-prompts", type=int, default=128)
    parser.add_argument("--probe-samples", type=int, default=256)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    jobs = [(e, s) for s in args.seeds for e in args.estimators]
    prompts_with_references(settings_for(args, *jobs[0]))  # drawn once here; the parallel runs read the cache
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        summaries = dict(zip(jobs, pool.map(run_one, [args] * len(jobs), *zip(*jobs))))
    rows = [row(e, s, summaries[(e, s)]) for e, s in jobs]
    result = {"settings": {k: v for k, v in vars(args).items() if k != "jobs"}, "rows": rows,
              "aggregate": aggregate(rows), "machine": platform.platform()}
    path = HERE / "results" / f"anchored_estimators_K{args.k}_M{args.reference_draws}_s{args.sharpening:g}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["aggregate"], indent=2))


if __name__ == "__main__":
    main()
