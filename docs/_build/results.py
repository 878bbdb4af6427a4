"""Numbers from ``benchmarks/results``: the only way a measured number enters the docs.

Hand-written pages quote a number as ``[[FILE.json:PATH|SPEC]]`` (PATH is keys joined by ``/``; in a list,
an integer index or ``[key=value,...]`` selects the one item whose fields match; SPEC a Python format spec, optionally prefixed ``*100:`` to show a fraction in
points); the docs hook replaces it with the value read from the file. The results pages are rendered by
:func:`render_pages` from the files themselves. A missing file or key raises :class:`MissingResult`
naming it, so ``mkdocs build --strict`` fails instead of printing a stale number.

No mkdocs import here: the tests in ``tests/docs`` load this module directly.
"""

from __future__ import annotations

import json
import statistics
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"

# the spec follows the last "|": keys may contain "|" (simulate_equilibrium.json's "anchored s=2|K=16|M=exact")
PLACEHOLDER = re.compile(r"\[\[([\w.=-]+\.json):([^\n]+?)\|([^|\]\n]*)\]\]")


class MissingResult(LookupError):
    """A results file, or a key in it, that a page asks for and that does not exist."""


# Every file in benchmarks/results, the command that writes it and what it holds. A test checks that the
# two lists agree, so a new results file cannot go undocumented.
SOURCES: dict[str, tuple[str, str]] = {
    "anchored_training.json": ("python benchmarks/anchored_training.py", "the anchored default at 1× and 4× its steps, plain coherence beside it"),
    "anchored_training.png": ("python benchmarks/anchored_training.py", "figure of anchored_training.json"),
    "compare_anchored.json": ("alft compare --methods plugin,digamma,aqp --seeds 0,1,2 (its comparison.json, copied here; no script in benchmarks/ writes it)", "the anchored game with each table, 150 steps"),
    "compare_anchored.png": ("alft compare --methods plugin,digamma,aqp --seeds 0,1,2 (its comparison.png, copied here)", "figure of compare_anchored.json"),
    "anchored_estimators_K16_M255_s3.json": ("python benchmarks/anchored_estimators.py --seeds 0 1 -k 16 --reference-draws 255 --sharpening 3", "tables in training where bias should show most"),
    "anchored_estimators_K4_M255_s3.json": ("python benchmarks/anchored_estimators.py --seeds 0 1 -k 4 --reference-draws 255 --sharpening 3", "tables in training at small K"),
    "simulate_equilibrium.json": ("python benchmarks/simulate_equilibrium.py", "exact tabular games: TV to the closed-form equilibrium per table"),
    "simulate_equilibrium.png": ("python benchmarks/simulate_equilibrium.py", "figure of simulate_equilibrium.json"),
    "estimator_targets.json": ("python benchmarks/estimator_targets.py", "minimax constant, U-statistic exactness, AQP decay"),
    "estimator_frontier.png": ("python benchmarks/estimator_targets.py", "bias/variance frontier figure"),
    "estimator_limits.json": ("python benchmarks/estimator_limits.py (--large-K rewrites the large-K section)", "optimal worst-case variance, stored-table metrics, large K"),
    "estimator_speed.json": ("python benchmarks/estimator_speed.py", "solve time per table"),
    "answer_extraction.json": ("python benchmarks/answer_extraction.py", "extractors on hand-labelled completions"),
    "answers_equivalence.json": ("python benchmarks/answers_equivalence.py", "grouping cost against all-pairs math-verify"),
    "answers_grouping.json": ("python benchmarks/answers_grouping.py", "grouping cost per answer mix, 1024 groups × 16"),
    "equivalence_corpus.json": ("python benchmarks/equivalence_corpus.py", "classes against all-pairs math-verify on 519 strings"),
    "reward_overhead.json": ("python benchmarks/reward_overhead.py", "the reward's share of a GRPO step"),
    "verl_overhead.json": ("python benchmarks/verl_overhead.py", "the verl plugin's advantage step"),
    "failure_warning.json": ("python benchmarks/failure_warning.py --runs RUNS", "the failure warning's false alarms and detections"),
    "task_premise.json": ("python benchmarks/task_premise.py", "the shipped base policy: greedy, majority and sample accuracy"),
    "task_premise_levers.json": ("no script: a record of warm-up recipes tried (its 'what' field says how each row was made)", "levers tried for the task's self-consistency premise"),
    "bvpo_exact.json": ("python benchmarks/bvpo_exact.py", "BVPO on exact games"),
    "bvpo_training.json": ("python benchmarks/bvpo_training.py 0 1 2 3 4", "BVPO on the built-in task, 5 seeds"),
    "bvpo_training.png": ("python benchmarks/bvpo_training.py 0 1 2 3 4", "figure of bvpo_training.json"),
    "bvpo_training_runs": ("python benchmarks/bvpo_training.py 0 1 2 3 4", "per-seed run files of bvpo_training.json"),
    "bon_montecarlo.json": ("python benchmarks/bon_montecarlo.py", "exact best-of-n against 10⁶ simulated runs"),
    "bon_speed.json": ("python benchmarks/bon_speed.py", "best-of-n speed at supports of 10⁶"),
    "reliability.json": ("python benchmarks/reliability.py", "bad inputs, faults, finite rewards, numerical safety, seeds"),
    "reliability.md": ("python benchmarks/reliability.py", "the same, as a table"),
    "study_estimators.json": ("python benchmarks/studies.py estimators", "the table in training with paired statistics, 6 seeds"),
    "study_estimators.png": ("python benchmarks/studies.py estimators", "figure of study_estimators.json"),
    "study_lr.json": ("python benchmarks/studies.py lr", "learning-rate robustness: 4 rates × 5 methods × 3 seeds"),
    "study_lr.png": ("python benchmarks/studies.py lr", "figure of study_lr.json"),
    "study_dial.json": ("python benchmarks/studies.py dial", "the pass@1–pass@k dial: s ∈ {1.25 … 4} and the peers, 800 steps × 3 seeds"),
    "study_dial.png": ("python benchmarks/studies.py dial", "figure of study_dial.json"),
    "study_horizon.json": ("python benchmarks/studies.py horizon", "a long horizon: 3200 steps × 3 seeds, held-out accuracy every 400"),
    "study_horizon.png": ("python benchmarks/studies.py horizon", "figure of study_horizon.json"),
}


def listed_files(root: Path = RESULTS) -> set[str]:
    """The names directly under ``root`` (files and folders)."""
    return {p.name for p in root.iterdir() if not p.name.startswith(".")}


