"""The evidence studies of the anchored game (issue 24), on the built-in task from the shipped base policy.

Each study is a grid of ordinary ``alft train`` runs (``run_training``), one run folder per (method, setting,
seed) under ``--runs/<study>/``; a killed study resumes: finished runs are read back, an unfinished one
continues from its last checkpoint. Runs of one seed share the base policy's evaluation (it is seeded and the
same for every method), so it is made once and copied. Every run stores its per-problem outputs
(``eval_{before,after}_problems.jsonl``); the statistics below are computed from them.

* ``lr`` — learning-rate robustness: lr ∈ {3e-5, 1e-4, 3e-4, 1e-3} × {anchored s = 2, anchored s = 4,
  plain coherence, TTRL, EMPO} × 3 seeds, 300 steps.
* ``dial`` — the pass@1–pass@k dial: anchored s ∈ {1.25, 1.5, 2, 3, 4}, plain coherence, TTRL and EMPO,
  800 steps × 3 seeds; each anchored run's predicted p* point (pass@1, pass@8 of p* ∝ p̂_ref^s on the training
  prompts, from their reference answers).
* ``estimators`` — the table in training: K = 4, M = 255, s = 3, 300 steps, plugin / digamma / aqp × 6
  seeds; per-seed paired differences with t intervals, and per-problem paired tests (McNemar on greedy and
  majority correctness, a paired bootstrap over problems for sample accuracy).
* ``horizon`` — 3200 steps × 3 seeds of the anchored default and plain coherence, with held-out accuracy
  and pass@8 every 400 steps.

Writes benchmarks/results/study_<name>.json and .png.

    python benchmarks/studies.py lr [--seeds 0 1 2] [--runs benchmarks/runs] [--jobs 1] [--report-only]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import shutil
import statistics
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).parent
RESULTS = HERE / "results"
FALL_POINTS = 0.05  # "accuracy falls": the rolling batch accuracy 5 points under its first steps' level
FALL_WINDOW, FALL_BASELINE = 25, 10  # steps in the rolling mean; first steps that set the level
BOOTSTRAP = 10_000
# settings that decide the base policy's evaluation: runs equal in these share it
BASE_EVALUATION_KEYS = ("preset", "seed", "num_generations", "temperature", "max_completion_length",
                        "eval_problems", "task_seed", "model", "dataset")


@dataclass(frozen=True)
class Run:
    """One run of a study: its method, the settings that vary, and its seed."""

    method: str
    seed: int
    lr: float | None = None
    steps: int | None = None

    @property
    def name(self) -> str:
        lr = "" if self.lr is None else f"-lr{self.lr:g}"
        return f"{self.method.replace(':', '-')}{lr}-seed{self.seed}"


@dataclass(frozen=True)
class Study:
    """A grid of runs and what its report computes."""

    name: str
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    steps: int
    lrs: tuple[float | None, ...] = (None,)
    settings: dict[str, Any] = field(default_factory=dict)

    def runs(self, seeds: tuple[int, ...] | None = None) -> list[Run]:
        return [Run(m, s, lr, self.steps) for s in (seeds or self.seeds) for lr in self.lrs for m in self.methods]


STUDIES = {
    "lr": Study("lr", ("anchored-s2", "anchored-s4", "coherence", "ttrl", "empo"), (0, 1, 2), 300,
                lrs=(3e-5, 1e-4, 3e-4, 1e-3)),
    "dial": Study("dial", ("anchored-s1.25", "anchored-s1.5", "anchored-s2", "anchored-s3", "anchored-s4",
                           "coherence", "ttrl", "empo"), (0, 1, 2), 800),
    "estimators": Study("estimators", ("anchored-s3:plugin", "anchored-s3:digamma", "anchored-s3:aqp"),
                        (0, 1, 2, 3, 4, 5), 300,
                        settings={"num_generations": 4, "reference_draws": 255, "prompts_per_step": 16}),
    "horizon": Study("horizon", ("anchored-s2", "coherence"), (0, 1, 2), 3200, settings={"eval_steps": 400}),
}


def reward_for(method: str) -> Any:
    """``anchored-s<S>[:<table>]``, ``coherence`` (plain, collapse allowed) or a peer (``ttrl``, ``empo``)."""
    from alft.games import PEERS, Reward
    from alft.games.objectives import sharpened

    if method in PEERS:
        return Reward(peer=method, extractor="arithmetic")
    if method == "coherence":
        return Reward("coherence", extractor="arithmetic", allow_collapse=True)
    game, _, table = method.partition(":")
    if not game.startswith("anchored-s"):
        raise ValueError(f"method: got {method!r}; expected anchored-s<S>[:<table>], coherence or one of {sorted(PEERS)}")
    return Reward(sharpened(float(game.removeprefix("anchored-s"))), table or "aqp", extractor="arithmetic")


def settings_for(study: Study, run: Run, preset: str) -> Any:
    from alft.training.settings import DataSettings, TrainSettings

    sizes = dict(study.settings)
    if preset != "default":  # the tiny preset (tests): its own sizes, the study's shape
        sizes = {k: v for k, v in sizes.items() if k == "eval_steps"}
        sizes["eval_steps"] = min(sizes.get("eval_steps", 0), 2)
    data = {k: sizes.pop(k) for k in list(sizes) if k in DataSettings.__dataclass_fields__}
    return TrainSettings(preset=preset, reward=reward_for(run.method), seed=run.seed, learning_rate=run.lr,
                         steps=run.steps if preset == "default" else None, data=DataSettings(**data), **sizes)


def run_one(study_name: str, run: Run, runs_dir: str, preset: str) -> dict[str, Any]:
    """Train (or read back) one run; the base evaluation of its seed is copied in when a sibling has it."""
    from alft.task.threads import one_torch_thread
    from training_runs import run_or_reuse

    study = STUDIES[study_name]
    folder = Path(runs_dir) / study.name / run.name
    settings = settings_for(study, run, preset)
    share_base_evaluation(folder, settings.to_json())
    with one_torch_thread():
        return run_or_reuse(settings, folder, f"{study.name} {run.name}")


def share_base_evaluation(folder: Path, config: dict[str, Any]) -> None:
    """Copy a sibling run's finished base-policy evaluation (same seed and evaluation settings) into a new folder."""
    if (folder / "eval_before.json").exists():
        return
    for sibling in folder.parent.glob("*/config.json"):
        source = sibling.parent
        # eval_before.json is written after the per-problem file: its presence marks a finished evaluation
        if _base_key(json.loads(sibling.read_text())) == _base_key(config) and (source / "eval_before.json").exists():
            folder.mkdir(parents=True, exist_ok=True)
            for name in ("eval_before_problems.jsonl", "eval_before.json"):  # the JSON last: it marks done
                shutil.copyfile(source / name, folder / name)
            return


