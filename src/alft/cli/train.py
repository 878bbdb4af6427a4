"""``alft train`` and ``alft compare``: answer-level GRPO on the built-in task (or a real model and dataset).

``alft train`` with no option runs the whole default: the shipped base policy, its reference answers (cached),
then the anchored game p* ∝ p_ref^2 with the ``aqp`` estimator, with progress bars, and ends with a
before/after table and the distance to p*. Its options are the fields of the settings groups
(:mod:`alft.training.settings`, made into typer options by :mod:`alft.cli.options`). ``alft compare`` runs several
methods on the same seeds and prints one table with the seed spread. torch is imported inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from alft.cli.errors import estimator_with_params, stderr as _err, user_errors
from alft.cli.options import field_option, with_group_options
from alft.cli.progress import progress_display, quiet_libraries, stage_log
from alft.errors import AlftInputError
from alft.training.option_fields import field_types, flag_aliases
from alft.training.settings import OPTION_GROUPS, TrainSettings, config_file_options, train_settings

_out = Console()

Opt = typer.Option
RUN = "Run folder and output"
JsonOption = Annotated[bool, Opt("--json", help="Print exactly one JSON object (the summary) to stdout.", rich_help_panel=RUN)]
VerboseOption = Annotated[bool, Opt("--verbose", rich_help_panel=RUN, help="Also show the libraries' own progress bars, log lines and warnings (transformers, datasets, TRL); hidden by default.")]
OutputDirOption = Annotated[Path | None, Opt("--output-dir", "-o", help="Run folder. Default: runs/<time>-<method>.", rich_help_panel=RUN)]
ResumeOption = Annotated[bool, Opt("--resume/--no-resume", help="Continue from the run folder's last checkpoint.", rich_help_panel=RUN)]
ParamOption = Annotated[list[str] | None, Opt("--param", help="Deprecated: write the parameter into --estimator, e.g. --estimator aqp:kappa=4.", hidden=True)]
PresetOption = field_option(TrainSettings, "preset")
KOption = field_option(TrainSettings, "num_generations")
LrOption = field_option(TrainSettings, "learning_rate")
# The command's own options a --config file may also set (the settings' options come from their fields).
LAUNCH_TYPES = {"output_dir": Path | None, "resume": bool, "verbose": bool, "as_json": bool, "param": list[str] | None}


def _read_config(ctx: typer.Context, value: Path | None) -> Path | None:
    """``--config FILE``: the file's values become the defaults of the command's options, so an option given
    on the command line wins. Runs first (eager), before any other option is read."""
    from alft.training.config_file import read_config_file

    if value is not None:
        types = {**field_types(*OPTION_GROUPS), **LAUNCH_TYPES}
        with user_errors():
            values = read_config_file(value, types, {**flag_aliases(*OPTION_GROUPS), "json": "as_json"})
        ctx.default_map = {**(ctx.default_map or {}), **values}
    return value


ConfigOption = Annotated[Path | None, Opt("--config", is_eager=True, callback=_read_config, rich_help_panel=RUN, help=(
    "A YAML file of options (keys are the option names, e.g. num_generations: 8, lr: 1e-6); options given on the "
    "command line win. Every run writes its own as <run folder>/config.yaml."))]


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
    output_dir: OutputDirOption = None,
    resume: ResumeOption = True,
    param: ParamOption = None,
    verbose: VerboseOption = False,
    as_json: JsonOption = False,
    **options: Any,
) -> None:
    """Answer-level GRPO: base policy → evaluate → train → evaluate; writes a run folder.

    Multi-GPU (or several CPU processes): accelerate launch -m alft.cli train [OPTIONS].
    """
    from alft.training.run_folder import default_run_name

    with user_errors():
        options["estimator"] = estimator_with_params(options["estimator"], param)
        settings = train_settings(options)
    folder = output_dir or Path("runs") / default_run_name(settings.label)
    written = config_file_options(options, settings)
    summary = _run(lambda progress: _training(settings, folder, resume, progress, written), folder, verbose=verbose)
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


train = with_group_options(train, *OPTION_GROUPS)


def _training(settings: Any, folder: Path, resume: bool, progress: Any, options: dict[str, Any]) -> dict[str, Any] | None:
    from alft.training.pipeline import run_training

    return run_training(settings, folder, resume=resume, progress=progress, log=stage_log(progress), options=options)


def _run(job: Any, folder: Path, interrupted: str | None = None, verbose: bool = False) -> dict[str, Any] | None:
    """Run a job with progress on stderr (bars on a terminal, timed lines in a log file); stdout is kept for the
    result (libraries' prints go to stderr). The libraries' own bars, logs and warnings show only if ``verbose``.
    ``interrupted`` is what Ctrl-C prints (default: how to resume the run in ``folder``)."""
    try:
        with (user_errors(), quiet_libraries(verbose), progress_display(_err) as progress,
              contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings()):
            # transformers' own deprecation notices, triggered inside TRL: nothing a user can act on
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\.")
            return job(progress)
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
    from alft.training.compare import comparison_settings, run_comparison

    with user_errors():
        method_list = _parse_list(methods, "--methods", str)
        seed_list = _parse_list(seeds, "--seeds", int)
        base = comparison_settings(preset, num_generations, lr, steps, eval_problems)
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
