"""``alft bvpo``: BVPO against DPO on the built-in task, a run folder with a before/after table and a plot
(docs/concepts/bvpo.md). Parses and prints; the comparison is :func:`alft.bvpo.compare.run_comparison`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer

from alft.cli.errors import user_errors

_METHODS_HELP = ("Comma-separated methods: alpha=0, alpha=0.25, alpha=0.5 (the paper's), alpha=0.75, alpha-hat "
                 "(α̂* re-estimated each step), dpo-trace (α = 1: DPO on the trace pairs), dpo-trace-2x (the "
                 "budget-matched control: DPO on twice the trace pairs), or 'all'.")
DEFAULT_METHODS = "alpha=0.5,alpha-hat,dpo-trace,dpo-trace-2x"


def register(app: typer.Typer) -> None:
    """Add the ``bvpo`` command to the main app."""
    app.command(name="bvpo")(bvpo)


def bvpo(
    methods: str = typer.Option(DEFAULT_METHODS, "--methods", help=_METHODS_HELP),
    seed: int = typer.Option(0, "--seed", help="Random seed (pairs, training order, sampling)."),
    steps: int = typer.Option(40, "--steps", help="Optimiser steps per method."),
    batch_pairs: int = typer.Option(8, "--batch-pairs", help="Pairs per step and pair set (≥ 2: α̂* needs a sample covariance)."),
    learning_rate: float = typer.Option(1e-4, "--learning-rate", help="AdamW learning rate."),
    beta: float = typer.Option(0.1, "--beta", help="DPO's β."),
    train_prompts: int = typer.Option(384, "--train-prompts", help="Training prompts drawn; those with a trace pair and an empty-trace pair are kept."),
    eval_problems: int = typer.Option(400, "--eval-problems", help="Held-out problems for the accuracies."),
    probe_prompts: int = typer.Option(100, "--probe-prompts", help="Held-out prompts of the marginal preference probe."),
    probe_samples: int = typer.Option(32, "--probe-samples", help="Traces per probe prompt that estimate π(y|x)."),
    hybrid_steps: int = typer.Option(400, "--hybrid-steps", help="SFT steps that teach the shipped policy to answer with an empty trace (made once, cached)."),
    output_dir: Optional[str] = typer.Option(None, "--output-dir", help="Run folder (default runs/<timestamp>-bvpo); an existing one resumes."),
    exact: bool = typer.Option(False, "--exact", help="Instead of training: the exact-game report (closed-form α* checks and the α̂* regret against α*, 0.5 and the endpoints), numpy only."),
    games: int = typer.Option(24, "--games", help="With --exact: random exact games (even ones at θ = θ_ref, odd ones moved away)."),
    batches: int = typer.Option(400, "--batches", help="With --exact: sampled batches per game and batch size (the Monte-Carlo check draws 10× as many)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as one JSON object to stdout."),
) -> None:
    """Train BVPO (α fixed or α̂*) and DPO baselines from a base policy that answers with or without trace.

    Pairs come from the verifier (a correct answer preferred to a wrong one), drawn from the base policy with
    the trace and with the trace forced empty. Reports accuracy in both modes, held-out preference accuracy on
    the marginal answer probability, gradient variance over resampled traces and trace length over training.
    """
    from rich.console import Console

    if exact:
        with user_errors():
            report = _exact(games, batches, seed)
        if as_json:
            typer.echo(json.dumps(report))
        else:
            _exact_table(report, Console())
        return

    from alft.bvpo.compare import METHODS, BVPOSettings

    with user_errors():
        names = tuple(METHODS) if methods.strip() == "all" else tuple(m.strip() for m in methods.split(",") if m.strip())
        settings = BVPOSettings(seed=seed, methods=names, steps=steps, batch_pairs=batch_pairs,
                                learning_rate=learning_rate, beta=beta, train_prompts=train_prompts,
                                eval_problems=eval_problems, probe_prompts=probe_prompts, probe_samples=probe_samples,
                                hybrid_steps=hybrid_steps)
        folder = Path(output_dir) if output_dir else Path("runs") / (time.strftime("%Y%m%d-%H%M%S") + "-bvpo")
        summary = _run(settings, folder, as_json)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        _table(summary, Console())
        Console().print(f"run folder: {folder}  ({summary['seconds']:.0f} s)")


def _run(settings, folder: Path, quiet: bool) -> dict:
    import datasets
    import transformers
    from rich.console import Console

    from alft.bvpo.compare import run_comparison

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    console = Console(stderr=True)
    return run_comparison(settings, folder, log=(lambda _: None) if quiet else (lambda line: console.print(line, highlight=False)))


def _table(summary: dict, console) -> None:
    from rich.table import Table

    from alft.bvpo.compare import table_rows

    header, rows = table_rows(summary)
    table = Table(title=f"BVPO on the built-in task (seed {summary['settings']['seed']}, "
                        f"{summary['pairs']['prompts_kept']} prompts with both pair sets)")
    for column in header:
        table.add_column(column, justify="left" if column == "metric" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _exact(games: int, batches: int, seed: int) -> dict:
    from alft.bvpo.report import exact_report
    from alft.errors import require

    require(batches >= 2, "--batches", batches, "an integer ≥ 2")
    return exact_report(games, batches=batches, seed=seed)


def _exact_table(report: dict, console) -> None:
    from rich.table import Table

    checks = report["checks"]
    console.print(f"{checks['games']} exact games: |α* − grid minimiser| ≤ {checks['closed_form_vs_grid_max_gap']:.1e}; "
                  f"max MSE(α*)/min(MSE(0), MSE(1)) = {checks['mse_opt_over_best_endpoint_max']:.6f} "
                  f"(strictly < 1 in {checks['strictly_better_interior_cases']}/{checks['cases']}); "
                  f"variance identity error ≤ {checks['variance_identity_max_error']:.1e}; "
                  f"Monte-Carlo max |z| = {checks['monte_carlo_max_abs_z']:.2f}", highlight=False)
    table = Table(title="relative MSE regret vs α* (median over games)")
    names = ["alpha_hat", "alpha_hat_oracle_mu", "alpha=0", "alpha=0.5 (paper)", "alpha=1"]
    for column in ("regime / batch", "α* range", *names, "α̂ beats 0.5"):
        table.add_column(column, justify="left" if column == "regime / batch" else "right")
    for cell, row in report["regret"]["summary"].items():
        low, high = row["alpha_star_range"]
        table.add_row(cell, f"{low:.2f}–{high:.2f}", *(f"{row['median_relative_regret'][n]:.3f}" for n in names),
                      f"{row['alpha_hat_beats_paper_0.5']}/{row['games']}")
    console.print(table)