_CACHE: dict[tuple[str, str], Any] = {}


def load(name: str, root: Path = RESULTS) -> Any:
    key = (str(root), name)
    if key not in _CACHE:
        path = root / name
        if not path.is_file():
            raise MissingResult(f"results file {name} not found in {root}")
        _CACHE[key] = json.loads(path.read_text())
    return _CACHE[key]


def clear_cache() -> None:
    _CACHE.clear()


def get(name: str, path: str, root: Path = RESULTS) -> Any:
    """The value at ``path`` (keys joined by ``/``) in results file ``name``."""
    value = load(name, root)
    for part in path.split("/"):
        if isinstance(value, list) and part.startswith("[") and part.endswith("]"):
            value = _select(name, path, value, part[1:-1])
            continue
        if isinstance(value, list):
            try:
                value = value[int(part)]
                continue
            except (ValueError, IndexError):
                raise MissingResult(f"{name}: no item {part!r} in path {path!r}") from None
        if not isinstance(value, dict) or part not in value:
            raise MissingResult(f"{name}: no key {part!r} in path {path!r}")
        value = value[part]
    return value


def _select(name: str, path: str, items: list, selector: str) -> Any:
    """The one item of ``items`` whose fields match ``k=v,k2=v2`` (values compared as text)."""
    wanted = dict(pair.split("=", 1) for pair in selector.split(","))
    found = [item for item in items if isinstance(item, dict)
             and all(str(item.get(k)) == v for k, v in wanted.items())]
    if len(found) != 1:
        raise MissingResult(f"{name}: {len(found)} items match [{selector}] in path {path!r}, expected exactly one")
    return found[0]


def fmt(value: Any, spec: str) -> str:
    """Format one value: ``*100:`` shows a fraction in points; None shows as a dash."""
    if value is None:
        return "–"
    if spec.startswith("*100:"):
        value, spec = value * 100, spec[len("*100:"):]
    if isinstance(value, bool) or spec == "":
        return str(value)
    text = format(value, spec)
    return text.replace("-", "−") if isinstance(value, (int, float)) else text


def number(name: str, path: str, spec: str, root: Path = RESULTS) -> str:
    return fmt(get(name, path, root), spec)


def fill(markdown: str, root: Path = RESULTS) -> str:
    """Replace every ``[[FILE.json:PATH|SPEC]]`` with the value from the file."""
    return PLACEHOLDER.sub(lambda m: number(m.group(1), m.group(2), m.group(3), root), markdown)


# --- the results pages ---------------------------------------------------------------------------------------


@dataclass
class Page:
    """One results page: its path under docs/, title, the files it shows and its renderer."""

    path: str
    title: str
    files: tuple[str, ...]
    render: Callable[["Writer"], None]
    figures: tuple[str, ...] = ()


@dataclass
class Writer:
    root: Path
    lines: list[str] = field(default_factory=list)

    def n(self, name: str, path: str, spec: str) -> str:
        return number(name, path, spec, self.root)

    def get(self, name: str, path: str) -> Any:
        return get(name, path, self.root)

    def maybe(self, name: str, path: str, spec: str) -> str:
        """A value some rows have and others do not (e.g. TV to p* for a run without an anchor): a dash if absent."""
        parent, _, key = path.rpartition("/")
        return self.n(name, path, spec) if key in self.get(name, parent) else "–"

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def source(self, name: str) -> None:
        command, what = SOURCES[name]
        self.add(f"`benchmarks/results/{name}` ({what}) is written by `{command}`.", "")

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |", "|" + "---|" * len(header))
        self.add(*("| " + " | ".join(row) + " |" for row in rows))
        self.add("")

    def figure(self, name: str, caption: str) -> None:
        self.add(f"![{caption}](figures/{name})", "")


def _pm(w: Writer, name: str, base: str, spec: str = "*100:+.1f") -> str:
    sd_spec = spec.replace("+", "")
    return f"{w.n(name, base + '_mean', spec)} ± {w.n(name, base + '_std', sd_spec)}"


def _training(w: Writer) -> None:
    name = "anchored_training.json"
    w.add("## The anchored default and plain coherence", "")
    w.source(name)
    w.add(f"Changes in points (mean ± std over seeds {w.get(name, 'aggregate/0/seeds')}); TV to p̂* on "
          f"{w.n(name, 'probe/prompts', 'd')} training prompts × {w.n(name, 'probe/samples', 'd')} samples. "
          f"Sampling floor {w.n(name, 'probe/sampling_floor', '.3f')}, reference floor "
          f"{w.n(name, 'probe/reference_floor', '.3f')} (M = {w.n(name, 'probe/reference_draws', 'd')}).", "")
    rows = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        a = f"aggregate/{i}/"
        tv = (f"{w.n(name, a + 'tv_before_mean', '.3f')} → {w.n(name, a + 'tv_after_mean', '.3f')}"
              if "tv_after_mean" in entry else "–")
        rows.append([entry["group"], _pm(w, name, a + "greedy_accuracy_delta"), _pm(w, name, a + "majority_accuracy_delta"),
                     _pm(w, name, a + "mean_sample_accuracy_delta"), _pm(w, name, a + "answer_entropy_delta", "+.3f"), tv,
                     w.n(name, a + "best_exponent_mean", ".2f") if "best_exponent_mean" in entry else "–"])
    w.table(["run", "greedy", "majority-of-8", "sample", "answer entropy", "TV to p̂*", "best-fitting s"], rows)
    w.add("Per seed:", "")
    rows = []
    for i, row in enumerate(w.get(name, "rows")):
        r = f"rows/{i}/"
        rows.append([row["group"], str(row["seed"]), w.n(name, r + "steps", "d"),
                     w.n(name, r + "greedy_accuracy_delta", "*100:+.1f"), w.n(name, r + "majority_accuracy_delta", "*100:+.1f"),
                     w.n(name, r + "mean_sample_accuracy_delta", "*100:+.1f"), w.maybe(name, r + "tv_after", ".3f")])
    w.table(["run", "seed", "steps", "greedy", "majority-of-8", "sample", "TV after"], rows)
    w.figure("anchored_training.png", "anchored training")

    name = "compare_anchored.json"
    w.add("## `alft compare`: the anchored game with each table", "")
    w.source(name)
    w.add(f"Changes in points, mean ± std over seeds {w.get(name, 'seeds')}, with min and max over seeds.", "")
    rows = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        a = f"aggregate/{i}/"
        cells = [entry["method"]]
        for key in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy"):
            cells.append(f"{_pm(w, name, a + key + '_delta')} ({w.n(name, a + key + '_delta_min', '*100:+.1f')} … "
                         f"{w.n(name, a + key + '_delta_max', '*100:+.1f')})")
        cells.append(f"{_pm(w, name, a + 'tv_to_p_star_delta', '+.3f')} (after {w.n(name, a + 'tv_to_p_star_after_mean', '.3f')})")
        rows.append(cells)
    w.table(["table", "greedy", "majority-of-K", "sample", "TV to p̂*"], rows)
    _lowest_change(w, name, "method")
    w.figure("compare_anchored.png", "alft compare")

    for name, k_label in (("anchored_estimators_K16_M255_s3.json", "K = 16"), ("anchored_estimators_K4_M255_s3.json", "K = 4")):
        s = "settings/"
        w.add(f"## Tables in training, {k_label}", "")
        w.source(name)
        w.add(f"K = {w.n(name, s + 'k', 'd')}, M = {w.n(name, s + 'reference_draws', 'd')} reference answers, s = "
              f"{w.n(name, s + 'sharpening', 'g')}, {w.n(name, s + 'steps', 'd')} steps, seeds {w.get(name, s + 'seeds')}, "
              f"{w.n(name, s + 'eval_problems', 'd')} held-out problems; majority is majority-of-{w.n(name, s + 'k', 'd')}. "
              "Changes in points, mean ± std over seeds.", "")
        rows = []
        for i, entry in enumerate(w.get(name, "aggregate")):
            a = f"aggregate/{i}/"
            rows.append([entry["estimator"], _pm(w, name, a + "greedy_accuracy_delta"), _pm(w, name, a + "majority_accuracy_delta"),
                         _pm(w, name, a + "mean_sample_accuracy_delta"), _pm(w, name, a + "tv_after", ".3f"),
                         w.n(name, a + "best_exponent_mean", ".2f")])
        w.table(["table", "greedy", "majority", "sample", "TV to p̂* after", "best-fitting s"], rows)
        rows = []
        for i, row in enumerate(w.get(name, "rows")):
            r = f"rows/{i}/"
            rows.append([row["estimator"], str(row["seed"]), w.n(name, r + "greedy_accuracy_delta", "*100:+.1f"),
                         w.n(name, r + "majority_accuracy_delta", "*100:+.1f"), w.n(name, r + "mean_sample_accuracy_delta", "*100:+.1f"),
                         w.n(name, r + "tv_after", ".3f")])
        w.table(["table", "seed", "greedy", "majority", "sample", "TV after"], rows)
        _lowest_change(w, name, "estimator")


