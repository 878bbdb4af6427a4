"""``alft simulate``: exact tabular alignment games, sampled GRPO-style dynamics per estimator against the
exact-gradient control; TV to the closed-form equilibrium over steps (SPEC §3.7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

# Shown in --help without importing numpy-heavy modules at start-up.
_OBJECTIVE_HELP = (
    "Objective, e.g. '0.5*coherence', '0.5*diversity', 'gini', '0.4*pairwise', '0.3*coherence+verifier', "
    "'kl', 'l2', 'tsallis:3', 'kl+l2:0.5' (β = --beta; coherence needs weight < β)."
)


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to the main app."""
    app.command(name="simulate")(simulate)


def simulate(
    objective: str = typer.Option("0.5*coherence", "--objective", help=_OBJECTIVE_HELP),
    K: int = typer.Option(16, "--K", "-K", help="Group size (completions per prompt)."),
    estimators: str = typer.Option("plugin,digamma,aqp", "--estimators", help="Comma-separated estimator names."),
    steps: int = typer.Option(600, "--steps", help="Updates per run."),
    groups: int = typer.Option(1000, "--groups", help="Groups of K sampled per prompt per step."),
    beta: float = typer.Option(1.0, "--beta", help="KL weight β to the reference policy."),
    step_size: float = typer.Option(0.5, "--step-size", help="Natural-gradient step η (η·β < 2)."),
    baseline: str = typer.Option("loo", "--baseline", help="loo (exactly unbiased), mean (GRPO) or none."),
    tv_threshold: float = typer.Option(0.01, "--tv-threshold", help="Report the first step with TV ≤ this."),
    seed: int = typer.Option(0, "--seed", help="First random seed."),
    seeds: int = typer.Option(1, "--seeds", help="Number of seeds (seed, seed+1, ...) to average over."),
    out: str = typer.Option("simulate_tv.png", "--out", help="PNG of TV over steps ('' to skip)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object to stdout."),
) -> None:
    """Simulate the distributional alignment game on exact tabular games and compare reward estimators.

    Each step draws groups of K answers per prompt from the softmax policy, rewards them with each
    estimator (leave-one-out baseline by default), and takes a natural-gradient step with KL to π_ref.
    The exact-gradient run ('exact') is the control. Final TV uses the Polyak average over the last half.
    """
    from rich.console import Console

    from alft.errors import AlftInputError, AlftNumericalError

    console = Console(stderr=True)
    try:
        report = _run(objective, K, estimators, steps, groups, beta, step_size, baseline, tv_threshold, seed, seeds, console, as_json)
    except (AlftInputError, AlftNumericalError) as error:
        console.print(f"[red]error:[/] {error}")
        raise typer.Exit(code=2) from None
    if out:
        _plot(report, Path(out))
        report["plot"] = out
    if as_json:
        typer.echo(json.dumps(report))
    else:
        _table(report, tv_threshold, Console())


def _run(objective, K, estimators, steps, groups, beta, step_size, baseline, tv_threshold, seed, seeds, console, quiet) -> dict[str, Any]:
    import numpy as np
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from alft.errors import AlftInputError
    from alft.games import Dynamics, default_game, parse_objective
    from alft.games.dynamics import compare, equilibria, fixed_point_tv

    names = [n.strip() for n in estimators.split(",") if n.strip()]
    if not names:
        raise AlftInputError(f"--estimators: got {estimators!r}, expected a comma-separated list of estimator names")
    from alft.estimators import ESTIMATORS

    unknown = [n for n in names if n not in ESTIMATORS]
    if unknown:
        raise AlftInputError(f"--estimators: got {unknown[0]!r}, expected names from {', '.join(ESTIMATORS)}")
    if seeds < 1:
        raise AlftInputError(f"--seeds: got {seeds!r}, expected a positive number of seeds")
    parsed = parse_objective(objective)
    game = default_game(beta)
    dynamics = Dynamics(steps=steps, groups=groups, step_size=step_size, baseline=baseline)
    optima = equilibria(game, parsed)  # refuses collapsing objectives before any work
    seed_list = list(range(seed, seed + seeds))
    total = steps * (1 + len(names) * seeds)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeRemainingColumn(), console=console, disable=quiet) as bar:
        task = bar.add_task(f"simulate {parsed.name} K={K}", total=total)
        runs = compare(game, parsed, ["exact", *names], K, dynamics, seeds=seed_list,
                       on_step=lambda _: bar.advance(task))
    results = {}
    for method, trajectories in runs.items():
        finals = [t.final_tv for t in trajectories]
        curve = np.mean([t.tv_curve for t in trajectories], axis=0)
        hits = [t.steps_to(tv_threshold) for t in trajectories]
        results[method] = {
            "final_tv": float(np.mean(finals)),
            "final_tv_std": float(np.std(finals)),
            "final_tv_seeds": finals,
            "predicted_tv": 0.0 if method == "exact" else fixed_point_tv(game, parsed, method, K),
            "steps_to_tv": None if any(h is None for h in hits) else float(np.mean(hits)),
            "tv_curve": [float(x) for x in curve],
        }
    return {
        "objective": parsed.name,
        "K": K,
        "beta": beta,
        "steps": [int(s) for s in runs["exact"][0].steps],
        "seeds": seed_list,
        "baseline": baseline,
        "tv_threshold": tv_threshold,
        "equilibrium": [dict(zip(pr.answers, [float(x) for x in p])) for pr, p in zip(game.prompts, optima)],
        "results": results,
    }


def _table(report: dict[str, Any], threshold: float, console) -> None:
    from rich.table import Table

    table = Table(title=f"{report['objective']}, K={report['K']}, β={report['beta']}: TV to the equilibrium")
    for column in ("method", "final TV (mean ± sd over seeds)", "bias-only TV (exact fixed point)", f"steps to TV ≤ {threshold:g}"):
        table.add_column(column, justify="right" if column != "method" else "left")
    for method, r in report["results"].items():
        steps = "never" if r["steps_to_tv"] is None else f"{r['steps_to_tv']:.0f}"
        table.add_row(method, f"{r['final_tv']:.2e} ± {r['final_tv_std']:.1e}", f"{r['predicted_tv']:.2e}", steps)
    console.print(table)
    if "plot" in report:
        console.print(f"plot: {report['plot']}")


def _plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for method, r in report["results"].items():
        line, = ax.semilogy(report["steps"], [max(x, 1e-17) for x in r["tv_curve"]], label=method)
        if method != "exact":
            ax.axhline(max(r["predicted_tv"], 1e-17), color=line.get_color(), linestyle=":", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("TV(p_π, p*) (mean over prompts)")
    ax.set_title(f"{report['objective']}, K={report['K']} (dotted: bias-only fixed point)")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
