"""Figures of the estimator reports (matplotlib is imported only when a figure is drawn)."""

from __future__ import annotations

from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def draw_frontiers(frontiers: list[dict], out: Path) -> Path:
    """One panel per K: weighted bias (x) against worst-case variance on [1/K, 1] (y), log-log."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(frontiers), figsize=(4.5 * len(frontiers), 4), squeeze=False)
    from matplotlib.ticker import NullFormatter

    for ax, data in zip(axes[0], frontiers):
        sweep = data["sweep"]
        ax.plot([s["weighted_bias"] for s in sweep], [s["max_variance"] for s in sweep], "o-", color="C0", label="aqp κ sweep")
        # Keep the axis on the usable tables; the exact minimax tables' variance (up to 1e30) is noted instead.
        ceiling = 1e3 * max(s["max_variance"] for s in sweep)
        for i, point in enumerate(data["named"]):
            if point["max_variance"] > ceiling:
                ax.annotate(f"{point['label']}: Var {point['max_variance']:.1e} (off scale)", (0.02, 0.95 - 0.06 * i), xycoords="axes fraction", fontsize=7)
                continue
            ax.scatter(point["weighted_bias"], point["max_variance"], marker="s", color=f"C{i + 1}", label=point["label"], zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("sup p·|bias|")
        ax.set_ylabel("sup Var on [1/K, 1]")
        ax.set_title(f"K = {data['K']}")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def draw_report(report: dict, out: Path) -> Path:
    """K²·(weighted bias) and worst-case variance against K for every estimator."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, data in report["estimators"].items():
        Ks = [m["K"] for m in data["metrics"]]
        left.plot(Ks, [m["K"] ** 2 * m["weighted_bias"] for m in data["metrics"]], "o-", label=name)
        right.plot(Ks, [m["max_variance"] for m in data["metrics"]], "o-", label=name)
    left.set(xscale="log", yscale="log", xlabel="K", ylabel="K² · sup p·|bias|", title="p-weighted bias (flat = Θ(1/K²))")
    right.set(xscale="log", yscale="log", xlabel="K", ylabel="sup Var on [1/K, 1]", title="worst-case variance")
    for ax in (left, right):
        ax.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
