"""Issue 12's training targets: the anchored default at 1× and 4× its steps, plain coherence beside it, 3 seeds.

Every run is ``alft.training.run_training`` on the built-in task from the shipped base policy, with the default
preset except the equilibrium probe, enlarged to ``--probe-prompts`` training prompts × ``--probe-samples``
samples (issue 12: ≥ 100 × ≥ 256). Runs:

* ``anchored-1x``: the default game (p* ∝ p_ref^2, aqp), 200 steps;
* ``anchored-4x``: the same game, 800 steps;
* ``coherence-4x``: plain Coherence-GRPO (``--allow-collapse``), 800 steps, same learning rate;

each for seeds 0, 1, 2 (two runs at a time, one torch thread each). Accuracy is on the same 1000 held-out
problems for every run (paired). The equilibrium yardsticks, on the probe prompts:

* ``sampling_floor``: TV of n draws from p̂* to p̂* (the run's own floor);
* ``reference_floor``: a policy exactly at p̂*_B, the p* estimated from an *independent* set of M reference
  answers, scored like the runs (n draws) against the run's p̂*_A: what a policy exactly at the true p* could
  be expected to score, reference noise included;
* ``excess_closed``: (TV before − TV after) / (TV before − reference floor).

Run folders are kept under benchmarks/runs/ (re-running resumes). Writes
benchmarks/results/anchored_training.json and .png.

    python benchmarks/anchored_training.py [--seeds 0 1 2] [--jobs 2]
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

import numpy as np
from training_runs import prompts_with_references, run_or_reuse

HERE = Path(__file__).parent
RUNS = HERE / "runs" / "anchored_training"
RESULT = HERE / "results" / "anchored_training.json"
DEFAULT_STEPS = 200
GROUPS = {  # name: (objective or None for the default game, steps, allow_collapse)
    "anchored-1x": (None, DEFAULT_STEPS, False),
    "anchored-4x": (None, 4 * DEFAULT_STEPS, False),
    "coherence-4x": ("coherence", 4 * DEFAULT_STEPS, True),
}
METRICS = ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy", "answer_entropy")


def settings_for(group: str, seed: int, probe_prompts: int, probe_samples: int) -> Any:
    from alft.games import Reward
    from alft.training.settings import DataSettings, TrainSettings, task_extractor

    objective, steps, allow_collapse = GROUPS[group]
    return TrainSettings(reward=Reward(objective, extractor=task_extractor(None), allow_collapse=allow_collapse), steps=steps,
                         seed=seed, data=DataSettings(probe_prompts=probe_prompts, probe_samples=probe_samples))


def run_one(group: str, seed: int, probe_prompts: int, probe_samples: int) -> dict[str, Any]:
    settings = settings_for(group, seed, probe_prompts, probe_samples)
    return run_or_reuse(settings, RUNS / f"{group}-seed{seed}", f"{group} seed {seed}")


def reference_floor(probe_prompts: int, probe_samples: int, seed: int) -> dict[str, float]:
    """TV of n draws from p̂*_B (an independent reference set) to the runs' p̂*_A, on the probe prompts."""
    from alft.task.evaluate import sample_answers
    from alft.task.loading import load_policy
    from alft.task.threads import one_torch_thread
    from alft.training.pipeline import base_policy
    from alft.games.probe import predicted_equilibrium, sampling_floor, sample_total_variation

    settings = settings_for("anchored-4x", seed, probe_prompts, probe_samples)
    train = prompts_with_references(settings)
    probe = train.select(range(probe_prompts))
    model, tokenizer = load_policy(base_policy(settings, show_progress=False).path)
    with one_torch_thread():
        independent = sample_answers(model, tokenizer, list(probe["prompt"]), k=settings.data.reference_draws,
                                     max_new_tokens=settings.max_completion_length,
                                     temperature=settings.temperature, seed=10_000 + seed,
                                     extractor=settings.reward.extractor)
    rng = np.random.default_rng(seed)
    s = settings.sharpening
    tvs, floors = [], []
    for own, other in zip((json.loads(r) for r in probe["reference_answers"]), independent):
        target, estimate = predicted_equilibrium(own, s), predicted_equilibrium(other, s)
        if not target or not estimate:
            continue
        keys = list(estimate)
        draws = rng.multinomial(probe_samples, np.array([estimate[k] for k in keys]))
        tvs.append(sample_total_variation([k for k, n in zip(keys, draws) for _ in range(n)], target))
        floors.append(sampling_floor(target, probe_samples, rng))
    return {"reference_floor": float(np.mean(tvs)), "sampling_floor": float(np.mean(floors)), "n_prompts": len(tvs),
            "reference_draws": settings.data.reference_draws}


