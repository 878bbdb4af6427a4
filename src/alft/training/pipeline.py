"""``alft train``: a straight line from data to report (STYLE: nanoGPT's train.py).

    base policy (shipped, a cached warm-up, or --model) → prompts (built-in task, or --dataset)
    → evaluate the base policy → answer-level GRPO (AlftGRPOTrainer, checkpoints, metrics.jsonl)
    → evaluate the trained policy → summary.json and plots

Each stage is a function named for what it does; the starting policy is :mod:`alft.training.policy`'s, the
evaluations :mod:`alft.training.evaluation`'s. The run folder (:mod:`alft.training.run_folder`) holds
everything; re-running the same command on the same folder resumes from its last checkpoint. Everything that
can be checked (settings, device, trackers, vLLM, model, dataset, chat template) is checked before the folder
is written. Under ``accelerate launch`` every process trains; the main process alone evaluates and writes.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
import torch
from accelerate import PartialState
from transformers import PrinterCallback
from alft.integrations.trl import (
    AlftGRPOConfig,
    AlftGRPOTrainer,
    DegenerateRunCallback,
    FailureWarningCallback,
    PeriodicMeasureCallback,
)
from alft.task.arithmetic import prompt_dataset
from alft.task.threads import one_torch_thread
from alft.task.loading import (is_conversational, load_policy, load_prompts, load_tokenizer,
                               prompt_texts)
from alft.training.evaluation import (equilibrium_summary, evaluate, evaluate_base, evaluate_trained,
                                      measure_equilibrium, report_to_trackers)
from alft.training.plots import plot_run
from alft.training.policy import BasePolicy, announce_conversion, base_policy, draws_bars, policy_name, warn_plain_prompts
from alft.training.references import (COLUMN as REFERENCE_COLUMN, draw_reference_answers, read_reference_column,
                                      unanswered_prompts, with_reference_column)
from alft.training.run_folder import RunFolder
from alft.training.run_log import JsonlMetricsCallback, RichProgressCallback, read_metrics
from alft.training.runtime import Runtime, runtime, tracker_names
from alft.training.settings import NOT_COMPARED, RENAMED_KEYS, TrainSettings, setting_flags

PROBE_DURING_PROMPTS, PROBE_DURING_SAMPLES = 16, 32  # the small probe measured every save interval
EVAL_PROBLEM_SEED = 0  # the same held-out problems for every run and seed, so runs compare on equal ground
SUMMARY_TAIL = 0.2  # training metrics in the summary: mean over the last 20 % of steps
Log = Callable[[str], None]


def prompts(settings: TrainSettings, log: Log = lambda message: None) -> tuple[datasets.Dataset, datasets.Dataset | None]:
    """(training prompts, evaluation prompts with answers or None); a chat dataset's model must have a chat
    template, and a ``reference_answers`` column of an anchored run the right shape. A dataset's training part
    keeps the prompts the run can reach (:func:`reachable_prompts`)."""
    if settings.builtin_task:
        train = prompt_dataset(settings.data.train_prompts, split="train", seed=settings.task_seed)
        evaluation = (
            prompt_dataset(settings.data.eval_problems, split="eval", seed=EVAL_PROBLEM_SEED)
            if settings.data.eval_problems
            else None
        )
        return train, evaluation
    answer_column = settings.data.answer_column or None
    data = load_prompts(settings.data.dataset, split=settings.data.dataset_split, prompt_column=settings.data.prompt_column,
                        answer_column=answer_column)
    if is_conversational(data):
        prompt_texts(data, load_tokenizer(settings.policy.model))  # no template, or one that refuses a row: refused now
    if settings.reward.uses_reference and REFERENCE_COLUMN in data.column_names:
        read_reference_column(data, settings.data.reference_draws)  # a bad column is refused before the folder is written
    n_eval = min(settings.data.eval_problems, len(data) // 5)
    if answer_column is None or n_eval == 0:
        return reachable_prompts(data, settings, log), None  # nothing to score against: agreement from training
    parts = data.train_test_split(test_size=n_eval, seed=EVAL_PROBLEM_SEED)
    return reachable_prompts(parts["train"], settings, log), parts["test"]


def reachable_prompts(train: datasets.Dataset, settings: TrainSettings, log: Log) -> datasets.Dataset:
    """The first steps × prompts-per-step training prompts of a dataset: a run samples no more (TRL draws prompts
    without replacement within an epoch), so reference answers are drawn for those alone (a 7473-row GSM8K
    with M = 8 would otherwise cost 60 k completions whatever --steps says)."""
    reachable = settings.steps * settings.prompts_per_step
    if len(train) <= reachable:
        return train
    log(f"training prompts: {reachable} of the dataset's {len(train)} (--steps {settings.steps} × --prompts-per-step "
        f"{settings.prompts_per_step}: a run sees no more)")
    return train.select(range(reachable))


def grpo_config(settings: TrainSettings, folder: RunFolder, hardware: Runtime) -> AlftGRPOConfig:
    """TRL's configuration for the run (lr and lengths from the preset; device and precision resolved)."""
    return AlftGRPOConfig.for_reward(
        settings.reward,
        output_dir=str(folder.checkpoints),
        num_generations=settings.num_generations,
        per_device_train_batch_size=hardware.per_device_batch,
        gradient_accumulation_steps=settings.hardware.gradient_accumulation_steps,
        max_completion_length=settings.max_completion_length,
        temperature=settings.temperature,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="constant",
        beta=settings.beta,
        scale_rewards=settings.scale_rewards,
        max_steps=settings.steps,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        seed=settings.seed,
        data_seed=settings.seed,
        use_cpu=hardware.device == "cpu",
        bf16=hardware.bf16,
        report_to=tracker_names(settings.hardware.report_to),
        use_vllm=settings.hardware.use_vllm,
        vllm_mode=settings.hardware.vllm_mode,
        vllm_server_base_url=settings.hardware.vllm_server_base_url,
        log_completions=settings.hardware.log_completions,
        disable_tqdm=True,
    )


