"""Benchmark: game dynamics on the default tabular game (SPEC §3.7).

1. The exact-gradient control reaches the closed-form / root-found equilibrium of every objective (target TV ≤ 1e−6).
2. Coherence and diversity at K = 4, 8, 16: final TV to p* per estimator (mean ± sd over seeds), the
   exact bias-only TV (the estimator's fixed point), the ratio to the plug-in's (target ≤ 0.1), and the
   steps to reach given TVs.
3. Constraint games end within tolerance of their bound (exact, and sampled with aqp).
4. Group-reward throughput: 4096 groups × K = 16, vectorised batch vs one call per group (ratio).

Run: python benchmarks/simulate_equilibrium.py  → benchmarks/results/simulate_equilibrium.{json,png}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from alft.games import (
    Reward,
    Constraint, DualState, Dynamics, batch_group_rewards, bregman, coherence, default_game, diversity,
    gini_diversity, group_rewards, pairwise_coherence, verifier,
)
from alft.games.dynamics import compare, fixed_point_tv, run

OUT = Path(__file__).parent / "results"
GAME = default_game()
SEEDS = [0, 1, 2]
ESTIMATORS = ["plugin", "digamma", "aqp", "aqp-floor"]
THRESHOLDS = [0.02, 0.01, 0.005]
SAMPLED = Dynamics(steps=800, groups=1500)


def exact_control() -> dict:
    objectives = [0.5 * coherence(), 0.5 * diversity(), gini_diversity(), 0.4 * pairwise_coherence(), verifier(),
                  bregman("kl", 0.5), bregman("l2"), bregman("tsallis:3"), bregman("kl+l2:0.5", 0.3),
                  0.3 * coherence() + verifier()]
    out = {}
    for objective in objectives:
        trajectory = run(GAME, objective, "exact", 8, Dynamics(steps=400))
        out[objective.name] = {"final_tv": trajectory.final_tv, "steps_to_1e-6": trajectory.steps_to(1e-6),
                               "pass": trajectory.final_tv <= 1e-6}
    return out


def estimator_comparison() -> dict:
    out = {}
    for objective in (0.5 * coherence(), 0.5 * diversity()):
        for K in (4, 8, 16):
            runs = compare(GAME, objective, ["exact", *ESTIMATORS], K, SAMPLED, seeds=SEEDS)
            rows = {}
            for method, trajectories in runs.items():
                finals = [t.final_tv for t in trajectories]
                rows[method] = {
                    "final_tv": float(np.mean(finals)), "final_tv_sd": float(np.std(finals)), "final_tv_seeds": finals,
                    "bias_only_tv": 0.0 if method == "exact" else fixed_point_tv(GAME, objective, method, K),
                    "steps_to": {str(x): [t.steps_to(x) for t in trajectories] for x in THRESHOLDS},
                    "tv_curve": np.mean([t.tv_curve for t in trajectories], axis=0).tolist(),
                }
            plugin = rows["plugin"]["final_tv"]
            for method in ESTIMATORS[1:]:
                rows[method]["ratio_to_plugin"] = rows[method]["final_tv"] / plugin
                rows[method]["bias_only_ratio_to_plugin"] = rows[method]["bias_only_tv"] / rows["plugin"]["bias_only_tv"]
                rows[method]["meets_one_tenth"] = rows[method]["ratio_to_plugin"] <= 0.1
            out[f"{objective.name}|K={K}"] = {"steps": runs["exact"][0].steps.tolist(), "results": rows}
            print(objective.name, K, {m: f"{r['final_tv']:.2e}" for m, r in rows.items()}, file=sys.stderr)
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


def plot(comparison: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(comparison)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    for ax, key in zip(axes.ravel(), keys):
        steps = comparison[key]["steps"]
        for method, row in comparison[key]["results"].items():
            line, = ax.semilogy(steps, np.maximum(row["tv_curve"], 1e-17), label=method)
            if method != "exact":
                ax.axhspan(row["final_tv"] - row["final_tv_sd"], row["final_tv"] + row["final_tv_sd"], color=line.get_color(), alpha=0.25)
                ax.axhline(max(row["bias_only_tv"], 1e-17), color=line.get_color(), linestyle=":", linewidth=1)
        ax.set_ylim(1e-5, 0.3)
        ax.set_title(key.replace("|", ", "))
        ax.set_xlabel("step")
    axes[0, 0].set_ylabel("TV to p*")
    axes[1, 0].set_ylabel("TV to p*")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("Sampled dynamics (mean over 3 seeds; band ± sd of the Polyak-averaged final TV; dotted: exact bias-only fixed point)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    report = {"exact_control": exact_control(), "constraints": constraint_games(), "throughput": throughput(),
              "settings": {"steps": SAMPLED.steps, "groups": SAMPLED.groups, "step_size": SAMPLED.step_size,
                           "baseline": SAMPLED.baseline, "beta": GAME.beta, "seeds": SEEDS}}
    report["estimators"] = estimator_comparison()
    report["seconds"] = time.perf_counter() - start
    (OUT / "simulate_equilibrium.json").write_text(json.dumps(report, indent=1))
    plot(report["estimators"], OUT / "simulate_equilibrium.png")
    print(json.dumps({k: report[k] for k in ("exact_control", "constraints", "throughput", "seconds")}, indent=1))


if __name__ == "__main__":
    main()