def row(group: str, seed: int, summary: dict[str, Any], floor: float) -> dict[str, Any]:
    before, after = summary["before"], summary["after"]
    eq = summary["equilibrium"]
    out: dict[str, Any] = {"group": group, "seed": seed, "steps": summary["settings"]["steps"]}
    for key in METRICS:
        out[f"{key}_before"], out[f"{key}_after"] = before[key], after[key]
        out[f"{key}_delta"] = after[key] - before[key]
    if eq is not None:
        tv_before, tv_after = eq["before"]["tv_to_p_star"], eq["after"]["tv_to_p_star"]
        out.update(tv_before=tv_before, tv_after=tv_after, best_exponent=eq["after"]["best_exponent"],
                   best_exponent_before=eq["before"]["best_exponent"], probe_sampling_floor=eq["after"]["tv_floor"],
                   excess_closed=(tv_before - tv_after) / (tv_before - floor),
                   tv_during=[(d.get("step"), d["tv_to_p_star"]) for d in eq["during"]])
    out["seconds_total"] = summary["seconds"]["total"]
    return out


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for group in GROUPS:
        mine = [r for r in rows if r["group"] == group]
        if not mine:
            continue
        entry: dict[str, Any] = {"group": group, "seeds": [r["seed"] for r in mine]}
        for key in [f"{m}_delta" for m in METRICS] + ["tv_before", "tv_after", "excess_closed", "best_exponent"]:
            values = [r[key] for r in mine if r.get(key) is not None]
            if values:
                entry[f"{key}_mean"] = statistics.fmean(values)
                entry[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        out.append(entry)
    return out


def plot(rows: list[dict[str, Any]], floor: dict[str, float], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    colours = {"anchored-1x": "tab:blue", "anchored-4x": "tab:green", "coherence-4x": "tab:red"}
    for r in rows:
        if r.get("tv_during"):
            steps, tvs = zip(*[(s, t) for s, t in r["tv_during"] if s is not None])
            left.plot(steps, tvs, color=colours[r["group"]], alpha=0.35, lw=1)
            left.plot([0, r["steps"]], [r["tv_before"], r["tv_after"]], "o", color=colours[r["group"]],
                      label=r["group"] if r["seed"] == 0 else None)
    left.axhline(floor["sampling_floor"], color="grey", ls=":", label="floor: 256 draws from p̂*")
    left.axhline(floor["reference_floor"], color="grey", ls="--", label="p̂* of an independent reference set")
    left.set(xlabel="GRPO step", ylabel="mean TV to p̂*",
             title="distance to p* (dots: 128 × 256 probe; lines: 16 × 32 every 50 steps)")
    left.legend(fontsize=8)
    labels = ["greedy", "majority-of-8", "sample"]
    for i, group in enumerate(GROUPS):
        mine = [r for r in rows if r["group"] == group]
        for j, key in enumerate(METRICS[:3]):
            values = [100 * r[f"{key}_delta"] for r in mine]
            x = j + (i - 1) * 0.25
            right.bar(x, np.mean(values), 0.22, color=colours[group], label=group if j == 0 else None)
            right.scatter([x] * len(values), values, color="k", s=8, zorder=3)
    right.axhline(0, color="k", lw=0.8)
    right.set_xticks(range(3), labels)
    right.set(ylabel="change vs base policy (points)", title="accuracy, 1000 held-out problems, 3 seeds")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--groups", nargs="+", default=list(GROUPS), choices=list(GROUPS))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--probe-prompts", type=int, default=128)
    parser.add_argument("--probe-samples", type=int, default=256)
    parser.add_argument("--plot-only", action="store_true", help="redraw the PNG from the JSON")
    args = parser.parse_args()
    if args.plot_only:
        stored = json.loads(RESULT.read_text())
        plot(stored["rows"], stored["probe"], RESULT.with_suffix(".png"))
        return
    jobs = [(g, s) for g in sorted(args.groups, key=lambda g: -GROUPS[g][1]) for s in args.seeds]  # longest first
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        futures = {job: pool.submit(run_one, *job, args.probe_prompts, args.probe_samples) for job in jobs}
        floor_future = pool.submit(reference_floor, args.probe_prompts, args.probe_samples, 0)
        summaries = {job: f.result() for job, f in futures.items()}
        floor = floor_future.result()
    rows = [row(g, s, summaries[(g, s)], floor["reference_floor"]) for g, s in jobs]
    result = {"probe": {"prompts": args.probe_prompts, "samples": args.probe_samples, **floor},
              "rows": rows, "aggregate": aggregate(rows), "machine": platform.platform()}
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    plot(rows, floor, RESULT.with_suffix(".png"))
    print(json.dumps(result["aggregate"], indent=2))


if __name__ == "__main__":
    main()