def lora_config(settings: TrainSettings) -> Any:
    """A PEFT LoRA configuration (rank, alpha, target modules), or None."""
    if not settings.policy.lora:
        return None
    from peft import LoraConfig

    return LoraConfig(r=settings.policy.lora_rank, lora_alpha=settings.policy.lora_alpha, target_modules=settings.policy.lora_targets,
                      task_type="CAUSAL_LM")


def with_references(policy: BasePolicy, train: datasets.Dataset, settings: TrainSettings, hardware: Runtime,
                    progress: Any, log: Log) -> tuple[datasets.Dataset, dict[str, Any] | None]:
    """The training prompts with their M reference answers (anchored games, docs/concepts/game.md#the-anchor): a dataset's own
    ``reference_answers`` column as it is, else drawn once from the base policy and cached
    (:func:`alft.training.references.draw_reference_answers`); unchanged for other rewards.

    Returns:
        (dataset with a ``reference_answers`` column, a description of the reference set or None).
    """
    if not settings.reward.uses_reference:
        return train, None
    if REFERENCE_COLUMN in train.column_names:
        return train, _given_references(train, settings, log)
    draws = settings.draws_to_make
    log(f"reference answers: {len(train)} training prompts × {draws} draws = {len(train) * draws} completions from the "
        "base policy (cached: drawn once per model, prompts and settings)")
    references = draw_reference_answers(policy.path, train, draws=draws, max_new_tokens=settings.max_completion_length,
                                        temperature=settings.temperature, seed=settings.task_seed,
                                        extractor=settings.reward.extractor, device=hardware.device, progress=progress)
    return with_reference_column(train, references.answers), references.summary()


def _given_references(train: datasets.Dataset, settings: TrainSettings, log: Log) -> dict[str, Any]:
    """A dataset that brings its own ``reference_answers`` column: checked, used as it is, nothing drawn."""
    answers = read_reference_column(train, settings.data.reference_draws)
    log(f"reference answers: the dataset's {REFERENCE_COLUMN} column, {len(answers[0])} per prompt, used as given "
        "(nothing drawn; whichever model drew them is the reference)")
    return {"source": f"dataset column {REFERENCE_COLUMN}", "draws": len(answers[0]), "prompts": len(answers),
            "all_unanswered_prompts": unanswered_prompts(answers), "seconds": 0.0}


@dataclass(frozen=True)
class Trained:
    """What GRPO left: the trained model and what was seen on the way.

    Attributes:
        model: the trained policy (LoRA merged).
        seconds: GRPO's wall-clock time.
        failure: the failure warning's evidence (:class:`FailureWarningCallback`), or None.
        degenerate: the degenerate-run warnings given (:class:`DegenerateRunCallback`).
        trainer: the trainer (its tracker callbacks receive the evaluation at the end).
    """

    model: torch.nn.Module
    seconds: float
    failure: dict[str, Any] | None
    degenerate: list[dict[str, Any]]
    trainer: AlftGRPOTrainer


