"""``alft simulate``: exact tabular alignment games, sampled GRPO-style dynamics per estimator against the
exact-gradient control; TV to the closed-form equilibrium over steps (docs/concepts/game.md#the-anchor, docs/concepts/estimators.md#bias-moves-the-equilibrium). Parses and prints:
the summary is :func:`alft.games.simulation.simulate`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, Optional

import typer

from alft.cli.errors import stderr, user_errors
from alft.errors import require

# Shown in --help without importing numpy-heavy modules at start-up.
_OBJECTIVE_HELP = (
    "Objective, e.g. '0.5*coherence', '0.5*diversity', 'gini', '0.4*pairwise', '0.3*coherence+verifier', "
    "'kl', 'l2', 'tsallis:3', 'kl+l2:0.5' (β = --beta; coherence needs weight < β), or 'sharpened:S' "
    "('sharpened:S+verifier') for the answer-level anchor that alft train plays: reward r + (γ−β)·log p̂ + "
    "β·log p̂_ref with p* ∝ p_ref^S, with --reference-draws ('anchored' with --exponent or --gamma is the same game)."
)
_ESTIMATORS_HELP = (
    "Comma-separated estimator entries NAME or NAME:KEY=VALUE[:KEY=VALUE], e.g. 'plugin,digamma,aqp:kappa=1.25,"
    "aqp-floor:c=0.5' (the same name may appear with different parameters)."
)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the main app."""
    app.command(name="simulate")(simulate)


def simulate(
    objective: str = typer.Option("0.5*coherence", "--objective", help=_OBJECTIVE_HELP),
    K: int = typer.Option(16, "--K", "-K", help="Group size (completions per prompt)."),
    estimators: str = typer.Option("plugin,digamma,aqp", "--estimators", help=_ESTIMATORS_HELP),
    param: list[str] = typer.Option([], "--param", help="Deprecated: give each estimator its parameters in --estimators, e.g. aqp:kappa=4.", hidden=True),
    steps: int = typer.Option(600, "--steps", help="Updates per run."),
    groups: int = typer.Option(1000, "--groups", help="Groups of K sampled per prompt per step (small values, e.g. 4, with a small --step-size give the finite-budget regime, where variance matters)."),
    beta: float = typer.Option(1.0, "--beta", help="KL weight β to the reference policy (in the anchored game: the reward's β)."),
    step_size: float = typer.Option(0.5, "--step-size", help="Natural-gradient step η (η·β < 2)."),
    baseline: str = typer.Option("loo", "--baseline", help="loo (exactly unbiased), mean (GRPO) or none."),
    exponent: Optional[float] = typer.Option(None, "--exponent", help="Anchored game: sharpening exponent s = β/(β−γ) > 1, p* ∝ p_ref^s (give this or --gamma)."),
    gamma: Optional[float] = typer.Option(None, "--gamma", help="Anchored game: coherence weight γ < β (give this or --exponent)."),
    reference_draws: Optional[int] = typer.Option(None, "--reference-draws", help="Anchored game: M reference answers drawn once per prompt and seed (M ≥ 2, M + 1 ≤ 256); omit for the exact p_ref."),
    reference_estimator: str = typer.Option("digamma", "--reference-estimator", help="Anchored game: the log table for log p̂_ref at size M + 1 (its C = 0 entry is finite)."),
    tv_threshold: float = typer.Option(0.01, "--tv-threshold", help="ε: report the first step with TV ≤ ε and the samples until TV stays ≤ ε."),
    seed: int = typer.Option(0, "--seed", help="First random seed."),
    seeds: int = typer.Option(1, "--seeds", help="Number of seeds (seed, seed+1, ...) to average over."),
    out: str = typer.Option("simulate_tv.png", "--out", help="PNG of TV over steps ('' to skip)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object to stdout."),
) -> None:
    """Simulate the distributional alignment game on exact tabular games and compare reward estimators.

    Each step draws groups of K answers per prompt from the softmax policy, rewards them with each
    estimator (leave-one-out baseline by default), and takes a natural-gradient step with KL to π_ref.
    The exact-gradient run ('exact') is the control. Final TV uses the Polyak average over the last half.
    """
    from rich.console import Console

    from alft.games import Dynamics
    from alft.games.simulation import plot_summary, runs_per_simulation
    from alft.games.simulation import simulate as summarise

    with user_errors():
        require(seeds >= 1, "--seeds", seeds, "a positive number of seeds")
        entries = _estimator_entries(estimators, param)
        dynamics = Dynamics(steps=steps, groups=groups, step_size=step_size, baseline=baseline)
        total = steps * runs_per_simulation(entries, seeds, reference_draws is not None)
        with _progress(f"simulate {objective} K={K}", total, disable=as_json) as advance:
            report = summarise(objective, K, entries, dynamics, beta=beta, seeds=range(seed, seed + seeds),
                               tv_threshold=tv_threshold, exponent=exponent, gamma=gamma,
                               reference_draws=reference_draws, reference_estimator=reference_estimator,
                               on_step=lambda _: advance())
    if out:
        plot_summary(report, out)
        report["plot"] = out
    if as_json:
        typer.echo(json.dumps(report))
    else:
        _table(report, Console())


def _estimator_entries(estimators: str, param: list[str]) -> list[Any]:
    """The compared estimators of ``--estimators`` (the deprecated ``--param`` pairs folded in, with a note)."""
    from alft.errors import AlftInputError
    from alft.estimators import parse_params
    from alft.games.simulation import estimator_methods

    if param:
        stderr.print("note: --param is deprecated; give each estimator its parameters in --estimators, "
                     "e.g. --estimators plugin,aqp:kappa=4", highlight=False, soft_wrap=True)
    params = parse_params(param, "--param")
    try:
        return estimator_methods(estimators.split(","), params)
    except AlftInputError as error:
        raise AlftInputError(f"--estimators / --param: {error}") from None


@contextlib.contextmanager
def _progress(description: str, total: int, disable: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr (none with ``--json``); yields the function that advances it by one step."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(),
                        console=Console(stderr=True), disable=disable)
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


def _table(report: dict[str, Any], console) -> None:
    from rich.table import Table

    threshold = report["tv_threshold"]
    table = Table(title=f"{report['objective']}, K={report['K']}, β={report['beta']}: TV to the equilibrium")
    columns = ("method", "final TV (mean ± sd over seeds)", "bias-only TV", "÷ plug-in", f"steps to TV ≤ {threshold:g}",
               f"samples to stay ≤ {threshold:g}")
    for column in columns:
        table.add_column(column, justify="right" if column != "method" else "left")
    for method, r in report["results"].items():
        steps = "never" if r["steps_to_tv"] is None else f"{r['steps_to_tv']:.0f}"
        samples = "—" if r["samples_to_tv"] is None else f"{r['samples_to_tv']:.3g}"
        ratio = r.get("ratio_to_plugin")
        table.add_row(method, f"{r['final_tv']:.2e} ± {r['final_tv_sd']:.1e}", f"{r['bias_only_tv']:.2e}",
                      "—" if ratio is None else f"{ratio:.3g}", steps, samples)
    console.print(table)
    if "plot" in report:
        console.print(f"plot: {report['plot']}")
