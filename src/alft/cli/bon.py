"""``alft bon``: exact best-of-n KL, its estimator and win rate for a discrete reference (SPEC §4).

``alft bon`` prints a table (or, with ``--json``, one JSON object) for a list of n;
``alft bon plot`` draws KL against n and the KL–win-rate frontier to a PNG.
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
    Reference,
    builtin_reference,
    expected_kl_estimator,
    kl_exact,
    kl_formula,
    kl_saturation,
    monte_carlo_summary,
    rewind_point,
    tilted_point,
    win_bound,
    win_rate,
)
from alft.errors import AlftInputError

DEFAULT_DIST = "ties-demo"
DEFAULT_NS = "1,2,4,8,16,32,64,128,256,1024"
_DIST_HELP = "Built-in reference distribution (used when no --input is given): " + "; ".join(
    f"{name}: {description}" for name, (_, description) in BUILTIN.items()
)

InputOption = Annotated[Path | None, typer.Option(
    "--input", "-i", help='JSON file {"probs": [...], "rewards": [...]}: the reference and a reward per output.')]
DistOption = Annotated[str | None, typer.Option("--dist", "-d", help=_DIST_HELP + f". Default {DEFAULT_DIST}.")]
NOption = Annotated[str, typer.Option("--n", help="Comma-separated values of n (each ≥ 1), e.g. 1,2,4,16.")]

_err = Console(stderr=True)


def load_reference(input_path: Path | None, dist: str | None) -> tuple[Reference, str]:
    """The reference named by ``--input`` or ``--dist`` (default: the ``ties-demo`` built-in).

    Args:
        input_path: a JSON file with keys "probs" and "rewards", or None.
        dist: a built-in name, or None.

    Returns:
        (reference, label for titles).

    Raises:
        AlftInputError: naming the field (``--input``, ``probs``, ``rewards``, ``dist``) that is wrong.
    """
    if input_path is not None and dist is not None:
        raise AlftInputError(f"--input/--dist: got both {str(input_path)!r} and {dist!r}, expected one of them")
    if input_path is None:
        name = dist or DEFAULT_DIST
        return builtin_reference(name), name
    try:
        data = json.loads(input_path.read_text())
    except OSError as exc:
        raise AlftInputError(
            f"--input: cannot read {str(input_path)!r} ({exc.strerror}), expected a JSON file"
        ) from exc
    except json.JSONDecodeError as exc:
        raise AlftInputError(f"--input: {str(input_path)!r} is not valid JSON ({exc}), expected "
                             '{"probs": [...], "rewards": [...]}') from exc
    if not isinstance(data, dict) or not {"probs", "rewards"} <= data.keys():
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise AlftInputError(f"--input: got {found!r}, expected a JSON object with keys \"probs\" and \"rewards\"")
    return Reference.from_arrays(data["probs"], data["rewards"]), input_path.name


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


def bon_report(reference: Reference, ns: list[int], draws: int, seed: int) -> dict:
    """The numbers ``alft bon`` prints: lists aligned with ``ns``.

    Args:
        reference: the reference policy with rewards.
        ns: values of n.
        draws: Monte-Carlo best-of-n runs per n for a sampled d_n estimate (0: none).
        seed: seed of the Monte-Carlo draws.

    Returns:
        A JSON-ready dict with keys n, kl_exact, kl_formula, kl_estimator (the exact mean of d_n under
        best-of-n), win_rate, win_bound, and kl_estimator_mc, kl_estimator_mc_stderr when draws > 0.
    """
    report = {
        "n": ns,
        "kl_exact": [kl_exact(reference, n) for n in ns],
        "kl_formula": [kl_formula(n) for n in ns],
        "kl_estimator": [expected_kl_estimator(reference, n) for n in ns],
        "win_rate": [win_rate(reference, n) for n in ns],
        "win_bound": [win_bound(n) for n in ns],
    }
    if draws > 0:
        rng = np.random.default_rng(seed)
        summaries = [monte_carlo_summary(reference, n, draws, rng).kl_estimator for n in ns]
        report["kl_estimator_mc"] = [s.mean for s in summaries]
        report["kl_estimator_mc_stderr"] = [s.stderr for s in summaries]
    return report


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


def _frontier_curves(reference: Reference) -> tuple[np.ndarray, ...]:
    """(KL, win) sweeps of the tilted optimum (over λ) and rewind-and-repeat (over the threshold)."""
    tilted = np.array([tilted_point(reference, lam) for lam in np.concatenate([[0.0], np.geomspace(1e-2, 1e6, 240)])])
    top_below = float(reference.levels.cdf_below[-1])
    thresholds = top_below * (1 - np.geomspace(1e-6, 1, 200))[::-1]
    rewind = np.array([rewind_point(reference, t) for t in thresholds])
    return tilted[:, 0], tilted[:, 1], rewind[:, 0], rewind[:, 1]


def draw_bon_figure(reference: Reference, label: str, ns: list[int], out: Path) -> None:
    """Two panels: KL against n, and win rate against KL for the three policies.

    Args:
        reference: the reference policy with rewards.
        label: distribution name for the title.
        ns: values of n.
        out: PNG path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = bon_report(reference, ns, draws=0, seed=0)
    fig, (ax_kl, ax_win) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax_kl.plot(ns, report["kl_formula"], "k--", label="log n − (n−1)/n")
    ax_kl.plot(ns, report["kl_exact"], "o-", label="exact KL")
    ax_kl.plot(ns, report["kl_estimator"], "s:", label="E[d_n] (estimator)")
    ax_kl.axhline(kl_saturation(reference), color="grey", lw=0.8, label="log(1/p_top)")
    ax_kl.set(xscale="log", xlabel="n", ylabel="KL(π_n ‖ π_ref) [nats]", title=f"KL of best-of-n, {label}")
    ax_kl.legend()
    tilt_kl, tilt_win, rew_kl, rew_win = _frontier_curves(reference)
    ax_win.plot(tilt_kl, tilt_win, "-", label="optimal tilted policy")
    ax_win.plot(rew_kl, rew_win, "-.", label="rewind-and-repeat")
    ax_win.plot(report["kl_exact"], report["win_rate"], "o", label="best-of-n (exact)")
    ax_win.plot(report["kl_formula"], report["win_bound"], "k+", label="continuous limit (formula, n/(n+1))")
    for n, kl, win in zip(ns, report["kl_exact"], report["win_rate"]):
        ax_win.annotate(str(n), (kl, win), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax_win.set(xlabel="KL [nats]", ylabel="win rate vs π_ref (ties ½)", title="KL–win-rate frontier")
    ax_win.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _fail(exc: AlftInputError) -> typer.Exit:
    _err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def bon_command(
    ctx: typer.Context,
    input_path: InputOption = None,
    dist: DistOption = None,
    n: NOption = DEFAULT_NS,
    seed: Annotated[int, typer.Option(help="Seed of the Monte-Carlo draws (--draws).")] = 0,
    draws: Annotated[int, typer.Option(
        help="Also estimate the mean of d_n from this many simulated best-of-n runs (Monte Carlo, uses --seed).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of the table.")] = False,
) -> None:
    """Exact best-of-n KL, the classical formula, the d_n estimator and the win rate for each n.

    The reference is a JSON file {"probs": [...], "rewards": [...]} (--input) or a built-in (--dist).
    Ties in reward are broken uniformly. `alft bon plot` draws the same quantities.
    """
    if ctx.invoked_subcommand is not None:
        return
    try:
        if draws < 0:
            raise AlftInputError(f"--draws: got {draws}, expected an integer ≥ 0")
        reference, label = load_reference(input_path, dist)
        report = bon_report(reference, parse_ns(n), draws, seed)
    except AlftInputError as exc:
        raise _fail(exc) from None
    if as_json:
        print(json.dumps(report))
    else:
        _print_table(report, label, reference)


def plot_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="PNG file to write.")],
    input_path: InputOption = None,
    dist: DistOption = None,
    n: NOption = DEFAULT_NS,
    seed: Annotated[int, typer.Option(help="Unused by the exact curves; kept so every command takes --seed.")] = 0,
) -> None:
    """Draw KL against n and the KL–win-rate frontier (best-of-n, tilted optimum, rewind-and-repeat) to PNG."""
    del seed  # the plot is exact: no sampling
    try:
        reference, label = load_reference(input_path, dist)
        ns = parse_ns(n)
        if out.suffix.lower() != ".png":
            raise AlftInputError(f"--out: got {str(out)!r}, expected a path ending in .png")
    except AlftInputError as exc:
        raise _fail(exc) from None
    draw_bon_figure(reference, label, ns, out)
    _err.print(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add ``alft bon`` (table / JSON) and ``alft bon plot`` to the main app."""
    bon_app = typer.Typer(help="Best-of-n alignment: exact KL, its estimator and win rate (SPEC §4).",
                          invoke_without_command=True)
    bon_app.callback(invoke_without_command=True)(bon_command)
    bon_app.command("plot")(plot_command)
    app.add_typer(bon_app, name="bon")
