"""``alft train`` and ``alft compare``: answer-level GRPO on the built-in task (or a real model and dataset).

``alft train`` with no option runs the whole default: the shipped base policy, its reference answers (cached),
then the anchored game p* ∝ p_ref^2 with the ``aqp`` estimator, with progress bars, and ends with a
before/after table and the distance to p*. ``alft compare`` runs several
methods on the same seeds and prints one table with the seed spread. torch is imported inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
import time
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from alft.cli.errors import estimator_with_params, fail, stderr as _err, user_errors
from alft.cli.progress import progress_display, quiet_libraries, stage_log
from alft.errors import AlftInputError, AlftNumericalError, require
from alft.games.reward import REWARD_DEFAULTS, REWARD_HELP
from alft.games import Reward
from alft.training.settings import TrainSettings, objective_for, task_extractor

_out = Console()

Opt = typer.Option


def _preset_default(field: str) -> str:
    """``default: 8 (preset default), 4 (preset tiny)`` — a size that comes from the preset unless given."""
    from alft.training.settings import PRESETS, USER_MODEL_SIZES

    cap = USER_MODEL_SIZES.get(field)
    cap = "" if cap is None else f" With --model: at most {cap}." if cap else " With --model: 0 (off) unless given."
    return "Default: " + ", ".join(f"{getattr(p, field):g} (preset {name})" for name, p in PRESETS.items()) + "." + cap


PresetOption = Annotated[Literal["default", "tiny"], Opt("--preset",
                                  help="Sizes of the run: default (≈ 2 min on 2 cores) or tiny (seconds, for tests).")]
ObjectiveOption = Annotated[str | None, Opt("--objective", help=REWARD_HELP["objective"])]
PeerOption = Annotated[Literal["ttrl", "empo"] | None, Opt("--peer", help=REWARD_HELP["peer"])]
EstimatorOption = Annotated[str, Opt("--estimator", help=REWARD_HELP["estimator"])]
ParamOption = Annotated[list[str] | None, Opt("--param", help="Deprecated: write the parameter into --estimator, e.g. --estimator aqp:kappa=4.", hidden=True)]
KOption = Annotated[int | None, Opt("--num-generations", "-k", help="K, completions per prompt (≥ 2). " + _preset_default("num_generations"))]
StepsOption = Annotated[int | None, Opt("--steps", help="GRPO optimizer steps. " + _preset_default("steps"))]
SeedOption = Annotated[int, Opt("--seed", help="Seeds GRPO sampling, data order and evaluation sampling.")]
LrOption = Annotated[float | None, Opt("--lr", help="GRPO learning rate (TRL's learning_rate). " + _preset_default("learning_rate")
                                       + " On the built-in task lr ≥ 1e-4 hacked the reward; tune it for your model.")]
EvalOption = Annotated[int | None, Opt("--eval-problems", help="Held-out problems evaluated before and after (0: none; a dataset keeps at most 1/5 of its rows). " + _preset_default("eval_problems"))]
JsonOption = Annotated[bool, Opt("--json", help="Print exactly one JSON object (the summary) to stdout.")]
VerboseOption = Annotated[bool, Opt("--verbose", help="Also show the libraries' own progress bars, log lines and warnings (transformers, datasets, TRL); hidden by default.")]
TrainPromptsOption = Annotated[int | None, Opt("--train-prompts", help="Distinct training prompts of the built-in task (a --dataset trains on its rows but the evaluation ones, at most --steps × --prompts-per-step of them). " + _preset_default("train_prompts"))]
ProbePromptsOption = Annotated[int | None, Opt("--probe-prompts", help="Training prompts on which the distance to the predicted equilibrium p* is measured before and after training (anchored games; 0: no probe). " + _preset_default("probe_prompts"))]
ProbeSamplesOption = Annotated[int | None, Opt("--probe-samples", help="Answers sampled per probe prompt (≥ 2). " + _preset_default("probe_samples"))]
# Options the written config.yaml leaves out: where and how this run was launched, not what it computes.
NOT_IN_CONFIG_FILE = ("config", "output_dir", "resume", "as_json", "verbose")


def _read_config(ctx: typer.Context, value: Path | None) -> Path | None:
    """``--config FILE``: the file's values become the defaults of the command's options, so an option given
    on the command line wins. Runs first (eager), before any other option is read."""
    if value is not None:
        with user_errors():
            ctx.default_map = {**(ctx.default_map or {}), **config_file_values(value, ctx.command.params)}
    return value


ConfigOption = Annotated[Path | None, Opt("--config", is_eager=True, callback=_read_config, help=(
    "A YAML file of options (keys are the option names, e.g. num_generations: 8, lr: 1e-6); options given on the "
    "command line win. Every run writes its own as <run folder>/config.yaml."))]


def config_file_values(path: Path, params: list[Any]) -> dict[str, Any]:
    """The options of a YAML config file, checked against the command's options.

    Raises:
        AlftInputError: an unreadable file, a key that is no option, or a value of the wrong type (naming it).
    """
    import difflib

    import yaml

    try:
        values = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise AlftInputError(f"--config: could not read {str(path)!r} as YAML ({error})") from None
    values = {} if values is None else values
    require(isinstance(values, dict), "--config", str(path), "a YAML mapping of option names to values")
    by_name = {name: p for p in params if p.name not in ("config", "help") for name in _option_names(p)}
    out: dict[str, Any] = {}
    for key, value in values.items():
        param = by_name.get(str(key).replace("-", "_"))
        if param is None:
            close = difflib.get_close_matches(str(key).replace("-", "_"), by_name, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see alft train --help)"
            raise AlftInputError(f"--config: key {key!r} in {str(path)!r} is not an option of this command{hint}")
        out[param.name] = _checked_value(param, key, value, path)
    return out


def _option_names(param: Any) -> set[str]:
    """``lr``, ``num_generations``… (the long option without dashes) and the parameter's own name."""
    return {param.name} | {o[2:].replace("-", "_") for o in param.opts if o.startswith("--")}