def _base_key(config: dict[str, Any]) -> dict[str, Any]:
    """The settings of a run's config.json that decide its base-policy evaluation."""
    from alft.training.settings import RENAMED_KEYS

    config = {RENAMED_KEYS.get(k, k): v for k, v in config.items()}  # folders written before a key's rename
    return {**{k: config.get(k) for k in BASE_EVALUATION_KEYS},
            "reward": {k: config["reward"].get(k) for k in ("extractor", "grouper")}}


# ----------------------------------------------------------------------------------------------- rows


def fall_step(folder: Path) -> int | None:
    """First step at which the rolling mean of the batch sample accuracy is FALL_POINTS under the mean of the
    first FALL_BASELINE steps (None: never)."""
    from alft.training.run_log import read_metrics

    accuracy = [m["alft/sample_accuracy"] for m in read_metrics(folder / "metrics.jsonl")
                if m.get("alft/sample_accuracy") is not None]
    if len(accuracy) < FALL_WINDOW:
        return None
    level = statistics.fmean(accuracy[:FALL_BASELINE])
    rolling = np.convolve(accuracy, np.ones(FALL_WINDOW) / FALL_WINDOW, mode="valid")
    below = np.flatnonzero(rolling < level - FALL_POINTS)
    return None if below.size == 0 else int(below[0] + FALL_WINDOW)