def train_grpo(
    policy: BasePolicy,
    train: datasets.Dataset,
    evaluation: datasets.Dataset | None,
    settings: TrainSettings,
    folder: RunFolder,
    hardware: Runtime,
    progress: Any,
    resume: bool,
    log: Log = lambda message: None,
) -> Trained:
    """Answer-level GRPO from ``policy`` (resuming from the folder's last checkpoint when asked), evaluated on
    ``evaluation`` every ``settings.data.eval_steps`` steps when asked. With ``log_completions``, TRL's per-step table
    of completions goes to ``completions.txt`` in the run folder (beside its Parquet files), not to the console."""
    log(f"GRPO: {settings.steps} steps × {settings.prompts_per_step} prompts × K={settings.num_generations} = "
        f"{settings.steps * settings.prompts_per_step * settings.num_generations} completions, {settings.label}")
    model, tokenizer = load_policy(policy.path)
    failure = FailureWarningCallback(log)
    degenerate = DegenerateRunCallback(log, settings.num_generations, settings.reward.extractor)
    callbacks = [JsonlMetricsCallback(folder.metrics, {"method": settings.label, "estimator": settings.reward.estimator}),
                 failure, degenerate, *_measurements(settings, folder, tokenizer, train, evaluation)]
    if progress is not None:
        callbacks.append(RichProgressCallback(progress, f"GRPO {settings.label}"))
    trainer = AlftGRPOTrainer(
        model=model,
        args=grpo_config(settings, folder, hardware),
        train_dataset=train,
        processing_class=tokenizer,
        peft_config=lora_config(settings),
        callbacks=callbacks,
    )
    trainer.remove_callback(PrinterCallback)  # with tqdm off it prints every log dict (docs/concepts/builtin-task.md)
    checkpoint = folder.last_checkpoint() if resume else None
    start = time.perf_counter()
    with one_torch_thread(), _completion_tables(settings, folder, hardware.is_main):  # two threads slow down whenever another process holds a core (docs/concepts/builtin-task.md#running-on-cpu)
        trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    seconds = time.perf_counter() - start
    trained = trainer.accelerator.unwrap_model(trainer.model)
    if settings.policy.lora:
        trained = trained.merge_and_unload()
    if hardware.is_main:
        trained.save_pretrained(folder.policy)
        tokenizer.save_pretrained(folder.policy)
    return Trained(trained, seconds, failure.evidence, degenerate.warnings, trainer)


def _measurements(settings: TrainSettings, folder: RunFolder, tokenizer: Any, train: datasets.Dataset,
                  evaluation: datasets.Dataset | None) -> list[PeriodicMeasureCallback]:
    """What is measured during training: the distance to p* every checkpoint (anchored games with a probe) and
    the held-out evaluation every ``--eval-steps`` (when asked); both sample on forked random streams."""
    callbacks = []
    if settings.sharpening is not None and settings.data.probe_prompts:
        probe_prompts = min(PROBE_DURING_PROMPTS, settings.data.probe_prompts)
        probe_samples = min(PROBE_DURING_SAMPLES, settings.data.probe_samples)
        callbacks.append(PeriodicMeasureCallback(
            folder.path / "equilibrium.jsonl", every=settings.save_steps,
            measure=lambda m: measure_equilibrium(m, tokenizer, train, settings, probe_prompts, probe_samples)))
    if settings.data.eval_steps and evaluation is not None:
        callbacks.append(PeriodicMeasureCallback(
            folder.evaluation_during, every=settings.data.eval_steps,
            measure=lambda m: evaluate(m, tokenizer, evaluation, settings).to_dict()))
    return callbacks


@contextlib.contextmanager
def _completion_tables(settings: TrainSettings, folder: RunFolder, is_main: bool) -> Iterator[None]:
    """TRL prints every step's completions table (``log_completions``, main process) to stdout: into
    completions.txt instead."""
    if not (settings.hardware.log_completions and is_main):
        yield
        return
    with (folder.path / "completions.txt").open("a") as out, contextlib.redirect_stdout(out):
        yield