def _yaml_float(value: Any) -> Any:
    """PyYAML reads ``1e-6`` (no dot) as text (YAML 1.1): a number written that way is still a number."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)
    return value


def _checked_value(param: Any, key: str, value: Any, path: Path) -> Any:
    """The value if it has the option's type (YAML gives ints, floats, bools, strings and lists)."""
    kind = param.type_descriptor.annotation  # the Python type of the option (typer)
    if value is None and param.default is None:
        return None
    if param.multiple:
        value = [value] if isinstance(value, str) else value
        ok, expected = isinstance(value, list) and all(isinstance(v, str) for v in value), "a list of text"
    elif kind is bool:
        ok, expected = isinstance(value, bool), "true or false"
    elif kind is int:
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif kind is float:
        value = _yaml_float(value)
        ok, expected = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif typing.get_origin(kind) is Literal:
        ok, expected = value in typing.get_args(kind), f"one of {list(typing.get_args(kind))}"
    else:
        ok, expected = isinstance(value, str), "text"
    if not ok:
        raise AlftInputError(f"--config: key {key!r} in {str(path)!r}: got {value!r} ({type(value).__name__}), "
                             f"expected {expected}")
    return value


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
    warm = f"warm-up {s['warmup']:.0f} s, " if s["warmup_cached"] is False else ""  # shipped, cached or --model: none
    references = f"reference answers {s['references']:.0f} s, " if s.get("references") else ""
    return (f"time: total {s['total']:.0f} s ({warm}{references}eval {s['eval_before'] + s['eval_after']:.0f} s, "
            f"GRPO {s['grpo']:.0f} s)")


