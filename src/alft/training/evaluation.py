"""Evaluation in a run: the held-out problems (greedy and K samples, per-problem outputs kept) and the distance
to the predicted equilibrium p* ∝ p_ref^s on training prompts, before, during and after GRPO."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import datasets
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from alft.games.probe import equilibrium_distance
from alft.integrations.trl import AlftGRPOTrainer
from alft.training.run_log import read_metrics
from alft.task.evaluate import EvalReport, evaluate_policy, sample_answers
from alft.task.loading import load_policy, prompt_texts
from alft.task.threads import one_torch_thread
from alft.training.references import COLUMN as REFERENCE_COLUMN, read_reference_column
from alft.training.run_folder import RunFolder
from alft.training.runtime import Runtime
from alft.training.settings import TrainSettings

PROBE_SEED_OFFSET = 7_919  # probe samples use their own stream, apart from evaluation's
Log = Callable[[str], None]


def evaluate(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, data: datasets.Dataset | None,
             settings: TrainSettings) -> EvalReport | None:
    """Greedy and K-sample evaluation (accuracy beside agreement, docs/concepts/builtin-task.md), or None without eval data."""
    if data is None:
        return None
    with one_torch_thread():  # as sampling and GRPO: two threads slow down whenever another process holds a core (docs/concepts/builtin-task.md#running-on-cpu)
        return evaluate_policy(
            model,
            tokenizer,
            prompt_texts(data, tokenizer),
            [str(a) for a in data["answer"]],
            k=settings.num_generations,
            max_new_tokens=settings.max_completion_length,
            temperature=settings.temperature,
            seed=settings.seed,
            extractor=settings.reward.extractor,
            grouper=settings.reward.grouper,
        )


def write_evaluation(run: RunFolder, part: str, report: EvalReport | None) -> dict[str, Any] | None:
    """The report's metrics, with its per-problem outputs written beside them (``part``: before or after)."""
    if report is None:
        return None
    run.write_jsonl(run.problems(part), [p.to_dict() for p in report.problems])
    return report.to_dict()


def measure_equilibrium(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, train: datasets.Dataset,
                        settings: TrainSettings, n_prompts: int, n_samples: int) -> dict[str, Any] | None:
    """Distance of the policy's answers to the predicted p* ∝ p_ref^s on the first training prompts."""
    if settings.sharpening is None or REFERENCE_COLUMN not in train.column_names or n_prompts == 0:
        return None
    probe = train.select(range(min(n_prompts, len(train))))
    with one_torch_thread():
        samples = sample_answers(model, tokenizer, prompt_texts(probe, tokenizer), k=n_samples,
                                 max_new_tokens=settings.max_completion_length, temperature=settings.temperature,
                                 seed=settings.seed + PROBE_SEED_OFFSET, extractor=settings.reward.extractor)
    references = read_reference_column(probe)  # JSON text (drawn here) or lists (a user's column)
    report = equilibrium_distance(samples, references, settings.sharpening, seed=settings.seed)
    return {**report, "sharpening": settings.sharpening, "samples_per_prompt": n_samples}


def evaluation_cost(evaluation: datasets.Dataset | None, train: datasets.Dataset, settings: TrainSettings) -> str:
    """What an evaluation stage will generate: problems × (1 greedy + K samples), and the equilibrium probe."""
    parts = []
    if evaluation is not None:
        n, K = len(evaluation), settings.num_generations
        parts.append(f"{n} problems × (1 greedy + {K} samples) = {n * (K + 1)} completions")
    if settings.sharpening is not None and REFERENCE_COLUMN in train.column_names and settings.data.probe_prompts:
        n = min(settings.data.probe_prompts, len(train))
        parts.append(f"equilibrium probe {n} prompts × {settings.data.probe_samples} samples = "
                     f"{n * settings.data.probe_samples} completions")
    return "; ".join(parts) or "nothing to evaluate (no answer column, no probe)"