def _lowest_change(w: Writer, name: str, label: str) -> None:
    """Say whether every mean change is positive, and the lowest per-seed change with where it happened:
    "every table improves every accuracy" can hold for means and fail for one seed."""
    keys = ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy")
    means = [entry[f"{key}_delta_mean"] for entry in w.get(name, "aggregate") for key in keys]
    changes = []
    for row in w.get(name, "rows"):
        for key in keys:
            delta = row.get(f"{key}_delta")
            if delta is None:
                delta = row[f"{key}_after"] - row[f"{key}_before"]
            changes.append((delta, row[label], row["seed"], key.replace("_", " ")))
    low = min(changes)
    w.add(f"Mean changes: {'all positive' if min(means) > 0 else 'not all positive'}. Lowest change of a "
          f"single run: {fmt(low[0], '*100:+.1f')} points ({low[3]}, {low[1]}, seed {low[2]}).", "")


def _simulator(w: Writer) -> None:
    name = "simulate_equilibrium.json"
    w.source(name)
    w.figure("simulate_equilibrium.png", "TV to the equilibrium")
    w.add("## Exact-gradient control", "")
    rows = [[key, w.n(name, f"exact_control/{key}/final_tv", ".1e"), w.n(name, f"exact_control/{key}/steps_to_1e-6", "d")]
            for key in w.get(name, "exact_control")]
    w.table(["objective", "final TV", "steps to TV ≤ 1e-6"], rows)
    for section, title, note in (
        ("estimators", "Many samples per step", "final TV of the Polyak average, mean over seeds, and its ratio to plug-in's"),
        ("finite_budget", "Finite budget", "final TV, mean over seeds; sampled answers per prompt until TV stays below the threshold"),
        ("anchored", "The anchored game", "final TV, mean over seeds; M = exact uses the exact p_ref"),
    ):
        w.add(f"## {title}", "", f"Settings: `{json.dumps(w.get(name, 'settings/' + ('sampled' if section == 'estimators' else section)))}`; {note}.", "")
        for key, entry in w.get(name, section).items():
            methods = [m for m in entry["results"] if m != "exact"]
            base = f"{section}/{key}/results/"
            if section == "finite_budget":
                rows = [[m, w.n(name, base + m + "/final_tv", ".4f"), w.n(name, base + m + "/samples_to_tv", ",.0f")] for m in methods]
                w.add(f"`{key}` (threshold {w.n(name, f'{section}/{key}/tv_threshold', 'g')})", "")
                w.table(["table", "final TV", "sampled answers per prompt until TV stays ≤ threshold (– never)"], rows)
            else:
                rows = [[m, w.n(name, base + m + "/final_tv", ".4f"), w.n(name, base + m + "/bias_only_tv", ".4f"),
                         w.n(name, base + m + "/ratio_to_plugin", ".2f")] for m in methods]
                w.add(f"`{key}`", "")
                w.table(["table", "final TV", "bias-only TV", "final TV ÷ plug-in's"], rows)
    w.add("## Reference sampling error", "", "Mean TV of the anchored fixed point computed from M sampled reference answers instead of p_ref, over 1000 draws.", "")
    rows = [[key, w.n(name, f"reference_error/{key}/mean_tv", ".3f")] for key in w.get(name, "reference_error")]
    w.table(["M | reference table", "mean TV"], rows)
    w.add("## Throughput", "")
    t = "throughput/"
    w.add(f"One batched call for {w.n(name, t + 'groups', 'd')} groups × K = {w.n(name, t + 'K', 'd')}: "
          f"{w.n(name, t + 'batch_seconds', '.3f')} s ({w.n(name, t + 'speedup', '.1f')}× faster than per-group calls, "
          f"extrapolated {w.n(name, t + 'per_group_calls_seconds_extrapolated', '.2f')} s), within the simulator's "
          "own run (leave-one-out baseline on; wall time on a shared machine).", "")


