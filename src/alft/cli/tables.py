"""``alft tables``: show one reward table, draw the bias/variance frontier, report every estimator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List

import typer
from rich.console import Console
from rich.table import Table

from alft.cli.errors import estimator_with_params, stderr as _err, user_errors

tables_app = typer.Typer(help="Count-based reward tables: metrics, frontier and report.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(tables_app, name="tables")


def _warn_seed(seed: int | None) -> None:
    """``--seed`` was once accepted here for uniformity; nothing in a table is random, so say it does nothing."""
    if seed is not None:
        _err.print("warning: --seed does nothing here (tables are deterministic) and will be removed")


def _progress():
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(), console=_err, transient=True)


@tables_app.command("show")
def show(
    estimator: str = typer.Argument(..., help="Estimator, NAME or NAME:KEY=NUMBER, e.g. digamma, ustat, aqp:kappa=8, aqp-floor:c=0.5."),
    K: int = typer.Option(16, "--K", "-K", help="Group size."),
    target: str = typer.Option("log", "--target", help="log, kl, l2, tsallis:ALPHA, kl+l2[:MU] or poly:A0,A1,..."),
    param: List[str] = typer.Option([], "--param", help="Deprecated: write the parameter into ESTIMATOR, e.g. aqp:kappa=8.", hidden=True),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object."),
    seed: int | None = typer.Option(None, "--seed", hidden=True, help="Deprecated: does nothing, tables are deterministic."),
) -> None:
    """Print one table g[0..K−1] and its metrics."""
    _warn_seed(seed)
    from alft.estimators import get_estimator, parse_estimator

    with user_errors():
        name, params = parse_estimator(estimator_with_params(estimator, param, "ESTIMATOR"), "ESTIMATOR")
        summary = get_estimator(name, K, target, **params).summary()
    if as_json:
        typer.echo(json.dumps(summary))
        return
    table = Table(title=f"{estimator} (K={K}, target {summary['target']}, params {summary['params']})")
    table.add_column("N (others agreeing)", justify="right")
    table.add_column("g[N]", justify="right")
    for n, value in enumerate(summary["table"]):
        table.add_row(str(n), f"{value:.6g}")
    console = Console()
    console.print(table)
    console.print(
        f"sup p·|bias| = {summary['weighted_bias']:.4g} (K²· = {K * K * summary['weighted_bias']:.4g});  "
        f"floor bias on [1/K,1] = {summary['floor_bias']:.4g};  sup Var on [1/K,1] = {summary['max_variance']:.4g}"
    )


@tables_app.command("frontier")
def frontier_command(
    K: List[int] = typer.Option([8, 16, 32], "--K", "-K", help="Group sizes (repeatable)."),
    out: Path = typer.Option(Path("frontier.png"), "--out", help="PNG of the frontier, one panel per K."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of tables."),
    seed: int | None = typer.Option(None, "--seed", hidden=True, help="Deprecated: does nothing, tables are deterministic."),
) -> None:
    """Bias/variance Pareto frontier: the AQP κ sweep against every named table."""
    _warn_seed(seed)
    from alft.estimators.plots import draw_frontiers
    from alft.estimators.report import DEFAULT_KAPPAS, frontier

    results = []
    with user_errors(), _progress() as progress:
        task = progress.add_task("frontier", total=len(K) * (len(DEFAULT_KAPPAS) + 6))
        for k in K:
            results.append(frontier(k, progress=lambda label: progress.update(task, advance=1, description=f"K={k} {label}")))
    draw_frontiers(results, out)
    if as_json:
        typer.echo(json.dumps({"frontiers": results, "plot": str(out)}))
        return
    console = Console()
    for data in results:
        table = Table(title=f"Bias/variance frontier, K = {data['K']}")
        for column in ("table", "K²·sup p|bias|", "sup Var [1/K,1]", "dominated by the sweep"):
            table.add_column(column, justify="right")
        for row in data["sweep"]:
            table.add_row(row["label"], f"{data['K'] ** 2 * row['weighted_bias']:.3f}", f"{row['max_variance']:.3g}", "")
        for row in data["named"]:
            table.add_row(row["label"], f"{data['K'] ** 2 * row['weighted_bias']:.3f}", f"{row['max_variance']:.3g}", "yes" if data["dominates"][row["label"]] else "no")
        console.print(table)
    console.print(f"plot: {out}")


@tables_app.command("report")
def report_command(
    K: List[int] = typer.Option([4, 8, 16, 32, 64], "--K", "-K", help="Group sizes (repeatable)."),
    out_dir: Path = typer.Option(Path("tables-report"), "--out-dir", help="Folder for report.json and report.png."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
    seed: int | None = typer.Option(None, "--seed", hidden=True, help="Deprecated: does nothing, tables are deterministic."),
) -> None:
    """Metrics of every log-p estimator for each K, with fitted decay exponents; writes JSON + PNG."""
    _warn_seed(seed)
    from alft.estimators.plots import draw_report
    from alft.estimators import log_estimators
    from alft.estimators.report import estimator_report

    with user_errors(), _progress() as progress:
        task = progress.add_task("report", total=len(K) * len(log_estimators()))
        report = estimator_report(K, progress=lambda label: progress.update(task, advance=1, description=label))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    draw_report(report, out_dir / "report.png")
    if as_json:
        typer.echo(json.dumps(report))
        return
    table = Table(title="Estimators of log p: K²·sup p|bias| and sup Var on [1/K,1] (fitted exponent of the bias in K)")
    table.add_column("estimator")
    for k in K:
        table.add_column(f"K={k}", justify="right")
    table.add_column("bias ∝ K^", justify="right")
    for name, data in report["estimators"].items():
        cells = [f"{m['K'] ** 2 * m['weighted_bias']:.3g} / {m['max_variance']:.3g}" for m in data["metrics"]]
        table.add_row(name, *cells, f"{data['weighted_bias_exponent']:.2f}")
    Console().print(table)
    Console().print(f"wrote {out_dir / 'report.json'} and {out_dir / 'report.png'}")
