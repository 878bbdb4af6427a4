"""PNG plots of a run (reward, answer entropy, accuracy over steps) and of a comparison.

Accuracy is always drawn beside agreement: "agreement up, accuracy down" is a collapse, not a success
(docs/concepts/builtin-task.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 — the backend must be chosen first
import numpy as np  # noqa: E402


def _series(metrics: Sequence[Mapping[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    points = [(m["step"], m[key]) for m in metrics if m.get(key) is not None]
    if not points:
        return np.zeros(0), np.zeros(0)
    steps, values = zip(*points)
    return np.asarray(steps, dtype=float), np.asarray(values, dtype=float)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (noisy per-step batch metrics become readable trends)."""
    if values.size == 0 or window <= 1:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, values.size + 1), window)
    return (cumulative[1:] - cumulative[np.maximum(np.arange(1, values.size + 1) - window, 0)]) / counts


def _line(ax: Any, metrics: Sequence[Mapping[str, Any]], key: str, label: str, window: int) -> None:
    steps, values = _series(metrics, key)
    if steps.size:
        ax.plot(steps, values, alpha=0.25, linewidth=0.8)
        ax.plot(steps, _smooth(values, window), label=label, color=ax.lines[-1].get_color())


# One PNG per panel: file, y label, the metrics.jsonl keys drawn (with their legend labels).
RUN_PANELS = (
    ("reward.png", "reward", [("reward", "mean group reward")]),
    ("entropy.png", "answers", [("alft/answer_entropy", "answer entropy (nats)"),
                                ("alft/majority_share", "majority share"),
                                ("alft/n_distinct", "distinct answers / group")]),
    ("accuracy.png", "accuracy", [("alft/sample_accuracy", "sample accuracy (train batch)"),
                                  ("alft/majority_accuracy", "majority accuracy (train batch)")]),
)


def plot_run(
    metrics: Sequence[Mapping[str, Any]],
    folder: Path,
    before: Mapping[str, float] | None = None,
    after: Mapping[str, float] | None = None,
    title: str = "",
    equilibrium: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write reward.png, entropy.png and accuracy.png into ``folder`` (and equilibrium.png for anchored games).

    Args:
        metrics: the metrics.jsonl lines (``step`` plus TRL/alft metric names).
        folder: where the PNGs go.
        before: evaluation of the base policy (drawn as markers at step 0).
        after: evaluation of the trained policy (markers at the last step).
        title: suffix for the titles (e.g. the method).
        equilibrium: the run's distance to the predicted p* (before / during / after), or None.

    Returns:
        The paths written.
    """
    window = max(1, len(metrics) // 20)
    last_step = max((m["step"] for m in metrics), default=1)
    paths = []
    for filename, ylabel, keys in RUN_PANELS:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for key, label in keys:
            _line(ax, metrics, key, label, window)
        if filename == "accuracy.png":
            _eval_markers(ax, before, after, last_step)
        paths.append(_save_panel(fig, ax, ylabel, f"{ylabel} over steps {title}".strip(), folder / filename))
    if equilibrium is not None:
        paths.append(_plot_equilibrium(equilibrium, folder / "equilibrium.png", last_step, title))
    return paths


def _save_panel(fig: Any, ax: Any, ylabel: str, title: str, path: Path) -> Path:
    """Label a panel drawn over GRPO steps, save it as a PNG and close it."""
    ax.set_xlabel("GRPO step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _plot_equilibrium(equilibrium: Mapping[str, Any], path: Path, last_step: float, title: str) -> Path:
    """TV of the sampled answers to p* ∝ p_ref^s over training, with the sampling floor."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    during = equilibrium.get("during") or []
    if during:
        ax.plot([d["step"] for d in during], [d["tv_to_p_star"] for d in during], marker=".", label="small probe")
    ends = [(0, equilibrium.get("before")), (last_step, equilibrium.get("after"))]
    ends = [(x, e) for x, e in ends if e]
    if ends:
        ax.plot([x for x, _ in ends], [e["tv_to_p_star"] for _, e in ends], "s--", label="probe (before / after)")
        ax.axhline(ends[-1][1]["tv_floor"], color="grey", linestyle=":", label="floor: n draws from p*")
    s = (equilibrium.get("after") or {}).get("sharpening")
    heading = f"distance to the predicted equilibrium p* ∝ p_ref^{s:g} {title}".strip() if s else "TV to p*"
    return _save_panel(fig, ax, "mean TV to p*", heading, path)


def _eval_markers(ax: Any, before: Mapping[str, float] | None, after: Mapping[str, float] | None, last: float) -> None:
    for key, marker in (("greedy_accuracy", "s"), ("majority_accuracy", "D"), ("mean_sample_accuracy", "o")):
        xs = [x for x, ev in ((0, before), (last, after)) if ev and ev.get(key) is not None]
        ys = [ev[key] for ev in (before, after) if ev and ev.get(key) is not None]
        if xs:
            ax.plot(xs, ys, marker=marker, linestyle="--", label=f"eval {key.replace('_', ' ')}")


def plot_comparison(rows: Sequence[Mapping[str, Any]], metrics: Sequence[tuple[str, str]], path: Path) -> Path:
    """One PNG: per metric, the change after − before per method, mean with seed spread (min–max) and seeds.

    Args:
        rows: one per (method, seed) with ``method`` and, per metric key, ``before`` and ``after`` values
            under ``"<key>_before"`` / ``"<key>_after"``.
        metrics: (key, label) pairs to draw, one panel each.
        path: the PNG.

    Returns:
        ``path``.
    """
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.8), squeeze=False)
    for ax, (key, label) in zip(axes[0], metrics):
        for x, method in enumerate(methods):
            deltas = np.array([r[f"{key}_after"] - r[f"{key}_before"] for r in rows
                               if r["method"] == method and r.get(f"{key}_after") is not None])
            if deltas.size == 0:
                continue
            ax.bar(x, deltas.mean(), color=f"C{x}", alpha=0.6)
            ax.vlines(x, deltas.min(), deltas.max(), color="black")
            ax.scatter(np.full(deltas.size, x), deltas, color="black", s=10, zorder=3)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xticks(range(len(methods)), methods, rotation=30)
        ax.set_title(f"Δ {label}", fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    fig.suptitle("after − before, mean (bar), seed range (line), seeds (dots)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