def _estimators(w: Writer) -> None:
    name = "estimator_targets.json"
    w.add("## Accuracy targets", "")
    w.source(name)
    ks = list(w.get(name, "minimax/K2_E_star"))
    w.table(["K"] + ks, [
        ["K²·E*_K (minimax)"] + [w.n(name, f"minimax/K2_E_star/{k}", ".4f") for k in ks],
        ["E*_K (the row above ÷ K²)"] + [fmt(w.get(name, f"minimax/K2_E_star/{k}") / int(k) ** 2, ".3g") for k in ks],
        ["K²·sup p·\\|bias\\| of aqp (κ = 8)"] + [w.maybe(name, f"aqp/K2_weighted_bias/{k}", ".3f") for k in ks],
        ["sup Var of aqp"] + [w.maybe(name, f"aqp/max_variance_average_aqp/{k}", ".3g") for k in ks],
        ["sup Var of aqp-worst"] + [w.maybe(name, f"aqp/max_variance_worst_case_aqp/{k}", ".3g") for k in ks],
    ])
    w.add(f"Fitted decay exponent of aqp's weighted bias: {w.n(name, 'aqp/weighted_bias_exponent', '.3f')}. "
          f"Largest |bias| of a U-statistic table: {w.n(name, 'ustat/max_abs_bias', '.1e')}; digamma against its closed "
          f"form: {w.n(name, 'ustat/digamma_closed_form_max_gap', '.1e')}.", "")
    w.figure("estimator_frontier.png", "bias/variance frontier")
    name = "estimator_limits.json"
    w.add("## Optimal worst-case variance at the named tables' bias", "")
    w.source(name)
    rows = [[key, w.n(name, f"worst_case_frontier/rows/{key}/budget", ".4g"), w.n(name, f"worst_case_frontier/rows/{key}/max_variance", ".4f"),
             w.n(name, f"worst_case_frontier/rows/{key}/certified_lower_bound", ".4f"), w.n(name, f"worst_case_frontier/rows/{key}/cold_solve_cpu_seconds", ".2f")]
            for key in w.get(name, "worst_case_frontier/rows")]
    w.table(["named table, K (its weighted bias is the budget)", "budget", "aqp-worst sup Var", "certified lower bound", "solve (CPU s)"], rows)
    w.add("## Large K", "")
    rows = []
    for key, row in w.get(name, "large_K/rows").items():
        b = f"large_K/rows/{key}/"
        rows.append([key, w.n(name, b + "max_variance", ".4g"), w.n(name, b + "K2_weighted_bias", ".3f"),
                     w.n(name, b + "max_abs_entry", ".3g"), str(row.get("trainable", "–")), str(row.get("converged", "–")),
                     w.n(name, b + "cold_solve_cpu_seconds", ".1f") if "cold_solve_cpu_seconds" in row else "–"])
    w.table(["table", "sup Var", "K²·sup p·\\|bias\\|", "max \\|g\\|", "trainable", "certified", "solve (CPU s)"], rows)
    w.add(f"Stored-table metrics against exact rational evaluation: largest relative difference "
          f"{w.n(name, 'stored_table_metrics/largest_relative_difference', '.1e')}.", "")
    name = "estimator_speed.json"
    w.add("## Solve time", "")
    w.source(name)
    rows = [[est, w.n(name, f"max_solve_K_le_64/{est}", ".3g")] for est in w.get(name, "max_solve_K_le_64")]
    w.table(["table", "slowest solve for K ≤ 64 (s)"], rows)


def _answers(w: Writer) -> None:
    name = "answer_extraction.json"
    w.add("## Extraction", "")
    w.source(name)
    # keys such as "all/all" contain the path separator: read the accuracy dicts whole
    rows = [[rule, fmt(acc["all/all"]["class"], ".3f"), fmt(acc["heldout/all"]["class"], ".3f")]
            for rule, acc in w.get(name, "accuracy").items()]
    w.table([f"rule ({w.n(name, 'items', 'd')} completions)", "agrees with the label (all)", "held-out third"], rows)
    name = "answers_grouping.json"
    w.add("## Grouping cost", "")
    w.source(name)
    rows = []
    for mix in w.get(name, "mixes"):
        b = f"mixes/{mix}/"
        rows.append([mix, w.n(name, b + "distinct_strings", "d"), w.n(name, b + "first_sight/cpu_seconds", ".3g"),
                     w.n(name, b + "steady/cpu_seconds", ".3g"), w.n(name, b + "today/cpu_seconds", ".3g"),
                     w.n(name, b + "today_over_first_sight_cpu", ".0f"), w.n(name, b + "today_over_steady_cpu", ".0f")])
    w.table(["answers", "distinct strings", "first sight (CPU s)", "steady (CPU s)", "baseline grouping (CPU s)",
             "baseline ÷ first sight", "baseline ÷ steady"], rows)
    w.add("The baseline is one-representative-per-class grouping with math-verify, kept in "
          "`benchmarks/grouping_baseline.py` for this comparison.", "")
    name = "answers_equivalence.json"
    w.add("## Grouping against all-pairs math-verify", "")
    w.source(name)
    w.add(f"Math groups of {w.n(name, 'group_size', 'd')}: all-pairs {w.n(name, 'math_groups/naive_seconds_per_group', '.3f')} s a group, "
          f"alft {w.n(name, 'math_groups/alft_seconds_per_group', '.4f')} s, batched {w.n(name, 'math_groups/alft_batch_seconds_per_group', '.4f')} s; "
          f"partitions agree: {w.n(name, 'math_groups/partitions_agree', '.0%')}.", "")
    name = "equivalence_corpus.json"
    w.add("## Equivalence corpus", "")
    w.source(name)
    w.add(f"{w.n(name, 'distinct_strings', 'd')} answer strings in {w.n(name, 'groups', 'd')} groups; "
          f"{w.n(name, 'disagreeing_pairs', 'd')} pairs where alft's classes differ from all-pairs math-verify:", "")
    w.table(["group", "a", "b", "math-verify", "alft"],
            [[d["group"], f"`{d['a']}`", f"`{d['b']}`", str(d["all_pairs_math_verify"]), str(d["alft"])] for d in w.get(name, "disagreements")])


