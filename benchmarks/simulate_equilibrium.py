"""Benchmark: game dynamics on the default tabular game (docs/concepts/game.md#the-anchor, docs/concepts/estimators.md#bias-moves-the-equilibrium).

1. ``exact``: the exact-gradient control reaches the closed-form / root-found equilibrium of every
   objective, and of the anchored game (docs/concepts/game.md#the-anchor), to TV ≤ 1e−6.
2. ``estimators``: coherence and diversity at K = 4, 8, 16, the bias-dominated regime (many groups per
   step): the :func:`alft.games.simulation.simulate` summary per estimator (final TV mean ± sd over 3
   seeds, bias-only TV, ratio to plug-in; target ≤ 0.1), with the tuned tables of the κ/c rule.
3. ``finite_budget``: 4 groups per step and step 0.05: samples per prompt until the iterate's TV stays
   ≤ ε, per estimator and K (the variance regime); ε = 0.1, 0.05, 0.03 at K = 4, 8, 16.
4. ``anchored``: the anchored game (s = 2) per estimator, with the exact p_ref and with M = 32, 64, 128
   reference draws: how M moves the fixed point; ``reference_error``: the same shift with the exact group
   term, in closed form, over 1000 reference draws per M (plug-in and digamma reference tables).
5. ``constraints``: constraint games end within tolerance of their bound (exact, and sampled with aqp).
6. ``throughput``: 4096 groups × K = 16, vectorised batch vs one call per group.

Run: python benchmarks/simulate_equilibrium.py [SECTION ...]  → benchmarks/results/simulate_equilibrium.{json,png}
(sections given on the command line replace their entries in the existing JSON; none runs them all).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from alft.games import (
    Reward,
    Constraint, DualState, Dynamics, Objective, batch_group_rewards, bregman, coherence, default_game, diversity,
    gini_diversity, group_rewards, pairwise_coherence, verifier,
)
from alft.estimators import get_estimator
from alft.games.objectives import anchor, sharpened
from alft.games.dynamics import run
from alft.games.simulation import simulate

OUT = Path(__file__).parent / "results"
JSON = OUT / "simulate_equilibrium.json"
GAME = default_game()
SEEDS = [0, 1, 2]
ESTIMATORS = ["plugin", "digamma", "aqp", "aqp-floor"]
# Tables chosen by the κ/c rule (alft.games.simulation): the smallest budgets that solve.
TUNED = {
    ("0.5*coherence", 4): ["aqp:kappa=1.05", "minimax"],
    ("0.5*coherence", 8): ["aqp:kappa=1.25"],
    ("0.5*coherence", 16): ["aqp:kappa=1.25", "aqp:kappa=4", "aqp-floor:c=0.5"],
    ("0.5*diversity", 4): ["aqp:kappa=1.25", "aqp:kappa=1.4"],
    ("0.5*diversity", 8): ["aqp:kappa=4", "aqp-floor:c=0.25"],
    ("0.5*diversity", 16): ["aqp:kappa=1.25", "aqp-floor:c=0.5"],
}
SAMPLED = Dynamics(steps=800, groups=1500)
FINITE = Dynamics(steps=1500, groups=4, step_size=0.05, average_from=0.5, record_every=10)
FINITE_ESTIMATORS = ["plugin", "digamma", "minimax", "aqp", "aqp:kappa=1.25", "aqp-floor"]
FINITE_EPSILON = {4: 0.1, 8: 0.05, 16: 0.03}  # about 0.6-0.8 × plug-in's bias-only TV at each K
ANCHORED = Dynamics(steps=400, groups=1500)


def exact_control() -> dict:
    objectives = [0.5 * coherence(), 0.5 * diversity(), gini_diversity(), 0.4 * pairwise_coherence(), verifier(),
                  bregman("kl", 0.5), bregman("l2"), bregman("tsallis:3"), bregman("kl+l2:0.5", 0.3),
                  0.3 * coherence() + verifier()]
    out = {}
    for objective in objectives:
        trajectory = run(GAME, objective, "exact", 8, Dynamics(steps=400))
        out[objective.name] = {"final_tv": trajectory.final_tv, "steps_to_1e-6": trajectory.steps_to(1e-6),
                               "pass": trajectory.final_tv <= 1e-6}
    for label, objective in (("anchored s=2", sharpened(2.0)), ("anchored s=3", sharpened(3.0)),
                             ("anchored gamma=0.3+verifier", coherence(0.3) + anchor(1.0) + verifier())):
        trajectory = run(GAME, objective, "exact", 8, Dynamics(steps=400))
        out[label] = {"final_tv": trajectory.final_tv, "steps_to_1e-6": trajectory.steps_to(1e-6),
                      "pass": trajectory.final_tv <= 1e-6}
    return out


def _brief(summary: dict) -> dict:
    """The summary without its per-step curves (kept for the plot only in the estimators section)."""
    return {m: {k: v for k, v in r.items() if k != "tv_curve"} for m, r in summary["results"].items()}


def estimator_comparison() -> dict:
    out = {}
    for objective in ("0.5*coherence", "0.5*diversity"):
        for K in (4, 8, 16):
            summary = simulate(objective, K, ESTIMATORS + TUNED[(objective, K)], SAMPLED, seeds=SEEDS)
            best = min((m for m in summary["results"] if m != "exact"), key=lambda m: summary["results"][m]["final_tv"])
            summary["best"] = {"method": best, "ratio_to_plugin": summary["results"][best]["ratio_to_plugin"],
                               "meets_one_tenth": summary["results"][best]["ratio_to_plugin"] <= 0.1}
            out[f"{objective}|K={K}"] = summary
            print(objective, K, {m: f"{r['final_tv']:.2e}" for m, r in summary["results"].items()}, "best", summary["best"], file=sys.stderr)
    return out


def finite_budget() -> dict:
    out = {}
    for K in (4, 8, 16):
        methods = [m for m in FINITE_ESTIMATORS if not (m == "minimax" and K > 8)]  # minimax: entries ≈ 1e3 at K = 16
        summary = simulate("0.5*coherence", K, methods, FINITE, seeds=SEEDS, tv_threshold=FINITE_EPSILON[K])
        reached = {m: r["samples_to_tv"] for m, r in summary["results"].items() if m != "exact" and r["samples_to_tv"] is not None}
        summary["fewest_samples"] = min(reached, key=reached.get) if reached else None
        out[f"0.5*coherence|K={K}"] = summary
        print("finite", K, {m: (f"{r['final_tv']:.3f}", r["samples_to_tv"]) for m, r in summary["results"].items()}, file=sys.stderr)
    return out


def anchored() -> dict:
    out = {}
    for K in (8, 16):
        for draws in (None, 32, 64, 128):
            summary = simulate("anchored", K, ["plugin", "digamma", "aqp"], ANCHORED, seeds=SEEDS, exponent=2.0, reference_draws=draws)
            out[f"anchored s=2|K={K}|M={draws or 'exact'}"] = {**summary, "results": _brief(summary)}
            print("anchored", K, draws, {m: f"{r['final_tv']:.3f}/{r['bias_only_tv']:.3f}" for m, r in summary["results"].items()}, file=sys.stderr)
    return out


def reference_error() -> dict:
    """How M reference answers move the anchored fixed point with the exact group term (s = 2): its closed
    form p ∝ exp(β·g_ref[C]/(β − γ)) (docs/concepts/game.md#the-anchor) over 1000 reference draws per M and reference table."""
    (gamma, beta), out = sharpened(2.0).anchor_weights, {}
    optima = [pr.answer_reference**2 / np.sum(pr.answer_reference**2) for pr in GAME.prompts]
    for draws in (16, 32, 64, 128, 255):
        for name in ("plugin", "digamma"):
            table = get_estimator(name, draws + 1).table
            rng, tvs = np.random.default_rng(draws), []
            for _ in range(1000):
                shifts = []
                for prompt, optimum in zip(GAME.prompts, optima):
                    counts = rng.multinomial(draws, prompt.answer_reference)
                    logits = beta * table[counts] / (beta - gamma)
                    p = np.exp(logits - logits.max())
                    shifts.append(0.5 * np.abs(p / p.sum() - optimum).sum())
                tvs.append(np.mean(shifts))
            out[f"M={draws}|{name}"] = {"mean_tv": float(np.mean(tvs)), "sd_tv": float(np.std(tvs)), "median_tv": float(np.median(tvs))}
    print("reference", {k: f"{v['mean_tv']:.3f}" for k, v in out.items()}, file=sys.stderr)
    return out


def constraint_games() -> dict:
    constraints = [Constraint("unsafe<=0.05", {"7", "0", "2"}, 0.05), Constraint("correct>=0.6", {"12", "6", "42"}, 0.6, ">="),
                   Constraint("share==0.2", {"13", "8", "24"}, 0.2, "==")]
    out = {}
    for constraint in constraints:
        for method, tolerance in (("exact", 1e-4), ("aqp", 5e-3)):
            trajectory = run(GAME, diversity(0.5), method, 8, Dynamics(steps=1500, groups=1500, dual_step=1.0),
                             dual=DualState((constraint,)), seed=0)
            value = trajectory.constraint_values[0]
            out[f"{constraint.name}|{method}"] = {
                "value": value, "bound": constraint.bound, "tolerance": tolerance, "multiplier": trajectory.multipliers[0],
                "tv_to_constrained_optimum": trajectory.final_tv, "pass": abs(value - constraint.bound) <= tolerance,
            }
    return out


def throughput() -> dict:
    rng = np.random.default_rng(0)
    answers = [str(a) for a in rng.integers(0, 6, 4096 * 16)]
    batch_group_rewards(answers[:160], 16, Reward(coherence(), "aqp"))  # tables solved / loaded
    start = time.perf_counter()
    batch_group_rewards(answers, 16, Reward(coherence(), "aqp"))
    batch = time.perf_counter() - start
    start = time.perf_counter()
    for g in range(256):
        group_rewards(answers[16 * g: 16 * g + 16], Reward(coherence(), "aqp"))
    per_group = (time.perf_counter() - start) / 256 * 4096
    return {"groups": 4096, "K": 16, "batch_seconds": batch, "per_group_calls_seconds_extrapolated": per_group,
            "speedup": per_group / batch}


def plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comparison = report["estimators"]
    fig, axes = plt.subplots(3, 3, figsize=(15, 11))
    for ax, key in zip(axes[:2].ravel(), comparison):
        summary = comparison[key]
        for method, row in summary["results"].items():
            line, = ax.semilogy(summary["steps"], np.maximum(row["tv_curve"], 1e-17), label=method)
            if method != "exact":
                ax.axhline(max(row["bias_only_tv"], 1e-17), color=line.get_color(), linestyle=":", linewidth=1)
        ax.set_ylim(1e-5, 0.3)
        ax.set_title(key.replace("|", ", "))
        ax.set_xlabel("step")
        ax.set_ylabel("TV to p*")
        ax.legend(fontsize=6)
    finite = report.get("finite_budget", {})
    for ax, key in zip(axes[2], finite):
        summary = finite[key]
        for method, row in summary["results"].items():
            if method != "exact":
                ax.semilogy(np.asarray(summary["steps"]) * summary["groups"] * summary["K"], np.maximum(row["tv_curve"], 1e-5), label=method, linewidth=0.8)
        ax.axhline(summary["tv_threshold"], color="k", linestyle="--", linewidth=0.8)
        ax.set_title(f"finite budget, K={summary['K']} ({summary['groups']} groups/step, η={summary['step_size']})")
        ax.set_xlabel("sampled answers per prompt")
        ax.set_ylabel("TV to p* (iterate, mean of 3 seeds)")
        ax.legend(fontsize=6)
    fig.suptitle("Rows 1-2: bias-dominated regime (dotted: exact bias-only fixed point). Row 3: finite budget (dashed: ε)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


SECTIONS = {"exact_control": exact_control, "estimators": estimator_comparison, "finite_budget": finite_budget,
            "anchored": anchored, "reference_error": reference_error, "constraints": constraint_games, "throughput": throughput}


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    report = json.loads(JSON.read_text()) if names and JSON.exists() else {}
    report["settings"] = {"seeds": SEEDS, "beta": GAME.beta, "sampled": vars(SAMPLED), "finite_budget": vars(FINITE),
                          "anchored": vars(ANCHORED)}
    for name in names or list(SECTIONS):
        start = time.perf_counter()
        result = SECTIONS[name]()
        # Re-read before writing: sections may run in parallel processes that share the file.
        report = {**(json.loads(JSON.read_text()) if JSON.exists() else {}), name: result, "settings": report["settings"]}
        report["seconds"] = {**(report.get("seconds") if isinstance(report.get("seconds"), dict) else {}),
                             name: time.perf_counter() - start}
        JSON.write_text(json.dumps(report, indent=1))
    if "estimators" in report:
        plot(report, OUT / "simulate_equilibrium.png")


if __name__ == "__main__":
    main(sys.argv[1:])