def equilibrium_summary(run: RunFolder, after: dict[str, Any] | None) -> dict[str, Any] | None:
    """Before (base policy), during (every save interval, smaller probe) and after: TV to p*."""
    path = run.path / "equilibrium_before.json"
    if after is None:
        return None
    during = read_metrics(run.path / "equilibrium.jsonl")
    return {"before": run.read_json(path) if path.exists() else None, "during": during, "after": after}


def evaluate_base(policy_path: str, evaluation: datasets.Dataset | None, train: datasets.Dataset,
                   settings: TrainSettings, hardware: Runtime, run: RunFolder,
                   log: Log) -> tuple[dict[str, Any] | None, float]:
    """Evaluate the base policy and measure its distance to the predicted equilibrium (anchored games), each
    once per run folder: a resumed run reads the stored results. The main process only."""
    if not hardware.is_main:
        return None, 0.0
    equilibrium_path = run.path / "equilibrium_before.json"
    wants_equilibrium = (settings.sharpening is not None and settings.data.probe_prompts > 0
                         and REFERENCE_COLUMN in train.column_names and not equilibrium_path.exists())
    if run.eval_before.exists() and not wants_equilibrium:
        return run.read_json(run.eval_before), 0.0
    log(f"evaluating the base policy: {evaluation_cost(evaluation, train, settings)}")
    start = time.perf_counter()
    model, tokenizer = load_policy(policy_path)
    model = model.to(hardware.device)
    if run.eval_before.exists():
        before = run.read_json(run.eval_before)
    else:
        before = write_evaluation(run, "before", evaluate(model, tokenizer, evaluation, settings))
        run.write_json(run.eval_before, before)
    equilibrium = measure_equilibrium(model, tokenizer, train, settings, settings.data.probe_prompts, settings.data.probe_samples)
    if equilibrium is not None:
        run.write_json(equilibrium_path, equilibrium)
    return before, time.perf_counter() - start


def evaluate_trained(model: Any, run: RunFolder, evaluation: datasets.Dataset | None, train: datasets.Dataset,
                      settings: TrainSettings, log: Log) -> tuple[dict[str, Any] | None, dict[str, Any] | None, float]:
    """The trained policy's evaluation (written to the run folder), its distance to p* and their seconds."""
    log(f"evaluating the trained policy: {evaluation_cost(evaluation, train, settings)}")
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(run.policy)
    after = write_evaluation(run, "after", evaluate(model, tokenizer, evaluation, settings))
    equilibrium = measure_equilibrium(model, tokenizer, train, settings, settings.data.probe_prompts,
                                      settings.data.probe_samples)
    return after, equilibrium, time.perf_counter() - start


def report_to_trackers(trainer: AlftGRPOTrainer, summary: dict[str, Any]) -> None:
    """The before/after evaluation and the distance to p* to the run's trackers (``--report-to``), at the last
    step, under ``alft_eval/`` and ``alft_equilibrium/`` (the step metrics went there during training)."""
    from transformers.integrations import get_reporting_integration_callbacks

    values = tracker_values(summary)
    kinds = tuple(get_reporting_integration_callbacks(trainer.args.report_to))
    if not values or not kinds:
        return
    for callback in trainer.callback_handler.callbacks:
        if isinstance(callback, kinds):
            callback.on_log(trainer.args, trainer.state, trainer.control, logs=values)


def tracker_values(summary: dict[str, Any]) -> dict[str, float]:
    """Flat numbers of the summary's evaluation (before, after, change) and equilibrium (TV to p*, floor)."""
    out: dict[str, float] = {}
    before, after = summary.get("before") or {}, summary.get("after") or {}
    for key, value in after.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and key != "seconds":
            out[f"alft_eval/after/{key}"] = float(value)
            if isinstance(before.get(key), (int, float)):
                out[f"alft_eval/before/{key}"] = float(before[key])
                out[f"alft_eval/change/{key}"] = float(value) - float(before[key])
    equilibrium = summary.get("equilibrium") or {}
    for part in ("before", "after"):
        for key in ("tv_to_p_star", "tv_floor"):
            if (equilibrium.get(part) or {}).get(key) is not None:
                out[f"alft_equilibrium/{part}/{key}"] = float(equilibrium[part][key])
    return out