def _overhead(w: Writer) -> None:
    name = "reward_overhead.json"
    w.add("## The reward's cost in a GRPO step", "")
    w.source(name)
    w.add(f"Target: {w.get(name, 'target')}. Two measurements, both from this file: the reward's own time as a share of "
          f"the step (in-step, median) is {w.n(name, 'in_step_overhead_median', '.1%')}; an A/B of whole steps against a constant reward "
          f"(median) is {w.n(name, 'ab_overhead_median', '.1%')}. The in-step figure meets the target "
          f"({w.get(name, 'meets_target')}); the A/B figure does not ({w.get(name, 'ab_meets_target')}), and it includes "
          "the machine's noise between the two runs.", "")
    name = "verl_overhead.json"
    w.add("## The verl plugin's advantage step", "")
    w.source(name)
    s = "step_ms/"
    rows = [[part, w.n(name, f"{s}{part}/min", ".1f"), w.n(name, f"{s}{part}/median", ".1f")] for part in w.get(name, "step_ms")]
    w.table([f"part ({w.n(name, 'sizes/groups', 'd')} groups × K = {w.n(name, 'sizes/K', 'd')}), ms", "min", "median"], rows)
    w.add(f"verl's own `grpo` estimator through the same `compute_advantage`: {w.n(name, 'verl_ms/compute_advantage_grpo/cpu/median', '.0f')} ms "
          f"of CPU (median), {w.n(name, 'verl_grpo_over_plugin_step_cpu_median', '.0f')}× the plugin's step.", "")


def _failure(w: Writer) -> None:
    name = "failure_warning.json"
    w.source(name)
    w.add(f"CUSUM with slack {w.n(name, 'test/slack', 'g')}σ and threshold {w.n(name, 'test/threshold', 'g')}σ against the first "
          f"{w.n(name, 'test/baseline_steps', 'd')} steps. False alarms in {w.n(name, 'null/bootstrap/steps', 'd')} stationary steps "
          f"(bootstrap of long runs): {w.n(name, 'null/bootstrap/false_alarm_rate', '.2%')} ± {w.n(name, 'null/bootstrap/standard_error', '.2%')}.", "")
    rows = []
    for run, entry in w.get(name, "runs").items():
        warning = entry["warning"]
        acc = entry.get("greedy_accuracy") or [None, None]
        rows.append([run, w.n(name, f"runs/{run}/steps_logged", "d"), fmt(acc[0], ".3f") + " → " + fmt(acc[-1], ".3f"),
                     "none" if warning is None else f"{warning['kind']} at step {warning['step']}"])
    w.table(["run", "steps", "greedy accuracy", "warning"], rows)
    rows = [[w.n(name, f"tradeoff/{i}/slack", "g"), w.n(name, f"tradeoff/{i}/threshold", "g"), w.n(name, f"tradeoff/{i}/false_alarm_rate", ".1%")]
            for i in range(len(w.get(name, "tradeoff")))]
    w.add("Faster settings pay in false alarms:", "")
    w.table(["slack", "threshold", "false alarms"], rows)


def _task(w: Writer) -> None:
    name = "task_premise.json"
    w.source(name)
    rows = []
    for t in w.get(name, "by_temperature"):
        b = f"by_temperature/{t}/shipped/"
        rows.append([t, w.n(name, b + "greedy_accuracy", ".3f"), w.n(name, b + "majority_accuracy", ".3f"),
                     w.n(name, b + "mean_sample_accuracy", ".3f"), w.n(name, b + "answer_entropy", ".3f")])
    w.table([f"temperature ({w.n(name, 'n_problems', 'd')} problems, K = {w.n(name, 'k', 'd')})", "greedy", "majority-of-8", "sample", "answer entropy"], rows)
    w.add(f"The shipped weights' warm-up took {w.n(name, 'base_policy/warmup_seconds', '.0f')} s of wall time "
          f"({w.n(name, 'base_policy/warmup_recipe/steps', 'd')} steps) on the machine that made them, as recorded in this file; "
          "`python -m alft.task.warmup --rebuild` repeats it.", "")
    name = "task_premise_levers.json"
    w.add("## Levers tried", "")
    w.source(name)
    w.add(w.get(name, "what"), "")
    rows = [[row["name"], w.n(name, f"trained/{i}/T", "g"), w.n(name, f"trained/{i}/greedy", ".3f"), w.n(name, f"trained/{i}/majority", ".3f"),
             w.n(name, f"trained/{i}/sample", ".3f")] for i, row in enumerate(w.get(name, "trained"))]
    w.table(["recipe", "T", "greedy", "majority", "sample"], rows)


def _bvpo(w: Writer) -> None:
    name = "bvpo_exact.json"
    w.add("## Exact games", "")
    w.source(name)
    c = "checks/"
    w.add(f"{w.n(name, c + 'games', 'd')} games: closed-form α* against the grid minimiser within {w.n(name, c + 'closed_form_vs_grid_max_gap', '.1e')}; "
          f"MSE(α*) strictly below both endpoints in {w.n(name, c + 'strictly_better_interior_cases', 'd')} of {w.n(name, c + 'cases', 'd')} cases; "
          f"variance identity within {w.n(name, c + 'variance_identity_max_error', '.0e')}; Monte-Carlo MSE max |z| = {w.n(name, c + 'monte_carlo_max_abs_z', '.2f')}.", "")
    name = "bvpo_training.json"
    w.add("## The built-in task", "")
    w.source(name)
    rows = []
    for method in w.get(name, "methods"):
        b = f"methods/{method}/"
        rows.append([method, f"{w.n(name, b + 'accuracy_trace_greedy/mean', '.3f')} ± {w.n(name, b + 'accuracy_trace_greedy/sd', '.3f')}",
                     f"{w.n(name, b + 'marginal_preference_accuracy/mean', '.3f')} ± {w.n(name, b + 'marginal_preference_accuracy/sd', '.3f')}"])
    w.table([f"method (seeds {w.get(name, 'seeds')})", "greedy accuracy with trace", "held-out preference accuracy on the marginal"], rows)
    rows = []
    for method in w.get(name, "vs_budget_matched_control"):
        b = f"vs_budget_matched_control/{method}/"
        rows.append([method, f"{w.n(name, b + 'accuracy_trace_greedy/mean', '*100:+.1f')} ± {w.n(name, b + 'accuracy_trace_greedy/sd', '*100:.1f')}"])
    w.add("Paired difference to the budget-matched control (DPO on twice the trace pairs), in points:", "")
    w.table(["method", "greedy accuracy"], rows)
    w.figure("bvpo_training.png", "BVPO on the built-in task")
    w.add("Per-seed files: `benchmarks/results/bvpo_training_runs/seed*/`.", "")