def row(study: Study, run: Run, summary: dict[str, Any], folder: Path) -> dict[str, Any]:
    """One run's numbers: before/after of each metric, TV to p*, when accuracy fell, the failure warning."""
    k = summary["settings"]["num_generations"]
    out: dict[str, Any] = {"method": run.method, "seed": run.seed, "lr": summary["settings"]["learning_rate"],
                           "steps": summary["settings"]["steps"], "k": k, "problems": summary["after"]["n_prompts"],
                           "folder": folder.name}
    for key in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy", f"pass@{k}", "answer_entropy"):
        name = "pass_at_k" if key.startswith("pass@") else key
        out[f"{name}_before"], out[f"{name}_after"] = summary["before"][key], summary["after"][key]
    equilibrium = summary.get("equilibrium")
    if equilibrium:
        out["tv_before"] = (equilibrium.get("before") or {}).get("tv_to_p_star")
        out["tv_after"] = equilibrium["after"]["tv_to_p_star"]
    out["fall_step"] = fall_step(folder)
    warning = summary["training"].get("failure_warning")
    out["warning_step"] = warning.get("step") if warning else None
    out["during"] = [{"step": d["step"], "greedy_accuracy": d["greedy_accuracy"], "pass_at_k": d[f"pass@{k}"],
                      "mean_sample_accuracy": d["mean_sample_accuracy"]} for d in summary.get("during", [])]
    return out


def spread(values: list[float]) -> dict[str, float]:
    """Mean, standard deviation, min and max over seeds."""
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "min": min(values), "max": max(values), "n": len(values)}


def aggregate(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (method, lr): the seed spread of each metric after training and of its change."""
    out = []
    for method, lr in dict.fromkeys((r["method"], r["lr"]) for r in rows):
        mine = [r for r in rows if r["method"] == method and r["lr"] == lr]
        entry: dict[str, Any] = {"method": method, "lr": lr, "seeds": [r["seed"] for r in mine]}
        for key in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy", "pass_at_k", "answer_entropy",
                    "tv"):
            after = [r[f"{key}_after"] for r in mine if r.get(f"{key}_after") is not None]
            if after:
                entry[f"{key}_after"] = spread(after)
                entry[f"{key}_delta"] = spread([r[f"{key}_after"] - r[f"{key}_before"] for r in mine
                                                if r.get(f"{key}_before") is not None])
        falls = [r["fall_step"] for r in mine]
        entry["fell"] = sum(f is not None for f in falls)
        entry["fall_steps"] = falls
        entry["warnings"] = sum(r["warning_step"] is not None for r in mine)
        out.append(entry)
    return out


# ------------------------------------------------------------------------------------------ statistics


def read_problems(folder: Path, part: str = "after") -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / f"eval_{part}_problems.jsonl").read_text().splitlines()]


def seed_interval(differences: list[float], confidence: float = 0.95) -> dict[str, float]:
    """Mean of paired per-seed differences with its t interval and the paired t-test's two-sided p."""
    from scipy import stats

    n, mean = len(differences), statistics.fmean(differences)
    if n < 2:
        return {"mean": mean, "n": n}
    sem = statistics.stdev(differences) / math.sqrt(n)
    if sem == 0:
        return {"mean": mean, "low": mean, "high": mean, "p": 0.0 if mean else 1.0, "n": n}
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return {"mean": mean, "low": float(low), "high": float(high), "p": float(2 * stats.t.sf(abs(mean / sem), n - 1)),
            "n": n}


def mcnemar(a: list[bool], b: list[bool]) -> dict[str, float]:
    """Exact McNemar test on paired correctness: a right where b is wrong (and the reverse), two-sided p."""
    from scipy import stats

    a_only = sum(x and not y for x, y in zip(a, b, strict=True))
    b_only = sum(y and not x for x, y in zip(a, b, strict=True))
    p = stats.binomtest(a_only, a_only + b_only, 0.5).pvalue if a_only + b_only else 1.0
    return {"a_only": a_only, "b_only": b_only, "p": float(p)}


def paired_bootstrap(differences: np.ndarray, seed: int = 0) -> dict[str, float]:
    """Mean per-problem difference, its 95 % percentile bootstrap interval over problems, and the bootstrap p
    (share of resampled means, centred at 0, at least as far from 0 as the observed one)."""
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, len(differences), (BOOTSTRAP, len(differences)))].mean(axis=1)
    observed = float(differences.mean())
    p = float(np.mean(np.abs(means - observed) >= abs(observed)))
    return {"mean": observed, "low": float(np.percentile(means, 2.5)), "high": float(np.percentile(means, 97.5)),
            "p": p, "problems": int(len(differences))}


