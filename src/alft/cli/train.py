"""``alft train`` and ``alft compare``: answer-level GRPO on the built-in task (or a real model and dataset).

``alft train`` with no option runs the whole default: the cached warm-up, then Coherence-GRPO with the
``aqp`` estimator, with progress bars, and ends with a before/after table. ``alft compare`` runs several
methods on the same seeds and prints one table with the seed spread. torch is imported inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alft.cli.errors import fail, stderr as _err, user_errors
from alft.errors import AlftInputError, AlftNumericalError
from alft.games.reward import REWARD_DEFAULTS, REWARD_HELP, parse_params
from alft.training.settings import objective_for, task_reward

_out = Console()

Opt = typer.Option
PresetOption = Annotated[str, Opt("--preset", help="Sizes of the run: default (≈ 10 min on 2 cores) or tiny (seconds).")]
ObjectiveOption = Annotated[str | None, Opt("--objective", help=REWARD_HELP["objective"])]
PeerOption = Annotated[str | None, Opt("--peer", help=REWARD_HELP["peer"])]
EstimatorOption = Annotated[str, Opt("--estimator", help=REWARD_HELP["estimator"])]
ParamOption = Annotated[list[str] | None, Opt("--param", help="Estimator parameter NAME=VALUE (repeatable), e.g. kappa=4 for aqp.")]
KOption = Annotated[int | None, Opt("--num-generations", "-k", help="K, completions per prompt (≥ 2). Preset default.")]
StepsOption = Annotated[int | None, Opt("--steps", help="GRPO optimizer steps. Preset default.")]
SeedOption = Annotated[int, Opt("--seed", help="Seeds GRPO sampling, data order and evaluation sampling.")]
LrOption = Annotated[float | None, Opt("--lr", help="GRPO learning rate (default 3e-5; ≥ 1e-4 hacks the reward).")]
EvalOption = Annotated[int | None, Opt("--eval-problems", help="Held-out problems evaluated before and after (0: none).")]
JsonOption = Annotated[bool, Opt("--json", help="Print exactly one JSON object (the summary) to stdout.")]


def _settings(**values: Any) -> Any:
    from alft.training.settings import TrainSettings

    return TrainSettings(**values)


def _progress() -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=_err, transient=False)


def _fmt(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def before_after_table(summary: dict[str, Any]) -> Table:
    """Rows: evaluation metrics; columns: base policy, trained policy, change."""
    n = (summary.get("after") or {}).get("n_prompts", 0)
    table = Table(title=f"{summary['method']}: base vs trained, {n} held-out problems")
    for column in ("metric", "before", "after", "change"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    before, after = summary.get("before") or {}, summary.get("after") or {}
    keys = ["greedy_accuracy", "majority_accuracy", "mean_sample_accuracy"]
    keys += sorted(k for k in before if k.startswith("pass@")) + ["answer_entropy", "distinct_answers", "unextractable_rate"]
    for key in keys:
        b, a = before.get(key), after.get(key)
        change = None if a is None or b is None else a - b
        label = "majority-of-K accuracy" if key == "majority_accuracy" else key.replace("_", " ")
        table.add_row(label, _fmt(b), _fmt(a), "–" if change is None else f"{change:+.3f}")
    return table


def equilibrium_line(equilibrium: dict[str, Any]) -> str:
    """TV to the predicted p* before → after, with the floor and the best-fitting exponent."""
    before, after = equilibrium.get("before") or {}, equilibrium["after"]
    start = f"{before['tv_to_p_star']:.3f} → " if before else ""
    return (f"distance to p* ∝ p_ref^{after['sharpening']:g} (mean TV, {after['n_prompts']} training prompts × "
            f"{after['samples_per_prompt']} samples): {start}{after['tv_to_p_star']:.3f} (floor {after['tv_floor']:.3f}; "
            f"best-fitting exponent {after['best_exponent']})")


def timing_line(summary: dict[str, Any]) -> str:
    s = summary["seconds"]
    warm = "cached" if s["warmup_cached"] else f"{s['warmup']:.0f} s"
    references = f"reference answers {s['references']:.0f} s, " if s.get("references") else ""
    return (f"time: total {s['total']:.0f} s (warm-up {warm}, {references}eval {s['eval_before'] + s['eval_after']:.0f} s, "
            f"GRPO {s['grpo']:.0f} s)")


def train(
    preset: PresetOption = "default",
    objective: ObjectiveOption = None,
    peer: PeerOption = None,
    estimator: EstimatorOption = REWARD_DEFAULTS["estimator"],
    param: ParamOption = None,
    num_generations: KOption = None,
    steps: StepsOption = None,
    seed: SeedOption = 0,
    lr: LrOption = None,
    beta: Annotated[float, Opt("--beta", help="KL weight to the base policy (TRL's beta).")] = 0.0,
    scale_rewards: Annotated[str, Opt("--scale-rewards", help="TRL advantage scaling: group, batch or none.")] = "group",
    prompts_per_step: Annotated[int | None, Opt("--prompts-per-step", help="Prompts per step. Preset default.")] = None,
    max_completion_length: Annotated[int | None, Opt("--max-completion-length", help="Tokens per completion.")] = None,
    temperature: Annotated[float | None, Opt("--temperature", help="Sampling temperature (GRPO, reference answers, evaluation). Preset default (0.7).")] = None,
    eval_problems: EvalOption = None,
    save_steps: Annotated[int | None, Opt("--save-steps", help="Checkpoint every N steps. Preset default.")] = None,
    model: Annotated[str | None, Opt("--model", help="A local model folder or hub id instead of the built-in model.")] = None,
    dataset: Annotated[str | None, Opt("--dataset", help="A JSONL/JSON/CSV/Parquet file or a datasets name with a prompt column.")] = None,
    dataset_split: Annotated[str, Opt("--dataset-split", help="Split of a named dataset.")] = "train",
    prompt_column: Annotated[str, Opt("--prompt-column", help="The dataset's prompt column.")] = "prompt",
    answer_column: Annotated[str, Opt("--answer-column", help="Reference-answer column ('' for none).")] = "answer",
    lora: Annotated[bool, Opt("--lora/--no-lora", help="Train a LoRA adapter (PEFT) instead of all weights.")] = False,
    lora_rank: Annotated[int, Opt("--lora-rank", help="LoRA rank.")] = 8,
    unextractable: Annotated[str, Opt("--unextractable", help=REWARD_HELP["unextractable"])] = REWARD_DEFAULTS["unextractable"],
    penalty: Annotated[float, Opt("--penalty", help=REWARD_HELP["penalty"])] = REWARD_DEFAULTS["penalty"],
    extractor: Annotated[str | None, Opt("--extractor", help=REWARD_HELP["extractor"] + " Default: arithmetic for the built-in task, auto otherwise.")] = None,
    grouper: Annotated[str, Opt("--grouper", help=REWARD_HELP["grouper"])] = REWARD_DEFAULTS["grouper"],
    constraint: Annotated[list[str] | None, Opt("--constraint", help=REWARD_HELP["constraints"] + " Repeatable.")] = None,
    dual_step: Annotated[float, Opt("--dual-step", help=REWARD_HELP["dual_step"])] = REWARD_DEFAULTS["dual_step"],
    sharpening: Annotated[float | None, Opt("--sharpening", "-s", help="The anchored game's exponent s > 1: training aims at p* ∝ p_ref^s, the base policy's answer distribution sharpened (SPEC §2.6). The default game, s = 2, when neither --objective nor --peer is given.")] = None,
    reference_draws: Annotated[int | None, Opt("--reference-draws", help="M, answers drawn once per training prompt from the base policy for the anchor (cached). Preset default.")] = None,
    reference_estimator: Annotated[str, Opt("--reference-estimator", help=REWARD_HELP["reference_estimator"])] = REWARD_DEFAULTS["reference_estimator"],
    allow_collapse: Annotated[bool, Opt("--allow-collapse", help="Run a game whose optimum is one answer, right or wrong (e.g. plain coherence: γ ≥ β); refused otherwise.")] = False,
    output_dir: Annotated[Path | None, Opt("--output-dir", "-o", help="Run folder (default runs/<time>-<method>).")] = None,
    resume: Annotated[bool, Opt("--resume/--no-resume", help="Continue from the run folder's last checkpoint.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Answer-level GRPO: warm-up (cached) → evaluate → train → evaluate; writes a run folder."""
    with user_errors():
        reward = task_reward(
            dataset, objective=objective_for(objective, sharpening), peer=peer, reference_estimator=reference_estimator, estimator=estimator, estimator_params=parse_params(param),
            unextractable=unextractable, penalty=penalty, extractor=extractor, grouper=grouper,
            constraints=tuple(constraint or ()), dual_step=dual_step,
        )
        settings = _settings(
            preset=preset, reward=reward, num_generations=num_generations, steps=steps,
            seed=seed, learning_rate=lr, beta=beta, scale_rewards=scale_rewards, prompts_per_step=prompts_per_step,
            max_completion_length=max_completion_length, temperature=temperature, eval_problems=eval_problems,
            save_steps=save_steps, model=model, dataset=dataset, dataset_split=dataset_split,
            prompt_column=prompt_column, answer_column=answer_column, lora=lora, lora_rank=lora_rank,
            reference_draws=reference_draws, allow_collapse=allow_collapse,
        )
    from alft.training.run_folder import default_run_name

    folder = output_dir or Path("runs") / default_run_name(settings.label)
    summary = _run(lambda progress: _training(settings, folder, resume, progress), folder)
    if as_json:
        print(json.dumps(summary))
        return
    _out.print(before_after_table(summary))
    if summary.get("equilibrium"):
        _out.print(equilibrium_line(summary["equilibrium"]))
    _out.print(timing_line(summary))
    _out.print(f"run folder: {folder}")


