"""Benchmark: BVPO on the built-in task, every method over several seeds (issue 23; docs/concepts/bvpo.md).

Methods (alft.bvpo.compare.METHODS): α ∈ {0, 0.25, 0.5, 0.75} on both pair sets, α̂* re-estimated every step,
DPO on the trace pairs (α = 1) and the budget-matched control (DPO on twice the trace pairs). Per seed one
``alft bvpo --methods all --seed S`` run folder under benchmarks/results/bvpo_training_runs/seed<S>/ (resumable:
a finished method is reused, so the script can be stopped and re-run). The aggregate — mean, sd and per-seed
values of every metric, and each method's paired difference to the budget-matched control — goes to
benchmarks/results/bvpo_training.json and .png.

Run: python benchmarks/bvpo_training.py [SEED ...]   (default seeds 0 1 2; one process, one torch thread)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from alft.bvpo.compare import METHODS, BVPOSettings, run_comparison

OUT = Path(__file__).parent / "results"
RUNS = OUT / "bvpo_training_runs"
METRICS = ("accuracy_trace_greedy", "accuracy_trace_sample", "accuracy_empty_greedy", "accuracy_empty_sample",
           "marginal_preference_accuracy", "trace_length", "var_mixed", "mean_alpha", "seconds_per_step")
CONTROL = "dpo-trace-2x"


def settings(seed: int) -> BVPOSettings:
    return BVPOSettings(seed=seed, methods=tuple(METHODS))


def aggregate(summaries: dict[int, dict]) -> dict:
    seeds = sorted(summaries)
    out: dict = {"seeds": seeds, "settings": {k: v for k, v in summaries[seeds[0]]["settings"].items() if k != "seed"},
                 "base": {}, "methods": {}, "vs_budget_matched_control": {}}
    for key in ("accuracy_trace_greedy", "accuracy_empty_greedy", "marginal_preference_accuracy", "trace_length"):
        values = [summaries[s]["base"][key] for s in seeds]
        out["base"][key] = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
                            "per_seed": values}
    for name in METHODS:
        have = [s for s in seeds if name in summaries[s]["methods"]]
        if not have:
            continue
        row = {"seeds": have}
        for key in METRICS:
            values = [summaries[s]["methods"][name].get(key) for s in have]
            if any(v is None for v in values):
                continue
            row[key] = {"mean": float(np.mean(values)), "sd": float(np.std(values, ddof=1)) if len(values) > 1 else None,
                        "per_seed": values}
        out["methods"][name] = row
        both = [s for s in have if CONTROL in summaries[s]["methods"]]
        if name != CONTROL and both:
            diffs = {}
            for key in ("accuracy_trace_greedy", "accuracy_trace_sample", "accuracy_empty_greedy", "marginal_preference_accuracy"):
                d = [summaries[s]["methods"][name][key] - summaries[s]["methods"][CONTROL][key] for s in both]
                diffs[key] = {"mean": float(np.mean(d)), "sd": float(np.std(d, ddof=1)) if len(d) > 1 else None,
                              "per_seed": d, "wins": int(sum(x > 0 for x in d)), "seeds": len(d)}
            out["vs_budget_matched_control"][name] = diffs
    out["pairs_kept"] = [summaries[s]["pairs"]["prompts_kept"] for s in seeds]
    out["base_gradient_variance"] = {s: summaries[s]["base_variance"] for s in seeds}
    return out


def plot(result: dict, runs: dict[int, Path], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result["methods"])
    keys = [("accuracy_trace_greedy", "acc. with trace"), ("accuracy_empty_greedy", "acc. trace empty"),
            ("marginal_preference_accuracy", "marginal pref. acc.")]
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    width = 0.8 / len(keys)
    for j, (key, label) in enumerate(keys):
        x = np.arange(len(names)) + j * width
        means = [result["methods"][n][key]["mean"] for n in names]
        sds = [result["methods"][n][key]["sd"] or 0.0 for n in names]
        bars = axes[0].bar(x, means, width, yerr=sds, capsize=2, label=label)
        axes[0].axhline(result["base"][key]["mean"], color=bars.patches[0].get_facecolor(), ls="--", lw=1)
    axes[0].set_xticks(np.arange(len(names)) + width, names, rotation=30, ha="right")
    axes[0].set_title(f"mean ± sd over seeds {result['seeds']} (dashed: base)")
    axes[0].legend(fontsize=8)
    for name in names:
        lengths, alphas = [], []
        for seed, folder in runs.items():
            file = folder / "methods" / f"{name}.json"
            if file.exists():
                data = json.loads(file.read_text())
                lengths.append(np.array(data["trace_length_over_training"]))
                alphas.append(data["alpha_per_step"])
        if lengths:
            steps = lengths[0][:, 0]
            axes[2].plot(steps, np.mean([l[:, 1] for l in lengths], axis=0), marker="o", ms=3, label=name)
        if name == "alpha-hat" and alphas:
            a = np.array(alphas)
            axes[1].plot(range(1, a.shape[1] + 1), a.mean(0), label="α̂* (mean over seeds)")
            axes[1].fill_between(range(1, a.shape[1] + 1), a.min(0), a.max(0), alpha=0.25, label="min–max over seeds")
    axes[1].axhline(0.5, color="grey", ls=":", label="paper's 0.5")
    axes[1].set(title="α̂* per step", xlabel="step", ylim=(-0.05, 1.05))
    axes[1].legend(fontsize=8)
    axes[2].set(title="trace length (held-out samples, mean over seeds)", xlabel="step", ylabel="tokens before the answer")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(seeds: list[int]) -> None:
    import datasets
    import transformers

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    summaries, runs = {}, {}
    for seed in seeds:
        folder = RUNS / f"seed{seed}"
        start = time.perf_counter()
        summaries[seed] = run_comparison(settings(seed), folder, log=lambda line, s=seed: print(f"[seed {s}] {line}", flush=True))
        runs[seed] = folder
        print(f"[seed {seed}] {time.perf_counter() - start:.0f} s", flush=True)
    # include every finished seed folder, not only those asked for now
    for folder in sorted(RUNS.glob("seed*")):
        seed = int(folder.name[4:])
        if seed not in summaries and (folder / "summary.json").exists():
            summaries[seed], runs[seed] = json.loads((folder / "summary.json").read_text()), folder
    result = aggregate(summaries)
    (OUT / "bvpo_training.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, runs, OUT / "bvpo_training.png")
    print(json.dumps(result["vs_budget_matched_control"], indent=1))


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1:]] or [0, 1, 2])