def train(
    ctx: typer.Context,
    config: ConfigOption = None,
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
    scale_rewards: Annotated[Literal["group", "batch", "none"], Opt("--scale-rewards", help="TRL's advantage scaling: by the group's reward std, the batch's, or none.")] = "group",
    prompts_per_step: Annotated[int | None, Opt("--prompts-per-step", help="Prompts per optimizer step, over all processes; each process gets prompts × K / (processes × gradient accumulation steps) completions a micro-batch (TRL's per_device_train_batch_size). " + _preset_default("prompts_per_step"))] = None,
    gradient_accumulation_steps: Annotated[int, Opt("--gradient-accumulation-steps", help="Micro-batches per optimizer step (TRL's name): the same step in smaller pieces, for memory.")] = 1,
    max_completion_length: Annotated[int | None, Opt("--max-completion-length", help="Tokens per completion. " + _preset_default("max_completion_length"))] = None,
    temperature: Annotated[float | None, Opt("--temperature", help="Sampling temperature (GRPO, reference answers, evaluation). " + _preset_default("temperature"))] = None,
    eval_problems: EvalOption = None,
    eval_steps: Annotated[int, Opt("--eval-steps", help="Also evaluate on the held-out problems every N steps, into the run folder's evaluation.jsonl (0: before and after only). Evaluation samples on a forked random stream: the run's numbers do not change.")] = 0,
    save_steps: Annotated[int | None, Opt("--save-steps", help="Checkpoint every N steps. " + _preset_default("save_steps"))] = None,
    model: Annotated[str | None, Opt("--model", help="A local model folder (save_pretrained), a GGUF file (or a folder holding one; converted once to a cached safetensors folder) or a hub id instead of the built-in model. Default: the built-in model.")] = None,
    dataset: Annotated[str | None, Opt("--dataset", help="A JSONL/JSON/CSV/Parquet file or a datasets name; its prompt column holds text or chat messages ([{role, content}], through the model's chat template). Needs --model. Default: the built-in arithmetic task.")] = None,
    dataset_split: Annotated[str, Opt("--dataset-split", help="Split of a named dataset.")] = "train",
    prompt_column: Annotated[str, Opt("--prompt-column", help="The dataset's prompt column.")] = "prompt",
    answer_column: Annotated[str, Opt("--answer-column", help="Reference-answer column ('' for none: no accuracy, agreement only).")] = "answer",
    device: Annotated[Literal["auto", "cpu", "cuda", "mps"], Opt("--device", help="auto: CUDA, else MPS, else CPU, as accelerate picks (the built-in model stays on CPU, where its numbers are reproducible). bf16 mixed precision on CUDA GPUs that support it, fp32 elsewhere.")] = "auto",
    report_to: Annotated[str, Opt("--report-to", help="Trackers, comma-separated (TRL/transformers' report_to): none, tensorboard (event files under <run folder>/checkpoints/runs), wandb, trackio, mlflow, … or all.")] = "none",
    use_vllm: Annotated[bool, Opt("--use-vllm/--no-use-vllm", help="Generate completions with vLLM (TRL's use_vllm; needs `pip install vllm` and a GPU).")] = False,
    vllm_mode: Annotated[Literal["colocate", "server"], Opt("--vllm-mode", help="TRL's vllm_mode: colocate (vLLM in the training processes) or server (a separate `trl vllm-serve`).")] = "colocate",
    vllm_server_base_url: Annotated[str | None, Opt("--vllm-server-base-url", help="The vLLM server's URL in server mode, e.g. http://localhost:8000. Default: TRL's (0.0.0.0:8000).")] = None,
    lora: Annotated[bool, Opt("--lora/--no-lora", help="Train a LoRA adapter (PEFT) instead of all weights; the saved policy has it merged.")] = False,
    lora_rank: Annotated[int, Opt("--lora-rank", help="LoRA rank r.")] = 8,
    lora_alpha: Annotated[float | None, Opt("--lora-alpha", help="LoRA scaling alpha. Default: 2 × rank.")] = None,
    lora_target_modules: Annotated[str, Opt("--lora-target-modules", help="Modules with a LoRA adapter: all-linear, or comma-separated names such as q_proj,v_proj.")] = "all-linear",
    unextractable: Annotated[str, Opt("--unextractable", help=REWARD_HELP["unextractable"])] = REWARD_DEFAULTS["unextractable"],
    penalty: Annotated[float, Opt("--penalty", help=REWARD_HELP["penalty"])] = REWARD_DEFAULTS["penalty"],
    extractor: Annotated[str | None, Opt("--extractor", help=REWARD_HELP["extractor"] + " Default: arithmetic for the built-in task, auto otherwise.")] = None,
    grouper: Annotated[str, Opt("--grouper", help=REWARD_HELP["grouper"])] = REWARD_DEFAULTS["grouper"],
    constraint: Annotated[list[str] | None, Opt("--constraint", help=REWARD_HELP["constraints"] + " Repeatable.")] = None,
    dual_step: Annotated[float, Opt("--dual-step", help=REWARD_HELP["dual_step"])] = REWARD_DEFAULTS["dual_step"],
    sharpening: Annotated[float | None, Opt("--sharpening", "-s", help="The anchored game's exponent s > 1: training aims at p* ∝ p_ref^s, the base policy's answer distribution sharpened. Default: 2, the game run when neither --objective nor --peer is given.")] = None,
    reference_draws: Annotated[int | None, Opt("--reference-draws", help="M, answers drawn once per training prompt from the base policy for the anchor (cached); a dataset's own reference_answers column (alft references) sets it and nothing is drawn. " + _preset_default("reference_draws"))] = None,
    reference_estimator: Annotated[str, Opt("--reference-estimator", help=REWARD_HELP["reference_estimator"])] = REWARD_DEFAULTS["reference_estimator"],
    allow_collapse: Annotated[bool, Opt("--allow-collapse", help="Run a game whose optimum is one answer, right or wrong (e.g. plain coherence: γ ≥ β); refused otherwise.")] = False,
    log_completions: Annotated[bool, Opt("--log-completions/--no-log-completions", help="Write every step's prompts, completions and rewards (TRL's log_completions: Parquet under <run folder>/checkpoints/completions).")] = False,
    output_dir: Annotated[Path | None, Opt("--output-dir", "-o", help="Run folder. Default: runs/<time>-<method>.")] = None,
    resume: Annotated[bool, Opt("--resume/--no-resume", help="Continue from the run folder's last checkpoint.")] = True,
    train_prompts: TrainPromptsOption = None,
    probe_prompts: ProbePromptsOption = None,
    probe_samples: ProbeSamplesOption = None,
    verbose: VerboseOption = False,
    as_json: JsonOption = False,
) -> None:
    """Answer-level GRPO: base policy → evaluate → train → evaluate; writes a run folder.

    Multi-GPU (or several CPU processes): accelerate launch -m alft.cli train [OPTIONS].
    """
    with user_errors():
        reward = Reward(
            objective=objective_for(objective, sharpening), peer=peer,
            estimator=estimator_with_params(estimator, param), unextractable=unextractable, penalty=penalty,
            extractor=task_extractor(dataset, extractor), grouper=grouper, constraints=tuple(constraint or ()),
            dual_step=dual_step, reference_estimator=reference_estimator, allow_collapse=allow_collapse,
        )
        settings = TrainSettings(
            preset=preset, reward=reward, num_generations=num_generations, steps=steps,
            seed=seed, learning_rate=lr, beta=beta, scale_rewards=scale_rewards, prompts_per_step=prompts_per_step,
            gradient_accumulation_steps=gradient_accumulation_steps,
            max_completion_length=max_completion_length, temperature=temperature, eval_problems=eval_problems,
            eval_steps=eval_steps,
            save_steps=save_steps, model=model, dataset=dataset, dataset_split=dataset_split,
            prompt_column=prompt_column, answer_column=answer_column, device=device, report_to=report_to,
            use_vllm=use_vllm, vllm_mode=vllm_mode, vllm_server_base_url=vllm_server_base_url, lora=lora,
            lora_rank=lora_rank, lora_alpha=lora_alpha, lora_target_modules=lora_target_modules,
            reference_draws=reference_draws, log_completions=log_completions, train_prompts=train_prompts,
            probe_prompts=probe_prompts, probe_samples=probe_samples,
        )
    from alft.training.run_folder import default_run_name

    options = _config_file_options(ctx.params, settings)
    folder = output_dir or Path("runs") / default_run_name(settings.label)
    summary = _run(lambda progress: _training(settings, folder, resume, progress, options), folder, verbose=verbose)
    if summary is None:
        return  # not the main process of a multi-process launch: the main one reports
    if as_json:
        print(json.dumps(summary))
        return
    _out.print(before_after_table(summary))
    if summary.get("equilibrium"):
        _out.print(equilibrium_line(summary["equilibrium"]))
    _out.print(timing_line(summary))
    _out.print(f"run folder: {folder}")