def _training(settings: Any, folder: Path, resume: bool, progress: Any) -> dict[str, Any]:
    from alft.training.pipeline import run_training

    return run_training(settings, folder, resume=resume, progress=progress, log=lambda m: _err.print(f"• {m}"))


def _run(job: Any, folder: Path) -> dict[str, Any]:
    """Run a job with a progress bar; stdout is kept for the result (libraries' prints go to stderr)."""
    try:
        with _progress() as progress, contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            # transformers' own deprecation notices, triggered inside TRL: nothing a user can act on
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")
            return job(progress)
    except (AlftInputError, AlftNumericalError) as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        _err.print(f"interrupted: run the same command with --output-dir {folder} to resume from the last checkpoint")
        raise typer.Exit(130) from None
    raise AssertionError("unreachable")


def _parse_list(text: str, field: str, cast: Any) -> list[Any]:
    try:
        return [cast(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise AlftInputError(f"{field}: got {text!r}, expected a comma-separated list") from None


def compare(
    methods: Annotated[str, Opt("--methods", help="Comma-separated: plugin, digamma, aqp (coherence), ttrl, empo.")] = "plugin,digamma,aqp,ttrl,empo",
    seeds: Annotated[str, Opt("--seeds", help="Comma-separated GRPO seeds, the same for every method.")] = "0,1,2",
    preset: PresetOption = "default",
    steps: Annotated[int | None, Opt("--steps", help="GRPO steps per run (default 150 with the default preset).")] = None,
    num_generations: KOption = None,
    lr: LrOption = None,
    eval_problems: Annotated[int | None, Opt("--eval-problems", help="Held-out problems (default 500 with the default preset).")] = None,
    output_dir: Annotated[Path | None, Opt("--output-dir", "-o", help="Comparison folder (default runs/compare-<time>).")] = None,
    as_json: JsonOption = False,
) -> None:
    """Compare methods over the same seeds: one table (mean ± std over seeds) and one PNG."""
    with user_errors():
        method_list = _parse_list(methods, "--methods", str)
        seed_list = _parse_list(seeds, "--seeds", int)
        defaults = {"steps": 150, "eval_problems": 500} if preset == "default" else {}
        base = _settings(preset=preset, num_generations=num_generations, learning_rate=lr,
                         steps=steps if steps is not None else defaults.get("steps"),
                         eval_problems=eval_problems if eval_problems is not None else defaults.get("eval_problems"))
    from alft.training.compare import run_comparison

    folder = output_dir or Path("runs") / time.strftime("compare-%Y%m%d-%H%M%S")
    result = _run(lambda progress: run_comparison(base, method_list, seed_list, folder, progress=progress,
                                                  log=lambda m: _err.print(f"• {m}")), folder)
    if as_json:
        print(json.dumps(result))
        return
    _out.print(comparison_table(result))
    _out.print(f"plot: {result['plot']}")


def comparison_table(result: dict[str, Any]) -> Table:
    """Per method and metric: the mean value after training, and its change mean ± std over seeds."""
    from rich.markup import escape

    from alft.training.compare import COMPARED_METRICS

    table = Table(title=escape(f"alft compare: after (change mean ± std over seeds {result['seeds']})"))
    table.add_column("method")
    for _, label in COMPARED_METRICS:
        table.add_column(label, justify="right")
    for entry in result["aggregate"]:
        cells = [
            f"{entry[f'{key}_after_mean']:.3f} ({entry[f'{key}_delta_mean']:+.3f} ± {entry[f'{key}_delta_std']:.3f})"
            if f"{key}_delta_mean" in entry else "–"
            for key, _ in COMPARED_METRICS
        ]
        table.add_row(entry["method"], *cells)
    return table


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("compare")(compare)
