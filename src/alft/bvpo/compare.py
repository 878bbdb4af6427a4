"""``alft bvpo``: the BVPO comparison on the built-in task, a straight line from base policy to report.

    hybrid base policy (cached) → verifier pairs with and without trace (pairs.json)
    → base evaluation, marginal probe, gradient variance at θ_ref (base.json)
    → one DPO/BVPO run per method (methods/<name>.json, reused when present: a re-run resumes)
    → summary.json, table, bvpo.png

Methods (:data:`METHODS`): the α sweep 0, 0.25, 0.5 (the paper's), 0.75 on both pair sets (BVPOTrainer), α̂*
re-estimated each step, DPO on the trace pairs only (α = 1, TRL's DPOTrainer) and the budget-matched control,
DPO on twice the trace pairs (two trace pairs per prompt, twice the batch, as BVPO sees two pairs per prompt).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import numpy as np

from alft.bvpo.base import HybridRecipe
from alft.errors import require

Log = Callable[[str], None]


@dataclass(frozen=True)
class Method:
    """One training configuration.

    Attributes:
        name: its name in reports.
        alpha: the weight of the trace loss; None re-estimates α̂* every step.
        trace_pairs_per_prompt: 1, or 2 for the budget-matched control (trace pairs only).
    """

    name: str
    alpha: float | None
    trace_pairs_per_prompt: int = 1

    @property
    def plain_dpo(self) -> bool:
        """Trace pairs only, on TRL's own DPOTrainer (α = 1)."""
        return self.alpha == 1.0


METHODS = {m.name: m for m in (
    Method("alpha=0", 0.0), Method("alpha=0.25", 0.25), Method("alpha=0.5", 0.5), Method("alpha=0.75", 0.75),
    Method("alpha-hat", None), Method("dpo-trace", 1.0), Method("dpo-trace-2x", 1.0, 2))}


@dataclass(frozen=True)
class BVPOSettings:
    """Every setting of a comparison, declared once (the CLI and the benchmark build this value).

    Attributes:
        seed: pairs, training order and sampling.
        methods: names from :data:`METHODS`.
        train_prompts: training prompts drawn (those with all three pairs are kept).
        k_trace: traced samples per prompt; k_empty: empty-trace samples per prompt.
        steps: optimiser steps per method; batch_pairs: pairs per step and pair set.
        learning_rate, beta: as in TRL's DPOConfig.
        eval_problems: held-out problems for the accuracies; eval_samples: samples per problem.
        probe_prompts, probe_samples: the marginal preference probe (held-out prompts, traces per prompt).
        length_every: steps between trace-length probes during training (64 held-out prompts × 2 samples).
        variance_batch, variance_resamples: the fixed batch and resamples of the gradient-variance measurement.
        hybrid_steps: SFT steps of the hybrid base policy (:class:`alft.bvpo.base.HybridRecipe`).
    """

    seed: int = 0
    methods: tuple[str, ...] = ("alpha=0.5", "alpha-hat", "dpo-trace", "dpo-trace-2x")
    train_prompts: int = 384
    k_trace: int = 8
    k_empty: int = 16
    steps: int = 40
    batch_pairs: int = 8
    learning_rate: float = 1e-4
    beta: float = 0.1
    eval_problems: int = 400
    eval_samples: int = 4
    probe_prompts: int = 100
    probe_samples: int = 32
    length_every: int = 10
    variance_batch: int = 8
    variance_resamples: int = 8
    hybrid_steps: int = HybridRecipe.steps

    def __post_init__(self) -> None:
        unknown = [m for m in self.methods if m not in METHODS]
        require(not unknown and len(self.methods) >= 1, "methods", ",".join(self.methods),
                f"names among {', '.join(METHODS)}")
        for name in ("train_prompts", "k_trace", "k_empty", "steps", "eval_problems", "eval_samples", "probe_prompts",
                     "probe_samples", "length_every", "variance_batch", "hybrid_steps"):
            require(getattr(self, name) >= 1, name, getattr(self, name), "an integer ≥ 1")
        require(self.batch_pairs >= 2, "batch_pairs", self.batch_pairs, "at least 2 pairs (α̂* needs a sample covariance)")
        require(self.variance_resamples >= 2, "variance_resamples", self.variance_resamples, "an integer ≥ 2")
        require(self.learning_rate > 0, "learning_rate", self.learning_rate, "a number > 0")
        require(self.beta > 0, "beta", self.beta, "a number > 0")

    def to_json(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}


