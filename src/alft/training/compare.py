"""``alft compare``: the same seeds for every method, one table and one plot with seed spread.

Methods (docs/concepts/game.md#the-anchor, docs/concepts/peers.md): the run's game (by default the anchored game, p* ∝ p_ref^2) with the ``plugin``,
``digamma`` and ``aqp`` tables, and the peers TTRL (majority-vote reward) and EMPO (gated log-frequency
reward). The anchored runs also report their distance (TV) to the predicted equilibrium. Every run starts from the same base
policy (the shipped one on the default preset) and is evaluated on the same held-out problems; only the GRPO seed varies.
Each (method, seed) is an ordinary run folder under the comparison folder, so an interrupted comparison
resumes: finished runs are read back, not re-run.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from alft.errors import require
from alft.games import PEERS
from alft.training.pipeline import run_training
from alft.training.plots import plot_comparison
from alft.training.run_folder import RunFolder
from alft.training.settings import DataSettings, TrainSettings

METHODS = ("plugin", "digamma", "aqp", "ttrl", "empo")
COMPARED_METRICS = (
    ("majority_accuracy", "majority-of-K acc"),
    ("greedy_accuracy", "greedy acc"),
    ("mean_sample_accuracy", "sample acc"),
    ("answer_entropy", "answer entropy"),
    ("tv_to_p_star", "TV to p*"),
)


# A comparison runs many methods × seeds: on the default preset each run is shorter than alft train's.
COMPARISON_SIZES = {"default": {"steps": 150, "eval_problems": 500}}


def comparison_settings(preset: str, num_generations: int | None = None, learning_rate: float | None = None,
                        steps: int | None = None, eval_problems: int | None = None) -> TrainSettings:
    """The settings every run of ``alft compare`` shares; sizes not given from :data:`COMPARISON_SIZES`, then
    the preset."""
    sizes = COMPARISON_SIZES.get(preset, {})
    steps = sizes.get("steps") if steps is None else steps
    eval_problems = sizes.get("eval_problems") if eval_problems is None else eval_problems
    return TrainSettings(preset=preset, num_generations=num_generations, learning_rate=learning_rate, steps=steps,
                         data=DataSettings(eval_problems=eval_problems))


def method_settings(base: TrainSettings, method: str, seed: int) -> TrainSettings:
    """The settings of one (method, seed) run: a peer, or the base run's game with the method's estimator."""
    require(method in METHODS, "--methods", method, f"a subset of {', '.join(METHODS)}")
    if method in PEERS:
        return base.replace(reward=base.reward.replace(peer=method), seed=seed)
    return base.replace(reward=base.reward.replace(estimator=method), seed=seed)


def comparison_row(method: str, summary: dict[str, Any]) -> dict[str, Any]:
    """One table row: method, seed, before/after of each compared metric."""
    row: dict[str, Any] = {"method": method, "seed": summary["settings"]["seed"]}
    equilibrium = summary.get("equilibrium") or {}
    for key, _ in COMPARED_METRICS:
        for part in ("before", "after"):
            values = {**(summary.get(part) or {}), **(equilibrium.get(part) or {})}
            row[f"{key}_{part}"] = values.get(key)
    row["grpo_seconds"] = summary["seconds"]["grpo"]
    return row


def aggregate(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per method: mean, standard deviation, min and max over seeds of each metric's after − before."""
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        entry: dict[str, Any] = {"method": method, "seeds": len(mine)}
        for key, _ in COMPARED_METRICS:
            after = [r[f"{key}_after"] for r in mine if r.get(f"{key}_after") is not None]
            deltas = [r[f"{key}_after"] - r[f"{key}_before"] for r in mine if r.get(f"{key}_after") is not None]
            if deltas:
                entry[f"{key}_after_mean"] = statistics.fmean(after)
                entry[f"{key}_delta_mean"] = statistics.fmean(deltas)
                entry[f"{key}_delta_std"] = statistics.stdev(deltas) if len(deltas) > 1 else 0.0
                entry[f"{key}_delta_min"], entry[f"{key}_delta_max"] = min(deltas), max(deltas)
        out.append(entry)
    return out


def run_comparison(
    base: TrainSettings,
    methods: Sequence[str],
    seeds: Sequence[int],
    folder: Path,
    *,
    progress: Any = None,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Train every method on every seed, then write comparison.json and comparison.png.

    Args:
        base: shared settings (preset, steps, K, …); objective/estimator/seed are set per run.
        methods: names from :data:`METHODS`.
        seeds: GRPO seeds (the same for every method).
        folder: the comparison folder; run folders go to ``<folder>/<method>-seed<seed>``.
        progress: a started ``rich.progress.Progress`` or None.
        log: one line per run.

    Returns:
        ``{"rows": [...], "aggregate": [...], "plot": path}``.
    """
    require(len(methods) >= 1, "--methods", list(methods), "at least one method")
    require(len(seeds) >= 1 and len(set(seeds)) == len(seeds), "--seeds", list(seeds), "distinct seeds")
    for method in methods:
        method_settings(base, method, 0)  # validate every name before the first run
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    overall = progress.add_task("runs", total=len(methods) * len(seeds)) if progress is not None else None
    for seed in seeds:
        for method in methods:
            settings = method_settings(base, method, seed)
            run = RunFolder(folder / f"{method}-seed{seed}")
            if run.summary.exists() and run.read_json(run.summary)["settings"] == settings.to_json():
                summary = run.read_json(run.summary)  # finished earlier: a resumed comparison skips it
            else:
                log(f"{method}, seed {seed}")
                summary = run_training(settings, run.path, progress=progress)
            rows.append(comparison_row(method, summary))
            if overall is not None:
                progress.advance(overall)
    result = {"methods": list(methods), "seeds": list(seeds), "rows": rows, "aggregate": aggregate(rows)}
    result["plot"] = str(plot_comparison(rows, COMPARED_METRICS, folder / "comparison.png"))
    RunFolder(folder).write_json(folder / "comparison.json", result)
    return result
