"""The best-of-n report: the numbers ``alft bon`` prints and the benchmarks record, and its figure (docs/concepts/best-of-n.md).

A report is a JSON-ready dict of lists aligned with ``n``. The exact columns are always there; a
Monte-Carlo column ``<key>_mc`` (with ``<key>_mc_stderr``) estimates the exact column ``<key>`` from
simulated best-of-n runs, so that the two can be compared key by key.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from alft.bon.estimator import expected_kl_estimator
from alft.bon.exact import check_n, kl_exact, kl_formula, kl_saturation, win_bound, win_rate
from alft.bon.frontier import rewind_point, tilted_point
from alft.bon.montecarlo import MonteCarloSummary
from alft.bon.reference import Reference
from alft.errors import require

#: Exact column → the :class:`MonteCarloSummary` field that estimates it.
MONTE_CARLO_COLUMNS = {"kl_exact": "kl", "kl_estimator": "kl_estimator", "win_rate": "win_rate"}


def bon_report(reference: Reference, ns: Sequence[int], simulations: Sequence[MonteCarloSummary] = ()) -> dict:
    """The exact best-of-n numbers for each n, and the Monte-Carlo estimates of some of them.

    Args:
        reference: the reference policy with rewards.
        ns: values of n.
        simulations: one summary per n (from :func:`~alft.bon.montecarlo.monte_carlo_summaries`), or none.

    Returns:
        A JSON-ready dict with keys n, kl_exact, kl_formula, kl_estimator (the exact mean of d_n under
        best-of-n), win_rate, win_bound; with simulations also kl_exact_mc, kl_estimator_mc, win_rate_mc
        and their ``_mc_stderr``.
    """
    ns = [check_n(n) for n in ns]
    require(not simulations or [s.n for s in simulations] == ns, "simulations",
            [s.n for s in simulations], f"one summary per n = {ns}, in that order")
    report = {
        "n": ns,
        "kl_exact": [kl_exact(reference, n) for n in ns],
        "kl_formula": [kl_formula(n) for n in ns],
        "kl_estimator": [expected_kl_estimator(reference, n) for n in ns],
        "win_rate": [win_rate(reference, n) for n in ns],
        "win_bound": [win_bound(n) for n in ns],
    }
    return report | _monte_carlo_columns(simulations)


def _monte_carlo_columns(simulations: Sequence[MonteCarloSummary]) -> dict:
    """``<key>_mc`` and ``<key>_mc_stderr`` for every key of :data:`MONTE_CARLO_COLUMNS` (none without runs)."""
    if not simulations:
        return {}
    columns = {}
    for key, field_name in MONTE_CARLO_COLUMNS.items():
        estimates = [getattr(s, field_name) for s in simulations]
        columns[f"{key}_mc"] = [e.mean for e in estimates]
        columns[f"{key}_mc_stderr"] = [e.stderr for e in estimates]
    return columns


def frontier_curves(reference: Reference) -> tuple[np.ndarray, ...]:
    """(KL, win) sweeps of the tilted optimum (over λ) and of rewind-and-repeat (over the threshold).

    Returns:
        (tilted KL, tilted win rate, rewind KL, rewind win rate), each a 1-D array.
    """
    tilted = np.array([tilted_point(reference, lam) for lam in np.concatenate([[0.0], np.geomspace(1e-2, 1e6, 240)])])
    top_below = float(reference.levels.cdf_below[-1])
    # Thresholds crowd towards F⁻ of the top level, where KL climbs steeply to log(1/p_top).
    thresholds = top_below * (1 - np.geomspace(1e-6, 1, 200))[::-1]
    rewind = np.array([rewind_point(reference, t) for t in thresholds])
    return tilted[:, 0], tilted[:, 1], rewind[:, 0], rewind[:, 1]


def draw_bon_figure(reference: Reference, label: str, ns: Sequence[int], out: str | Path) -> None:
    """Two panels: KL against n, and win rate against KL for the three policies, to a PNG.

    Args:
        reference: the reference policy with rewards.
        label: distribution name for the title.
        ns: values of n.
        out: PNG path.
    """
    # matplotlib only when a figure is drawn: importing alft.bon stays numpy/scipy.
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = bon_report(reference, ns)
    fig, (ax_kl, ax_win) = plt.subplots(1, 2, figsize=(11, 4.5))
    _plot_kl_against_n(ax_kl, report, kl_saturation(reference), label)
    _plot_frontier(ax_win, report, reference)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _plot_kl_against_n(ax, report: dict, saturation: float, label: str) -> None:
    ax.plot(report["n"], report["kl_formula"], "k--", label="log n − (n−1)/n")
    ax.plot(report["n"], report["kl_exact"], "o-", label="exact KL")
    ax.plot(report["n"], report["kl_estimator"], "s:", label="E[d_n] (estimator)")
    ax.axhline(saturation, color="grey", lw=0.8, label="log(1/p_top)")
    ax.set(xscale="log", xlabel="n", ylabel="KL(π_n ‖ π_ref) [nats]", title=f"KL of best-of-n, {label}")
    ax.legend()


def _plot_frontier(ax, report: dict, reference: Reference) -> None:
    tilt_kl, tilt_win, rew_kl, rew_win = frontier_curves(reference)
    ax.plot(tilt_kl, tilt_win, "-", label="optimal tilted policy")
    ax.plot(rew_kl, rew_win, "-.", label="rewind-and-repeat")
    ax.plot(report["kl_exact"], report["win_rate"], "o", label="best-of-n (exact)")
    ax.plot(report["kl_formula"], report["win_bound"], "k+", label="continuous limit (formula, n/(n+1))")
    for n, kl, win in zip(report["n"], report["kl_exact"], report["win_rate"]):
        ax.annotate(str(n), (kl, win), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlabel="KL [nats]", ylabel="win rate vs π_ref (ties ½)", title="KL–win-rate frontier")
    ax.legend(loc="lower right")