def _write(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    tmp.replace(path)


def _check_resumable(config_path: Path, settings: BVPOSettings) -> None:
    """A run folder resumes only with the settings it was started with (the methods may differ: a method is
    one file, added or reused)."""
    if not config_path.exists():
        return
    stored, current = json.loads(config_path.read_text()), settings.to_json()
    for key in sorted(k for k in stored if k != "methods"):
        require(stored[key] == current.get(key), f"--{key.replace('_', '-')}", current.get(key),
                f"{stored[key]!r} as the run folder {config_path.parent} was started with, or a new --output-dir")


def run_comparison(settings: BVPOSettings, folder: Path, log: Log = lambda _: None) -> dict[str, Any]:
    """Run (or resume) the comparison in ``folder``; return the summary (also written to summary.json)."""
    from alft.bvpo.base import hybrid_base_policy
    from alft.bvpo.task import MarginalProbe, TaskPairs, build_pairs, evaluate_modes, trace_resample_variance
    from alft.task.arithmetic import generate_problems
    from alft.task.loading import load_policy
    from alft.task.threads import one_torch_thread

    start = time.perf_counter()
    config_path = folder / "config.json"
    _check_resumable(config_path, settings)
    folder.mkdir(parents=True, exist_ok=True)
    _write(config_path, settings.to_json())
    (folder / "methods").mkdir(exist_ok=True)
    timings: dict[str, float] = {}
    with one_torch_thread():
        t = time.perf_counter()
        base_folder, made = hybrid_base_policy(HybridRecipe(steps=settings.hybrid_steps))
        timings["hybrid_base_policy"] = time.perf_counter() - t
        log(f"base policy {'made in %.0f s' % made if made else 'from the cache'}: {base_folder}")
        base, tokenizer = load_policy(str(base_folder))
        train = generate_problems(settings.train_prompts, split="train", seed=settings.seed, unique=True)
        held_out = generate_problems(settings.eval_problems + settings.probe_prompts, split="eval", seed=0, unique=True)
        evaluation, probe_problems = held_out[:settings.eval_problems], held_out[settings.eval_problems:]
        t = time.perf_counter()
        pairs_path = folder / "pairs.json"
        if pairs_path.exists():
            pairs = TaskPairs.from_json(json.loads(pairs_path.read_text()))
        else:
            pairs = build_pairs(base, tokenizer, train, k_trace=settings.k_trace, k_empty=settings.k_empty, seed=settings.seed)
            _write(pairs_path, pairs.to_json())
        timings["pairs"] = time.perf_counter() - t
        log(f"pairs: {pairs.stats['prompts_kept']} of {pairs.stats['prompts_drawn']} prompts have a trace and an "
            f"empty-trace pair")
        base_path = folder / "base.json"
        if base_path.exists():
            base_report = json.loads(base_path.read_text())
            probe = MarginalProbe.from_json(base_report["probe"])
        else:
            t = time.perf_counter()
            probe = MarginalProbe.build(base, tokenizer, probe_problems, samples=settings.probe_samples, seed=settings.seed)
            base_report = {"eval": evaluate_modes(base, tokenizer, evaluation, k=settings.eval_samples, seed=settings.seed),
                           "marginal_preference_accuracy": probe.accuracy(base, tokenizer, seed=settings.seed + 1),
                           "probe": probe.to_json(),
                           "variance": {str(a): trace_resample_variance(
                               base, base, tokenizer, pairs, alpha=a, beta=settings.beta, batch=settings.variance_batch,
                               resamples=settings.variance_resamples, seed=settings.seed) for a in (0.0, 0.5, 1.0)},
                           "seconds": time.perf_counter() - t}
            _write(base_path, base_report)
        log(f"base: accuracy with trace {base_report['eval']['accuracy_trace_greedy']:.3f}, trace forced empty "
            f"{base_report['eval']['accuracy_empty_greedy']:.3f}")
        results = {}
        for name in settings.methods:
            path = folder / "methods" / f"{name}.json"
            if path.exists():
                results[name] = json.loads(path.read_text())
                log(f"{name}: reused")
                continue
            results[name] = train_method(METHODS[name], settings, base_folder, pairs, evaluation, probe, folder)
            _write(path, results[name])
            log(f"{name}: accuracy with trace {results[name]['eval']['accuracy_trace_greedy']:.3f}, empty "
                f"{results[name]['eval']['accuracy_empty_greedy']:.3f}, marginal preference "
                f"{results[name]['marginal_preference_accuracy']:.3f} ({results[name]['seconds']:.0f} s)")
    summary = summarise(settings, pairs.stats, base_report, results)
    summary["seconds"] = time.perf_counter() - start
    summary["timings"] = timings
    _write(folder / "summary.json", summary)
    plot_comparison(summary, results, folder / "bvpo.png")
    return summary


def train_method(method: Method, settings: BVPOSettings, base_folder: Path, pairs, evaluation, probe,
                 folder: Path) -> dict[str, Any]:
    """Train one method from the base policy and measure it (accuracy in both modes, marginal preference
    accuracy, gradient variance over resampled traces, trace length over training)."""
    from transformers import PrinterCallback, ProgressCallback, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    from alft.bvpo.task import evaluate_modes, sample, trace_length, trace_resample_variance
    from alft.bvpo.trainer import BVPOConfig, BVPOTrainer
    from alft.task.loading import load_policy

    start = time.perf_counter()
    model, tokenizer = load_policy(str(base_folder))
    reference, _ = load_policy(str(base_folder))
    length_prompts = [p.prompt for p in evaluation[:64]]
    lengths: list[tuple[int, float]] = []

    class TraceLength(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kwargs):  # noqa: ANN001, ANN003
            if state.global_step % settings.length_every == 0:
                drawn = sample(model, tokenizer, length_prompts, k=2, empty=False, seed=settings.seed + state.global_step)
                lengths.append((state.global_step, float(np.mean([trace_length(c) for s in drawn for c in s]))))

    drawn = sample(model, tokenizer, length_prompts, k=2, empty=False, seed=settings.seed)
    lengths.append((0, float(np.mean([trace_length(c) for s in drawn for c in s]))))
    common = dict(output_dir=str(folder / "trainer"), max_steps=settings.steps, learning_rate=settings.learning_rate,
                  beta=settings.beta, max_length=64, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
                  logging_steps=1, disable_tqdm=True, seed=settings.seed, data_seed=settings.seed)
    rows = pairs.sets.rows()
    if method.plain_dpo:
        trace_rows = {k: rows[k] for k in ("prompt", "chosen", "rejected")}
        if method.trace_pairs_per_prompt == 2:
            trace_rows = {"prompt": trace_rows["prompt"] * 2, "chosen": trace_rows["chosen"] + list(pairs.second_trace.chosen),
                          "rejected": trace_rows["rejected"] + list(pairs.second_trace.rejected)}
        args = DPOConfig(per_device_train_batch_size=settings.batch_pairs * method.trace_pairs_per_prompt, **common)
        trainer = DPOTrainer(model=model, ref_model=reference, args=args, train_dataset=datasets.Dataset.from_dict(trace_rows),
                             processing_class=tokenizer)
    else:
        args = BVPOConfig(per_device_train_batch_size=settings.batch_pairs, alpha=method.alpha if method.alpha is not None else 0.5,
                          estimate_alpha=method.alpha is None, empty_pattern=pairs.sets.empty_pattern, **common)
        trainer = BVPOTrainer(model=model, ref_model=reference, args=args, train_dataset=datasets.Dataset.from_dict(rows),
                              processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(TraceLength())
    train_start = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - train_start
    history = [h for h in trainer.state.log_history if "loss" in h and "step" in h]
    alphas = [float(h.get("bvpo/alpha", 1.0)) for h in history]
    alpha = float(np.mean(alphas)) if method.alpha is None else method.alpha  # α̂*: its mean over the run
    measured = {
        "method": dataclasses.asdict(method),
        "eval": evaluate_modes(model, tokenizer, evaluation, k=settings.eval_samples, seed=settings.seed),
        "marginal_preference_accuracy": probe.accuracy(model, tokenizer, seed=settings.seed + 1),
        "variance": trace_resample_variance(model, reference, tokenizer, pairs, alpha=alpha, beta=settings.beta,
                                            batch=settings.variance_batch, resamples=settings.variance_resamples,
                                            seed=settings.seed),
        "alpha_per_step": alphas,
        "loss_per_step": [float(h["loss"]) for h in history],
        "loss_trace_per_step": [float(h["bvpo/loss_trace"]) for h in history if "bvpo/loss_trace" in h],
        "loss_empty_per_step": [float(h["bvpo/loss_empty"]) for h in history if "bvpo/loss_empty" in h],
        "gradient_statistics": {k: [float(h[f"bvpo/{k}"]) for h in history if f"bvpo/{k}" in h]
                                for k in ("var_trace", "var_empty", "cov_trace_empty", "gap_sq")},
        "trace_length_over_training": lengths,
        "pairs_seen": settings.steps * settings.batch_pairs * (method.trace_pairs_per_prompt if method.plain_dpo else 2),
        "train_seconds": train_seconds,
        "seconds_per_step": train_seconds / settings.steps,
    }
    measured["seconds"] = time.perf_counter() - start
    shutil.rmtree(folder / "trainer", ignore_errors=True)
    return measured


ROWS = (("accuracy_trace_greedy", "acc. with trace (greedy)"), ("accuracy_trace_sample", "acc. with trace (sample)"),
        ("accuracy_empty_greedy", "acc. trace empty (greedy)"), ("accuracy_empty_sample", "acc. trace empty (sample)"),
        ("marginal_preference_accuracy", "marginal pref. acc."), ("trace_length", "trace length"))


def summarise(settings: BVPOSettings, pair_stats: dict, base: dict, results: dict[str, dict]) -> dict[str, Any]:
    """The before/after table: one row per metric, the base and each method."""
    def metrics(report: dict) -> dict[str, float]:
        return {**{k: report["eval"][k] for k, _ in ROWS if k in report["eval"]},
                "marginal_preference_accuracy": report["marginal_preference_accuracy"]}

    return {
        "settings": settings.to_json(),
        "pairs": pair_stats,
        "base": metrics(base),
        "base_variance": base["variance"],
        "methods": {name: {**metrics(r), "mean_alpha": float(np.mean(r["alpha_per_step"])) if r["alpha_per_step"] else None,
                           "var_trace": r["variance"]["var_trace"], "var_mixed": r["variance"]["var_mixed"],
                           "seconds_per_step": r["seconds_per_step"], "pairs_seen": r["pairs_seen"],
                           "final_trace_length": r["trace_length_over_training"][-1][1]}
                    for name, r in results.items()},
    }


def table_rows(summary: dict) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of the before/after table."""
    names = list(summary["methods"])
    header = ["metric", "base", *names]
    rows = []
    for key, label in ROWS:
        rows.append([label, f"{summary['base'].get(key, float('nan')):.3f}",
                     *(f"{summary['methods'][n].get(key, float('nan')):.3f}" for n in names)])
    rows.append(["mean α", "", *(f"{summary['methods'][n]['mean_alpha']:.3f}" if summary['methods'][n]['mean_alpha'] is not None
                                 else "" for n in names)])
    rows.append(["Var_r g_c (fixed batch)", "", *(f"{summary['methods'][n]['var_mixed']:.3g}" for n in names)])
    rows.append(["s / step", "", *(f"{summary['methods'][n]['seconds_per_step']:.2f}" for n in names)])
    return header, rows


def plot_comparison(summary: dict, results: dict[str, dict], path: Path) -> Path:
    """Three panels: accuracies per method (base dashed), α per step, trace length over training."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(summary["methods"])
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    keys = [("accuracy_trace_greedy", "with trace"), ("accuracy_empty_greedy", "trace empty"),
            ("marginal_preference_accuracy", "marginal pref.")]
    width = 0.8 / len(keys)
    for j, (key, label) in enumerate(keys):
        x = np.arange(len(names)) + j * width
        bars = axes[0].bar(x, [summary["methods"][n][key] for n in names], width, label=label)
        axes[0].axhline(summary["base"][key], color=bars.patches[0].get_facecolor(), ls="--", lw=1)
    axes[0].set_xticks(np.arange(len(names)) + width, names, rotation=30, ha="right")
    axes[0].set_title("after training (dashed: base)")
    axes[0].legend(fontsize=8)
    for name in names:
        alphas = results[name]["alpha_per_step"]
        if alphas:
            axes[1].plot(range(1, len(alphas) + 1), alphas, label=name)
        lengths = np.array(results[name]["trace_length_over_training"])
        axes[2].plot(lengths[:, 0], lengths[:, 1], marker="o", ms=3, label=name)
    axes[1].set(title="α per step", xlabel="step", ylim=(-0.05, 1.05))
    axes[2].set(title="trace length (held-out samples)", xlabel="step", ylabel="tokens before the answer")
    axes[1].legend(fontsize=7)
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