def _bon(w: Writer) -> None:
    name = "bon_montecarlo.json"
    w.source(name)
    w.add(f"{w.n(name, 'within_3se', 'd')} of {w.n(name, 'checks', 'd')} checks within 3 standard errors over {w.n(name, 'draws', 'd')} draws.", "")
    for i, ref in enumerate(w.get(name, "references")):
        r = f"references/{i}/report/"
        ns = ref["report"]["n"]
        w.add(f"**{ref['reference']}**", "")
        w.table(["n"] + [str(n) for n in ns], [
            ["exact KL"] + [w.n(name, f"{r}kl_exact/{j}", ".4f") for j in range(len(ns))],
            ["log n − (n−1)/n"] + [w.n(name, f"{r}kl_formula/{j}", ".4f") for j in range(len(ns))],
            ["d_n estimator"] + [w.n(name, f"{r}kl_estimator/{j}", ".4f") for j in range(len(ns))],
            ["win rate"] + [w.n(name, f"{r}win_rate/{j}", ".4f") for j in range(len(ns))],
            ["n/(n+1)"] + [w.n(name, f"{r}win_bound/{j}", ".4f") for j in range(len(ns))],
        ])
    name = "bon_speed.json"
    w.add("## Speed", "")
    w.source(name)
    w.add(f"Target: {w.get(name, 'target')}. Slowest targeted call: {w.n(name, 'max_seconds_targeted', '.2f')} s "
          f"(sorting 10⁶ floats: {w.n(name, 'sort_1e6_seconds', '.2f')} s on the same machine).", "")


def _reliability(w: Writer) -> None:
    name = "reliability.json"
    w.source(name)
    w.add(f"Finite rewards: {w.n(name, 'finite_rewards/total', ',d')} rewards checked, {w.n(name, 'finite_rewards/non_finite', 'd')} not finite. "
          f"Numerical: {w.n(name, 'numerical/closed_form_and_ustat_tables_K_2_to_256', 'd')} closed-form and U-statistic tables checked, "
          f"{w.n(name, 'numerical/failures', 'd')} failures. Failures overall: {w.n(name, 'failures', 'd')}.", "")
    w.add("The table `benchmarks/reliability.py` writes beside it (`reliability.md`):", "")
    w.add((w.root / "reliability.md").read_text() if (w.root / "reliability.md").is_file() else _missing("reliability.md", w.root), "")


def _interval(w: Writer, name: str, base: str) -> str:
    """A paired difference in points with its 95 % interval and p, and whether the interval covers 0."""
    ci = w.get(name, base)
    covers = ci["low"] <= 0 <= ci["high"]
    return (f"{w.n(name, base + '/mean', '*100:+.2f')} [{w.n(name, base + '/low', '*100:+.2f')}, "
            f"{w.n(name, base + '/high', '*100:+.2f')}], "
            + (f"p = {w.n(name, base + '/p', '.3f')}" if ci["p"] >= 0.001 else "p < 0.001")
            + (" (covers 0)" if covers else ""))


def _study_estimators(w: Writer) -> None:
    name = "study_estimators.json"
    w.add("## The table in training, with paired statistics", "")
    w.source(name)
    grid = w.get(name, "grid")
    w.add(f"The anchored game at K = {grid['settings']['num_generations']}, M = {grid['settings']['reference_draws']} "
          f"reference answers, s = 3, {w.n(name, 'grid/steps', 'd')} steps, {len(grid['seeds'])} seeds "
          f"({grid['seeds']}), 1000 held-out problems, the same for every run; majority is majority-of-4. "
          "Each run's per-problem outputs are stored in its run folder.", "")
    rows = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        a = f"aggregate/{i}/"
        cells = [entry["method"].split(":")[1]]
        for key in ("greedy_accuracy", "majority_accuracy", "mean_sample_accuracy"):
            cells.append(f"{w.n(name, a + key + '_delta/mean', '*100:+.1f')} "
                         f"({w.n(name, a + key + '_delta/min', '*100:+.1f')} … {w.n(name, a + key + '_delta/max', '*100:+.1f')})")
        cells.append(w.n(name, a + "tv_after/mean", ".3f"))
        rows.append(cells)
    w.add("Change from the base policy in points, mean (min … max) over seeds:", "")
    w.table(["table", "greedy", "majority", "sample", "TV to p̂* after"], rows)
    w.add("Paired differences, aqp minus each other table. Per seed: mean of the per-seed differences with its "
          "95 % t interval (the primary claim: training randomness is what varies between seeds). Per problem, "
          "pooled over seeds: exact McNemar on greedy and majority correctness, and a paired bootstrap over "
          "problems of the sample-accuracy difference (these treat problems as the only noise and so "
          "understate the spread between training runs).", "")
    rows = []
    for i, comparison in enumerate(w.get(name, "comparisons")):
        c = f"comparisons/{i}/"
        other = comparison["b"].split(":")[1]
        for key, label in (("greedy_accuracy", "greedy"), ("majority_accuracy", "majority"),
                           ("mean_sample_accuracy", "sample")):
            per_problem = (f"McNemar p = {w.n(name, c + key.replace('accuracy', 'correct') + '_mcnemar/p', '.3f')}"
                           if key != "mean_sample_accuracy" else
                           f"bootstrap {_interval(w, name, c + 'sample_accuracy_bootstrap')}")
            rows.append([f"aqp − {other}", label, _interval(w, name, c + key + "_per_seed"), per_problem])
    w.table(["difference", "accuracy", "per seed (points, 95 % interval)", "per problem"], rows)
    w.figure("study_estimators.png", "the table in training")


def _spread(w: Writer, name: str, base: str, spec: str = "*100:.1f") -> str:
    """mean (min … max) over seeds of a study's aggregate entry."""
    return (f"{w.n(name, base + '/mean', spec)} ({w.n(name, base + '/min', spec)} … "
            f"{w.n(name, base + '/max', spec)})")


def _study_lr(w: Writer) -> None:
    name = "study_lr.json"
    w.add("## Learning-rate robustness", "")
    w.source(name)
    grid = w.get(name, "grid")
    fall = w.get(name, "fall")
    k = w.get(name, "rows/0/k")
    w.add(f"{w.n(name, 'grid/steps', 'd')} steps at each learning rate, seeds {grid['seeds']}, "
          f"{w.n(name, 'rows/0/problems', 'd')} held-out problems; "
          f"accuracy after training, mean (min … max) over seeds, in %. 'fell' counts the seeds whose batch sample "
          f"accuracy (a {fall['window']}-step rolling mean) fell {fall['points'] * 100:g} points under its first "
          f"{fall['baseline_steps']} steps' level; 'warned' those where the failure warning fired.", "")
    rows = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        a = f"aggregate/{i}/"
        rows.append([entry["method"], f"{entry['lr']:g}", _spread(w, name, a + "greedy_accuracy_after"),
                     _spread(w, name, a + "majority_accuracy_after"), _spread(w, name, a + "pass_at_k_after"),
                     _spread(w, name, a + "answer_entropy_after", ".2f"),
                     f"{entry['fell']}/{len(entry['seeds'])}", f"{entry['warnings']}/{len(entry['seeds'])}"])
    w.table(["method", "lr", "greedy", "majority", f"pass@{k}", "entropy", "fell", "warned"], rows)
    _lr_claim(w, name)
    _fall_caveat(w, name)
    w.figure("study_lr.png", "final accuracy against the learning rate")