def paired_comparison(rows: list[dict[str, Any]], folders: dict[tuple[str, int], Path], a: str, b: str) -> dict[str, Any]:
    """a − b over the seeds both ran: per-seed t intervals, and per-problem tests pooled over seeds."""
    seeds = sorted({r["seed"] for r in rows if r["method"] == a} & {r["seed"] for r in rows if r["method"] == b})
    by = {(r["method"], r["seed"]): r for r in rows}
    out: dict[str, Any] = {"a": a, "b": b, "seeds": seeds}
    for key in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy"):
        out[f"{key}_per_seed"] = seed_interval([by[(a, s)][f"{key}_after"] - by[(b, s)][f"{key}_after"] for s in seeds])
    problems_a = [read_problems(folders[(a, s)]) for s in seeds]
    problems_b = [read_problems(folders[(b, s)]) for s in seeds]
    for key in ("greedy_correct", "majority_correct"):
        out[f"{key}_mcnemar"] = mcnemar([p[key] for run in problems_a for p in run],
                                        [p[key] for run in problems_b for p in run])
    sample = lambda runs: np.mean([[np.mean(p["samples_correct"]) for p in run] for run in runs], axis=0)  # noqa: E731
    out["sample_accuracy_bootstrap"] = paired_bootstrap(sample(problems_a) - sample(problems_b))
    return out


def predicted_pass(references: list[list[str | None]], answers: list[str], s: float, k: int) -> dict[str, float]:
    """pass@1 and pass@k of p* ∝ p̂_ref^s (k independent draws), averaged over prompts; s = 1 is p̂_ref."""
    from alft.games.probe import predicted_equilibrium

    firsts, anys = [], []
    for drawn, answer in zip(references, answers, strict=True):
        target = predicted_equilibrium(drawn, s)
        right = sum(p for a, p in target.items() if a == answer)
        firsts.append(right)
        anys.append(1.0 - (1.0 - right) ** k)
    return {"pass_at_1": statistics.fmean(firsts), "pass_at_k": statistics.fmean(anys), "k": k, "prompts": len(firsts)}


def predicted_points(study: Study, preset: str) -> dict[str, dict[str, float]]:
    """Per anchored method, pass@1 and pass@K of its predicted p* on the training prompts (and of p̂_ref)."""
    from training_runs import prompts_with_references

    settings = settings_for(study, Run("anchored-s2", 0, steps=study.steps), preset)
    train = prompts_with_references(settings)
    references = [json.loads(r) if isinstance(r, str) else r for r in train["reference_answers"]]
    k = settings.num_generations
    exponents = {m: float(m.removeprefix("anchored-s").partition(":")[0]) for m in study.methods
                 if m.startswith("anchored-s")}
    points = {m: predicted_pass(references, list(train["answer"]), e, k) for m, e in exponents.items()}
    points["reference (s = 1)"] = predicted_pass(references, list(train["answer"]), 1.0, k)
    return points


# ------------------------------------------------------------------------------------------------ plots


def _axes(n: int, width: float = 5.5) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, n, figsize=(width * n, 4.2))
    return fig, np.atleast_1d(axes)


COLOURS = {"anchored-s1.25": "#9ecae1", "anchored-s1.5": "#6baed6", "anchored-s2": "tab:blue",
           "anchored-s3": "#08519c", "anchored-s4": "tab:purple", "coherence": "tab:red", "ttrl": "tab:orange",
           "empo": "tab:brown", "anchored-s3:plugin": "tab:grey", "anchored-s3:digamma": "tab:olive",
           "anchored-s3:aqp": "tab:blue"}