def training_summary(metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Means of the answer-level training metrics over the first and last 20 % of steps."""
    keys = ["reward", "alft/answer_entropy", "alft/majority_share", "alft/n_distinct", "alft/sample_accuracy",
            "alft/majority_accuracy", "alft/n_unextractable", "alft/equivalence_seconds",
            "alft/estimator_seconds", "step_time"]
    tail = max(1, int(len(metrics) * SUMMARY_TAIL))
    out: dict[str, Any] = {"steps_logged": len(metrics)}
    for key in keys:
        for part, lines in (("first", metrics[:tail]), ("last", metrics[-tail:])):
            values = [m[key] for m in lines if m.get(key) is not None]
            if values:
                out[f"{key.removeprefix('alft/')}_{part}"] = statistics.fmean(values)
    out["nonfinite_rewards_total"] = sum(m.get("alft/nonfinite_rewards") or 0 for m in metrics)
    return out


def run_training(
    settings: TrainSettings,
    folder: Path,
    *,
    resume: bool = True,
    progress: Any = None,
    log: Log = lambda message: None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The whole ``alft train`` job: the summary (also summary.json); None on the processes but the main one.

    Args:
        settings: what to run.
        folder: the run folder (created once every check passed; an existing one must hold the same settings).
        resume: continue from the folder's last checkpoint if it has one.
        progress: a started ``rich.progress.Progress`` for the GRPO bar, or None.
        log: receives one line per stage (the CLI prints them to stderr).
        options: the command's options, written to config.yaml (``alft train --config`` re-runs them).
    """
    run, hardware, train, evaluation = _checked_run(settings, Path(folder), options, log)
    start = time.perf_counter()
    log(f"base policy: {policy_name(settings)} on {hardware.device}{' (bf16)' if hardware.bf16 else ''}, "
        f"{hardware.processes} process(es)")
    with PartialState().main_process_first():  # one process warms up, the others read the cache
        policy = base_policy(settings, show_progress=draws_bars(progress))
    train, references = with_references(policy, train, settings, hardware, progress, log)  # processes share chunks
    before, before_seconds = evaluate_base(policy.path, evaluation, train, settings, hardware, run, log)
    trained = train_grpo(policy, train, evaluation, settings, run, hardware, progress, resume, log)
    if not hardware.is_main:
        return None
    after, equilibrium_after, after_seconds = evaluate_trained(trained.model, run, evaluation, train, settings, log)
    metrics = read_metrics(run.metrics)
    summary = {
        "settings": settings.to_json(),
        "method": settings.label,
        "base_policy": policy.path,
        "hardware": {"device": hardware.device, "bf16": hardware.bf16, "processes": hardware.processes},
        "before": before,
        "after": after,
        "during": read_metrics(run.evaluation_during),
        "training": {**training_summary(metrics), "failure_warning": trained.failure,
                     "degenerate_warnings": trained.degenerate},
        "references": references,
        "equilibrium": equilibrium_summary(run, equilibrium_after),
        "seconds": _seconds(policy, references, before_seconds, trained.seconds, after_seconds, start),
    }
    run.write_json(run.summary, summary)
    report_to_trackers(trained.trainer, summary)
    plot_run(metrics, run.path, before, after, title=f"({settings.label})", equilibrium=summary["equilibrium"])
    return summary


def _checked_run(settings: TrainSettings, folder: Path, options: dict[str, Any] | None,
                 log: Log) -> tuple[RunFolder, Runtime, datasets.Dataset, datasets.Dataset | None]:
    """Every check that needs no training (the folder's settings, devices, the model, the prompts), then the run
    folder with config.json and config.yaml written; a refused run writes nothing."""
    run = RunFolder(folder)
    config = settings.to_json()
    run.check_config(config, ignore=NOT_COMPARED, flags=setting_flags(), renamed=RENAMED_KEYS)
    hardware = runtime(settings)
    if settings.policy.model is not None:
        announce_conversion(settings.policy.model, log)
        load_tokenizer(settings.policy.model)  # a model that does not load is refused before the folder is written
    train, evaluation = prompts(settings, log)
    warn_plain_prompts(settings, train, log)
    if hardware.is_main:
        run.create().write_config(config, options)
    return run, hardware, train, evaluation


def _seconds(policy: BasePolicy, references: dict[str, Any] | None, before: float, grpo: float, after: float,
             start: float) -> dict[str, Any]:
    """The run's wall-clock time by stage (the reference stage's time and count move here from its description)."""
    return {
        "warmup": policy.seconds,
        "warmup_cached": policy.cached,
        "references": (references or {}).pop("seconds", 0.0),
        "references_drawn_now": (references or {}).pop("drawn_now", 0),  # provenance, like warmup_cached
        "eval_before": before,
        "grpo": grpo,
        "eval_after": after,
        "total": time.perf_counter() - start,
    }