def _fall_caveat(w: Writer, name: str) -> None:
    """Runs counted as 'fell' on the training batches while their held-out greedy accuracy rose, if any."""
    rows = [r for r in w.get(name, "rows") if r["fall_step"] is not None
            and r["greedy_accuracy_after"] > r["greedy_accuracy_before"]]
    if rows:
        seeds = sorted({r["seed"] for r in rows})
        w.add(f"'fell' is a training-batch statistic: {len(rows)} runs count as fallen (by step "
              f"{max(r['fall_step'] for r in rows)}) while their held-out greedy accuracy rose, all of seed(s) {seeds}: a "
              "seed sets the order of the training prompts, so its first batches set the level for every method "
              "alike. Read it beside the held-out columns.", "")


def _lr_claim(w: Writer, name: str, lr: float = 3e-4) -> None:
    """What the data says of the claim "at 10× the default rate the anchored game keeps greedy accuracy within
    5 points of the base while plain coherence and TTRL lose more than 20"."""
    entries = {e["method"]: i for i, e in enumerate(w.get(name, "aggregate")) if e["lr"] == lr}
    if not {"anchored-s2", "coherence", "ttrl"} <= set(entries):
        return
    delta = lambda m, part: w.get(name, f"aggregate/{entries[m]}/greedy_accuracy_delta/{part}")  # noqa: E731
    change = lambda m: _spread(w, name, f"aggregate/{entries[m]}/greedy_accuracy_delta", "*100:+.1f")  # noqa: E731
    anchored_within = all(delta(m, "min") >= -0.05 for m in entries if m.startswith("anchored"))
    peers_lose = all(delta(m, "max") < -0.20 for m in ("coherence", "ttrl"))
    verdict = "holds" if anchored_within and peers_lose else "does not hold as stated"
    others = ", ".join(f"{m} {change(m)}" for m in entries if not m.startswith("anchored"))
    anchored = ", ".join(f"{m} {change(m)}" for m in entries if m.startswith("anchored"))
    w.add(f"At lr {lr:g} (10× the default) the claim \"the anchored game keeps greedy accuracy within 5 points of "
          f"the base while plain coherence and TTRL lose more than 20\" {verdict} across the seeds: greedy accuracy "
          f"changes by {anchored} points with the anchored game, and by {others} with the label-free peers "
          "(mean (min … max) over seeds).", "")


def _study_dial(w: Writer) -> None:
    name = "study_dial.json"
    k = w.get(name, "rows/0/k")
    w.add(f"## The pass@1–pass@{k} dial", "")
    w.source(name)
    grid = w.get(name, "grid")
    w.add(f"{w.n(name, 'grid/steps', 'd')} steps at the default learning rate, seeds {grid['seeds']}, "
          f"{w.n(name, 'rows/0/problems', 'd')} held-out problems: pass@1 (= sample accuracy), pass@{k} and majority "
          "after training, mean (min … max) over seeds, in %.", "")
    rows = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        a = f"aggregate/{i}/"
        rows.append([entry["method"], _spread(w, name, a + "mean_sample_accuracy_after"),
                     _spread(w, name, a + "pass_at_k_after"), _spread(w, name, a + "majority_accuracy_after"),
                     _spread(w, name, a + "answer_entropy_after", ".2f")])
    w.table(["method", "pass@1", f"pass@{k}", "majority", "entropy"], rows)
    _dial_claim(w, name, k)
    rows = [[method, w.n(name, f"predicted/{method}/pass_at_1", "*100:.1f"), w.n(name, f"predicted/{method}/pass_at_k", "*100:.1f")]
            for method in w.get(name, "predicted")]
    w.add("Predicted by p* ∝ p̂_ref^s itself, on the training prompts from their reference answers (s = 1 is p̂_ref):", "")
    w.table(["p* of", "pass@1", f"pass@{w.get(name, 'rows/0/k')}"], rows)
    w.figure("study_dial.png", f"pass@1 against pass@{k}")


def _dial_claim(w: Writer, name: str, k: int) -> None:
    """What the data says of the dial: does pass@1 rise and pass@k fall with s, and where do the peers end?"""
    entries = {e["method"]: i for i, e in enumerate(w.get(name, "aggregate"))}
    anchored = sorted((float(m.removeprefix("anchored-s")), m) for m in entries if m.startswith("anchored-s"))
    mean = lambda m, key: w.get(name, f"aggregate/{entries[m]}/{key}_after/mean")  # noqa: E731
    cell = lambda m, key: w.n(name, f"aggregate/{entries[m]}/{key}_after/mean", "*100:.1f")  # noqa: E731
    if len(anchored) < 2:
        return
    pass1 = [mean(m, "mean_sample_accuracy") for _, m in anchored]
    passk = [mean(m, "pass_at_k") for _, m in anchored]
    rises = all(b > a for a, b in zip(pass1, pass1[1:]))
    falls = all(b < a for a, b in zip(passk, passk[1:]))
    low, high = anchored[0][1], anchored[-1][1]
    text = (f"From s = {anchored[0][0]:g} to s = {anchored[-1][0]:g}, pass@1 goes from {cell(low, 'mean_sample_accuracy')} "
            f"to {cell(high, 'mean_sample_accuracy')} % and pass@{k} from {cell(low, 'pass_at_k')} to "
            f"{cell(high, 'pass_at_k')} % (means over seeds): pass@1 {'rises at every step of s' if rises else 'does not rise at every step of s'}, "
            f"pass@{k} " + ("falls at every step." if falls else
                            f"does not fall with s: it stays between {100 * min(passk):.1f} and {100 * max(passk):.1f} %."))
    for peer in ("coherence", "ttrl", "empo"):
        if peer in entries:
            text += (f" {peer}: pass@1 {cell(peer, 'mean_sample_accuracy')} %, pass@{k} {cell(peer, 'pass_at_k')} %"
                     f" ({'more' if mean(peer, 'mean_sample_accuracy') > mean(high, 'mean_sample_accuracy') else 'less'} pass@1 and "
                     f"{'more' if mean(peer, 'pass_at_k') > mean(high, 'pass_at_k') else 'less'} pass@{k} than s = {anchored[-1][0]:g}).")
    w.add(text, "")


