"""``alft bon``: exact best-of-n KL, its estimator and win rate for a discrete reference (docs/concepts/best-of-n.md).

``alft bon`` prints a table (or, with ``--json``, the report of :func:`alft.bon.bon_report` as one JSON
object) for a list of n; ``alft bon plot`` draws KL against n and the KL–win-rate frontier to a PNG.
The numbers, the reference file format and the figure are :mod:`alft.bon`'s; this module reads the
options and prints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alft.bon import (
    BUILTIN,
    FILE_FORMAT,
    Reference,
    bon_report,
    builtin_reference,
    draw_bon_figure,
    kl_saturation,
    monte_carlo_summaries,
    read_reference,
)
from alft.cli.errors import user_errors
from alft.errors import AlftInputError

DEFAULT_DIST = "ties-demo"
DEFAULT_NS = "1,2,4,8,16,32,64,128,256,1024"
_DIST_HELP = "Built-in reference distribution (used when no --input is given): " + "; ".join(
    f"{name}: {description}" for name, (_, description) in BUILTIN.items()
)

InputOption = Annotated[Path | None, typer.Option(
    "--input", "-i", help=f"JSON file {FILE_FORMAT}: the reference and a reward per output.")]
DistOption = Annotated[str | None, typer.Option("--dist", "-d", help=_DIST_HELP + f". Default {DEFAULT_DIST}.")]
NOption = Annotated[str, typer.Option("--n", help="Comma-separated values of n (each ≥ 1), e.g. 1,2,4,16.")]

_err = Console(stderr=True)


def load_reference(input_path: Path | None, dist: str | None) -> tuple[Reference, str]:
    """The reference named by ``--input`` or ``--dist`` (default: the ``ties-demo`` built-in).

    Args:
        input_path: a reference file (:func:`alft.bon.read_reference`), or None.
        dist: a built-in name, or None.

    Returns:
        (reference, label for titles).

    Raises:
        AlftInputError: naming the option (``--input``, ``--dist``) or data field that is wrong.
    """
    if input_path is not None and dist is not None:
        raise AlftInputError(f"--input/--dist: got both {str(input_path)!r} and {dist!r}, expected one of them")
    if input_path is None:
        name = dist or DEFAULT_DIST
        return builtin_reference(name), name
    return read_reference(input_path, "--input"), input_path.name


def parse_ns(text: str) -> list[int]:
    """Parse ``--n`` ("1,2,4") into integers ≥ 1.

    Args:
        text: comma-separated integers.

    Returns:
        The list of n, in the order given.

    Raises:
        AlftInputError: naming ``--n`` and the bad entry.
    """
    ns = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise AlftInputError(f"--n: got {part!r} in {text!r}, expected comma-separated integers n ≥ 1")
        ns.append(int(part))
    return ns


def _print_table(report: dict, label: str, reference: Reference) -> None:
    table = Table(title=f"best-of-n on {label}: {reference.size} outputs, {reference.levels.mass.size} reward "
                        f"levels, KL saturates at log(1/p_top) = {kl_saturation(reference):.4f}")
    columns = ["n", "KL exact", "log n − (n−1)/n", "E[d_n]", "win rate", "n/(n+1)"]
    keys = ["n", "kl_exact", "kl_formula", "kl_estimator", "win_rate", "win_bound"]
    if "kl_estimator_mc" in report:
        columns.insert(4, "d_n (MC ± se)")
    for column in columns:
        table.add_column(escape(column), justify="right")
    for i, n in enumerate(report["n"]):
        row = [str(n)] + [f"{report[k][i]:.5f}" for k in keys[1:]]
        if "kl_estimator_mc" in report:
            row.insert(4, f"{report['kl_estimator_mc'][i]:.5f}±{report['kl_estimator_mc_stderr'][i]:.0e}")
        table.add_row(*row)
    Console().print(table)


def bon_command(
    ctx: typer.Context,
    input_path: InputOption = None,
    dist: DistOption = None,
    n: NOption = DEFAULT_NS,
    seed: Annotated[int, typer.Option(help="Seed of the Monte-Carlo draws (--draws).")] = 0,
    draws: Annotated[int, typer.Option(
        help="Also estimate KL, the mean of d_n and the win rate from this many simulated best-of-n runs "
             "per n (Monte Carlo, uses --seed).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the table.")] = False,
) -> None:
    """Exact best-of-n KL, the classical formula, the d_n estimator and the win rate for each n.

    The reference is a JSON file {"probs": [...], "rewards": [...]} (--input) or a built-in (--dist).
    Ties in reward are broken uniformly. `alft bon plot` draws the same quantities.
    """
    if ctx.invoked_subcommand is not None:
        return
    with user_errors():
        if draws < 0:
            raise AlftInputError(f"--draws: got {draws}, expected an integer ≥ 0")
        reference, label = load_reference(input_path, dist)
        ns = parse_ns(n)
        simulations = monte_carlo_summaries(reference, ns, draws, np.random.default_rng(seed))
        report = bon_report(reference, ns, simulations)
    if as_json:
        print(json.dumps(report))
    else:
        _print_table(report, label, reference)


def plot_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    input_path: InputOption = None,
    dist: DistOption = None,
    n: NOption = DEFAULT_NS,
    seed: Annotated[int | None, typer.Option(hidden=True, help="Deprecated: does nothing, the curves are exact.")] = None,
) -> None:
    """Draw KL against n and the KL–win-rate frontier (best-of-n, tilted optimum, rewind-and-repeat) to PNG."""
    if seed is not None:  # once accepted for uniformity; the plot is exact, nothing is sampled
        _err.print("warning: --seed does nothing here (the curves are exact) and will be removed")
    with user_errors():
        reference, label = load_reference(input_path, dist)
        ns = parse_ns(n)
        if out.suffix.lower() != ".png":
            raise AlftInputError(f"--out: got {str(out)!r}, expected a path ending in .png")
    draw_bon_figure(reference, label, ns, out)
    _err.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``alft bon`` (table / JSON) and ``alft bon plot`` to the main app."""
    bon_app = typer.Typer(help="Best-of-n alignment: exact KL, its estimator and win rate.",
                          invoke_without_command=True)
    bon_app.callback(invoke_without_command=True)(bon_command)
    bon_app.command("plot")(plot_command)
    app.add_typer(bon_app, name="bon")