def _config_file_options(params: dict[str, Any], settings: Any) -> dict[str, Any]:
    """The run's options for config.yaml: what it computes (not where it was launched), paths resolved."""
    options = {k: list(v) if isinstance(v, (list, tuple)) else v for k, v in params.items()
               if k not in NOT_IN_CONFIG_FILE and v is not None}
    options = {k: v for k, v in options.items() if v != []}
    options.update({k: getattr(settings, k) for k in ("model", "dataset") if k in options})
    return options


def _training(settings: Any, folder: Path, resume: bool, progress: Any, options: dict[str, Any]) -> dict[str, Any] | None:
    from alft.training.pipeline import run_training

    return run_training(settings, folder, resume=resume, progress=progress, log=stage_log(progress), options=options)


def _run(job: Any, folder: Path, interrupted: str | None = None, verbose: bool = False) -> dict[str, Any] | None:
    """Run a job with progress on stderr (bars on a terminal, timed lines in a log file); stdout is kept for the
    result (libraries' prints go to stderr). The libraries' own bars, logs and warnings show only if ``verbose``.
    ``interrupted`` is what Ctrl-C prints (default: how to resume the run in ``folder``)."""
    try:
        with (quiet_libraries(verbose), progress_display(_err) as progress, contextlib.redirect_stdout(sys.stderr),
              warnings.catch_warnings()):
            # transformers' own deprecation notices, triggered inside TRL: nothing a user can act on
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")
            return job(progress)
    except (AlftInputError, AlftNumericalError) as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        _err.print(interrupted or f"interrupted: run the same command with --output-dir {folder} to resume from the last checkpoint")
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
    verbose: VerboseOption = False,
    as_json: JsonOption = False,
) -> None:
    """Compare methods over the same seeds: one table (mean ± std over seeds) and one PNG."""
    with user_errors():
        method_list = _parse_list(methods, "--methods", str)
        seed_list = _parse_list(seeds, "--seeds", int)
        defaults = {"steps": 150, "eval_problems": 500} if preset == "default" else {}
        base = TrainSettings(preset=preset, num_generations=num_generations, learning_rate=lr,
                         steps=steps if steps is not None else defaults.get("steps"),
                         eval_problems=eval_problems if eval_problems is not None else defaults.get("eval_problems"))
    from alft.training.compare import run_comparison

    folder = output_dir or Path("runs") / time.strftime("compare-%Y%m%d-%H%M%S")
    result = _run(lambda progress: run_comparison(base, method_list, seed_list, folder, progress=progress,
                                                  log=stage_log(progress)), folder, verbose=verbose)
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