def _study_horizon(w: Writer) -> None:
    name = "study_horizon.json"
    w.add("## A long horizon", "")
    w.source(name)
    grid = w.get(name, "grid")
    k = w.get(name, "rows/0/k")
    seeds = sorted({r["seed"] for r in w.get(name, "rows")})
    w.add(f"{w.n(name, 'grid/steps', 'd')} steps, seeds {seeds}; held-out greedy accuracy and pass@{k} every "
          f"{grid['settings']['eval_steps']} steps, mean over seeds, in %.", "")
    rows = []
    methods = list(dict.fromkeys(r["method"] for r in w.get(name, "rows")))
    before = w.get(name, "rows")
    rows.append(["base policy", "0", f"{100 * statistics.fmean(r['greedy_accuracy_before'] for r in before):.1f}",
                 f"{100 * statistics.fmean(r['pass_at_k_before'] for r in before):.1f}"])
    for method in methods:
        mine = [r for r in w.get(name, "rows") if r["method"] == method]
        steps = [d["step"] for d in mine[0]["during"]]
        for j, step in enumerate(steps):
            greedy = statistics.fmean(r["during"][j]["greedy_accuracy"] for r in mine)
            passk = statistics.fmean(r["during"][j]["pass_at_k"] for r in mine)
            rows.append([method, str(step), f"{100 * greedy:.1f}", f"{100 * passk:.1f}"])
    w.table(["method", "step", "greedy", f"pass@{k}"], rows)
    changes = []
    for i, entry in enumerate(w.get(name, "aggregate")):
        part = lambda key: _spread(w, name, f"aggregate/{i}/{key}_delta", "*100:+.1f")  # noqa: E731
        changes.append(f"{entry['method']}: greedy {part('greedy_accuracy')}, sample {part('mean_sample_accuracy')}, "
                       f"majority {part('majority_accuracy')}, pass@{k} {part('pass_at_k')}")
    w.add(f"Change from the base policy after {w.n(name, 'grid/steps', 'd')} steps, in points, mean (min … max) over "
          "seeds — " + "; ".join(changes) + ".", "")
    w.figure("study_horizon.png", "held-out accuracy over a long run")


STUDY_SECTIONS = {"study_estimators.json": lambda w: _study_estimators(w), "study_lr.json": lambda w: _study_lr(w),
                  "study_dial.json": lambda w: _study_dial(w), "study_horizon.json": lambda w: _study_horizon(w)}


def _missing(name: str, root: Path) -> str:
    raise MissingResult(f"results file {name} not found in {root}")


PAGES: tuple[Page, ...] = (
    Page("results/training.md", "Training on the built-in task",
         ("anchored_training.json", "compare_anchored.json", "anchored_estimators_K16_M255_s3.json", "anchored_estimators_K4_M255_s3.json"),
         _training, ("anchored_training.png", "compare_anchored.png")),
    Page("results/simulator.md", "Exact games: the simulator", ("simulate_equilibrium.json",), _simulator, ("simulate_equilibrium.png",)),
    Page("results/estimators.md", "Reward tables", ("estimator_targets.json", "estimator_limits.json", "estimator_speed.json"),
         _estimators, ("estimator_frontier.png",)),
    Page("results/answers.md", "Answers: extraction and grouping",
         ("answer_extraction.json", "answers_grouping.json", "answers_equivalence.json", "equivalence_corpus.json"), _answers),
    Page("results/overhead.md", "Cost of the reward", ("reward_overhead.json", "verl_overhead.json"), _overhead),
    Page("results/failure-warning.md", "The failure warning", ("failure_warning.json",), _failure),
    Page("results/builtin-task.md", "The built-in task's base policy", ("task_premise.json", "task_premise_levers.json"), _task),
    Page("results/bvpo.md", "BVPO", ("bvpo_exact.json", "bvpo_training.json", "bvpo_training_runs"), _bvpo, ("bvpo_training.png",)),
    Page("results/best-of-n.md", "Best-of-n", ("bon_montecarlo.json", "bon_speed.json"), _bon),
    Page("results/reliability.md", "Reliability", ("reliability.json", "reliability.md"), _reliability),
    Page("results/studies.md", "Evidence studies",
         ("study_lr.json", "study_dial.json", "study_estimators.json", "study_horizon.json"),
         lambda w: (_study_lr(w), _study_dial(w), _study_estimators(w), _study_horizon(w)),
         ("study_lr.png", "study_dial.png", "study_estimators.png", "study_horizon.png")),
)


def render_page(page: Page, root: Path = RESULTS) -> str:
    w = Writer(root)
    w.add(f"# {page.title}", "", "Generated from the results files when the docs are built: each number below is read "
          "from the file named above its table.", "")
    for figure in page.figures:
        if not (root / figure).is_file():
            raise MissingResult(f"results figure {figure} not found in {root}")
    page.render(w)
    return "\n".join(w.lines) + "\n"


def render_index(root: Path = RESULTS) -> str:
    lines = ["# Results", "", "Every measured number in these docs comes from a file in `benchmarks/results/`, read "
             "when the docs are built. Each file, the command that writes it, and its page:", "",
             "| file | written by | page |", "|---|---|---|"]
    page_of = {f: p for p in PAGES for f in (*p.files, *p.figures)}
    for name in sorted(SOURCES):
        page = page_of.get(name)
        link = f"[{page.title}]({Path(page.path).name})" if page else "–"
        lines.append(f"| `{name}` | `{SOURCES[name][0]}` | {link} |")
    return "\n".join(lines) + "\n"


STUB = re.compile(r"<!-- results-page: (\S+) -->")


def render_stub(markdown: str, root: Path = RESULTS) -> str | None:
    """The generated page for a stub in docs/results/ (``<!-- results-page: PATH -->``), or None."""
    match = STUB.search(markdown)
    if match is None:
        return None
    pages = {page.path: page for page in PAGES}
    if match.group(1) == "results/index.md":
        return render_index(root)
    if match.group(1) not in pages:
        raise MissingResult(f"no results page {match.group(1)!r}; known: {', '.join(sorted(pages))}")
    return render_page(pages[match.group(1)], root)


def render_pages(root: Path = RESULTS) -> dict[str, str]:
    """Every results page's markdown, keyed by its path under docs/."""
    clear_cache()
    pages = {"results/index.md": render_index(root)}
    for page in PAGES:
        pages[page.path] = render_page(page, root)
    return pages