def plot_lr(result: dict[str, Any], path: Path) -> None:
    fig, axes = _axes(2)
    base = statistics.fmean(r["greedy_accuracy_before"] for r in result["rows"])
    k = result["rows"][0]["k"]
    for ax, key, label in ((axes[0], "greedy_accuracy", "greedy accuracy"), (axes[1], "pass_at_k", f"pass@{k}")):
        for method in dict.fromkeys(e["method"] for e in result["aggregate"]):
            mine = sorted((e for e in result["aggregate"] if e["method"] == method), key=lambda e: e["lr"])
            lrs = [e["lr"] for e in mine]
            mean = [100 * e[f"{key}_after"]["mean"] for e in mine]
            low = [m - 100 * e[f"{key}_after"]["min"] for m, e in zip(mean, mine)]
            high = [100 * e[f"{key}_after"]["max"] - m for m, e in zip(mean, mine)]
            ax.errorbar(lrs, mean, yerr=[low, high], marker="o", capsize=3, label=method, color=COLOURS.get(method))
        before = statistics.fmean(r[f"{key}_before"] for r in result["rows"])
        ax.axhline(100 * before, color="k", ls=":", lw=1, label="base policy")
        ax.set(xscale="log", xlabel="learning rate", ylabel=f"{label} after training (%)",
               title=f"{label}, held-out problems (mean, min–max over seeds)")
    axes[0].axhline(100 * base - 5, color="grey", ls="--", lw=0.8, label="base − 5 points")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_dial(result: dict[str, Any], path: Path) -> None:
    fig, (ax,) = _axes(1, 9.5)
    for entry in result["aggregate"]:
        x, y = entry["pass_at_k_after"], entry["mean_sample_accuracy_after"]
        ax.errorbar(100 * x["mean"], 100 * y["mean"], xerr=[[100 * (x["mean"] - x["min"])], [100 * (x["max"] - x["mean"])]],
                    yerr=[[100 * (y["mean"] - y["min"])], [100 * (y["max"] - y["mean"])]], marker="o", capsize=3,
                    color=COLOURS.get(entry["method"]), label=entry["method"])
    rows = result["rows"]
    ax.plot(100 * statistics.fmean(r["pass_at_k_before"] for r in rows),
            100 * statistics.fmean(r["mean_sample_accuracy_before"] for r in rows), "k*", ms=12, label="base policy")
    for method, point in result.get("predicted", {}).items():
        ax.plot(100 * point["pass_at_k"], 100 * point["pass_at_1"], marker="D", mfc="none", ls="none",
                color=COLOURS.get(method, "k"), label=f"p* of {method} (training prompts)")
    k = rows[0]["k"]
    ax.set(xlabel=f"pass@{k} after training (%)", ylabel="pass@1 = sample accuracy after training (%)",
           title=f"the pass@1–pass@{k} dial (held-out; ◇ predicted on training prompts)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the points, never over them
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_estimators(result: dict[str, Any], path: Path) -> None:
    fig, (ax,) = _axes(1, 7)
    keys = ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy")
    for i, comparison in enumerate(result["comparisons"]):
        for j, key in enumerate(keys):
            ci = comparison[f"{key}_per_seed"]
            x = j + (i - 0.5) * 0.3
            err = [[100 * (ci["mean"] - ci.get("low", ci["mean"]))], [100 * (ci.get("high", ci["mean"]) - ci["mean"])]]
            ax.errorbar(x, 100 * ci["mean"], yerr=err, marker="o", capsize=4,
                        label=f"{comparison['a']} − {comparison['b']}" if j == 0 else None,
                        color=COLOURS.get(comparison["b"]))
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(range(3), ["greedy", "majority-of-4", "sample"])
    ax.set(ylabel="paired difference (points), 95 % t interval over seeds",
           title=f"the table in training (K = 4, M = 255, s = 3, {len(result['comparisons'][0]['seeds'])} seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def plot_horizon(result: dict[str, Any], path: Path) -> None:
    fig, axes = _axes(2)
    k = result["rows"][0]["k"]
    for ax, key, label in ((axes[0], "greedy_accuracy", "greedy accuracy"), (axes[1], "pass_at_k", f"pass@{k}")):
        for r in result["rows"]:
            steps = [0] + [d["step"] for d in r["during"]]
            values = [r[f"{key}_before"]] + [d[key] for d in r["during"]]
            ax.plot(steps, [100 * v for v in values], color=COLOURS.get(r["method"]), alpha=0.8,
                    label=r["method"] if r["seed"] == min(x["seed"] for x in result["rows"]) else None)
        ax.set(xlabel="GRPO step", ylabel=f"held-out {label} (%)", title=f"{label} over a long run (one line a seed)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


PLOTS: dict[str, Callable[[dict[str, Any], Path], None]] = {
    "lr": plot_lr, "dial": plot_dial, "estimators": plot_estimators, "horizon": plot_horizon}


# ------------------------------------------------------------------------------------------------- main


def report(study: Study, runs: list[Run], summaries: dict[str, dict[str, Any]], runs_dir: Path,
           preset: str) -> dict[str, Any]:
    """The study's results file content (rows, aggregate, and the study's own statistics)."""
    folders = {run.name: runs_dir / study.name / run.name for run in runs}
    rows = [row(study, run, summaries[run.name], folders[run.name]) for run in runs]
    result: dict[str, Any] = {
        "study": study.name, "command": f"python benchmarks/studies.py {study.name}",
        "grid": {"methods": list(study.methods), "lrs": list(study.lrs), "seeds": sorted({r.seed for r in runs}),
                 "steps": rows[0]["steps"], "settings": study.settings, "preset": preset},
        "fall": {"points": FALL_POINTS, "window": FALL_WINDOW, "baseline_steps": FALL_BASELINE},
        "rows": rows, "aggregate": aggregate(rows), "machine": platform.platform()}
    if study.name == "estimators":
        by_method = {(run.method, run.seed): folders[run.name] for run in runs}
        result["comparisons"] = [paired_comparison(rows, by_method, "anchored-s3:aqp", b)
                                 for b in ("anchored-s3:plugin", "anchored-s3:digamma")]
    if study.name == "dial":
        result["predicted"] = predicted_points(study, preset)
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("study", choices=list(STUDIES))
    parser.add_argument("--seeds", type=int, nargs="+", help="default: the study's")
    parser.add_argument("--methods", nargs="+", help="a subset of the study's methods (default: all)")
    parser.add_argument("--runs", type=Path, default=HERE / "runs", help="where run folders go (resumable)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (one torch thread each)")
    parser.add_argument("--preset", default="default", choices=["default", "tiny"], help="tiny: for tests")
    parser.add_argument("--report-only", action="store_true", help="write the results from finished runs only")
    args = parser.parse_args(argv)
    study = STUDIES[args.study]
    if args.methods:
        unknown = sorted(set(args.methods) - set(study.methods))
        if unknown:
            parser.error(f"--methods: {unknown} are not in study {study.name}: {list(study.methods)}")
        study = Study(study.name, tuple(args.methods), study.seeds, study.steps, study.lrs, study.settings)
    runs = study.runs(tuple(args.seeds) if args.seeds else None)
    runs = sorted(runs, key=lambda r: (r.seed, r.lr or 0))  # a seed's base evaluation first, then shared
    summaries = collect(study, runs, args) if not args.report_only else finished(study, runs, args.runs)
    runs = [r for r in runs if r.name in summaries]
    if not runs:
        raise SystemExit(f"no finished run of study {study.name} under {args.runs}")
    result = report(study, runs, summaries, args.runs, args.preset)
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"study_{study.name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    PLOTS[study.name](result, path.with_suffix(".png"))
    print(f"wrote {path} and {path.with_suffix('.png')} ({len(runs)} runs)")
    return result


def collect(study: Study, runs: list[Run], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Every run's summary, training the missing ones (``--jobs`` at a time; the first run of each seed alone,
    so its siblings can share its base evaluation)."""
    summaries: dict[str, dict[str, Any]] = {}
    first = {r.seed: r for r in reversed(runs)}
    with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
        for run in first.values():
            summaries[run.name] = pool.submit(run_one, study.name, run, str(args.runs), args.preset).result()
        rest = {run.name: pool.submit(run_one, study.name, run, str(args.runs), args.preset)
                for run in runs if run.name not in summaries}
        summaries.update({name: future.result() for name, future in rest.items()})
    return summaries


def finished(study: Study, runs: list[Run], runs_dir: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for run in runs:
        summary = runs_dir / study.name / run.name / "summary.json"
        if summary.exists():
            found[run.name] = json.loads(summary.read_text())
    return found


if __name__ == "__main__":
    main()
