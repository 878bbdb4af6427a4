"""Benchmark: BVPO on exact games (SPEC §8; issue 23's exact-game targets and the α̂* regret).

1. ``checks``: on 24 random games (random trace noise, random distance of π_θ from π_ref) at batch sizes 1,
   8 and 64 — the closed form α* against the grid minimiser of the exact MSE (largest gap), MSE(α*) against
   min(MSE(0), MSE(1)) (worst ratio, strict inside), the variance identity Var_r g_c = α² Var_r g_t (largest
   error), Monte-Carlo MSE against the exact value (z-scores).
2. ``regret``: α̂* from sampled batches of the sizes a trainer uses (n = 4 … 64), plugged into the exact
   MSE_n: regret E MSE_n(α̂) − MSE_n(α*), relative to MSE_n(α*), beside the paper's fixed 0.5 and the two
   endpoints; α̂ with the default assumption (E g_t = μ) and with the exact μ given (an oracle: the value of
   a perfect multi-trace reference). Also the realised error of the same batch mixed with its own α̂
   (correlated with the batch) against mixing it with α*. Reported separately for games at θ = θ_ref (where
   the assumption is exact) and games moved away from it.

Run: python benchmarks/bvpo_exact.py → benchmarks/results/bvpo_exact.json
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from alft.bvpo import ExactGame, estimate_alpha, grid_minimiser

OUT = Path(__file__).parent / "results" / "bvpo_exact.json"
GAMES = 24
BATCHES = 400
SIZES = (4, 8, 16, 32, 64)
FIXED = {"alpha=0": 0.0, "alpha=0.5 (paper)": 0.5, "alpha=1": 1.0}


def checks(games: list[ExactGame]) -> dict:
    gaps, ratios, strict, identity, z = [], [], 0, [], []
    for game in games:
        for n in (1, 8, 64):
            m = game.moments.batch(n)
            gaps.append(abs(m.alpha_star - grid_minimiser(m)))
            best, ends = m.mse(m.alpha_star), min(m.mse(0.0), m.mse(1.0))
            ratios.append(best / ends)
            strict += bool(0 < m.alpha_star < 1 and best < ends)
        x = 0
        chosen = int(np.argmax(game.scores[x]))
        for alpha in (0.25, 0.5, 0.75):
            var_c, var_t = game.trace_variance(alpha, x, (chosen, int(np.argmin(game.scores[x]))), (chosen, 1 - chosen % 2))
            identity.append(abs(var_c - alpha**2 * var_t))
    for i, game in enumerate(games[:6]):
        for alpha, n in ((0.0, 4), (0.5, 8), (1.0, 16)):
            mean, se = game.monte_carlo_mse(alpha, n, batches=3000, seed=i)
            z.append((mean - game.moments.batch(n).mse(alpha)) / se)
    return {
        "games": len(games),
        "closed_form_vs_grid_max_gap": max(gaps),
        "grid_points": 1_000_001,
        "mse_opt_over_best_endpoint_max": max(ratios),
        "strictly_better_interior_cases": strict,
        "cases": 3 * len(games),
        "variance_identity_max_error": max(identity),
        "monte_carlo_z_scores": [round(v, 3) for v in z],
        "monte_carlo_max_abs_z": float(np.max(np.abs(z))),
    }


def regret(games: list[ExactGame]) -> dict:
    rows = []
    for g, game in enumerate(games):
        rng = np.random.default_rng(1000 + g)
        for n in SIZES:
            m = game.moments.batch(n)
            best = m.mse(m.alpha_star)
            hat, oracle, realised_hat, realised_star = [], [], [], []
            for _ in range(BATCHES):
                t, e = game.sample_batch(rng, n)
                a = estimate_alpha(t, e).alpha
                hat.append(a)
                oracle.append(estimate_alpha(t, e, mu=game.mu).alpha)
                for alpha, out in ((a, realised_hat), (m.alpha_star, realised_star)):
                    d = alpha * t.mean(0) + (1 - alpha) * e.mean(0) - game.mu
                    out.append(d @ d)
            hat, oracle = np.array(hat), np.array(oracle)
            row = {
                "game": g, "n": n, "at_reference": bool(game.moments.bias_trace @ game.moments.bias_trace < 1e-20),
                "alpha_star": m.alpha_star, "mse_star": best,
                "alpha_hat_mean": float(hat.mean()), "alpha_hat_sd": float(hat.std()),
                "alpha_hat_oracle_mu_mean": float(oracle.mean()),
                "relative_regret": {
                    "alpha_hat": float(np.mean(m.mse(hat)) / best - 1),
                    "alpha_hat_oracle_mu": float(np.mean(m.mse(oracle)) / best - 1),
                    **{name: float(m.mse(alpha) / best - 1) for name, alpha in FIXED.items()},
                },
                "realised_same_batch_ratio": float(np.mean(realised_hat) / np.mean(realised_star)),
            }
            rows.append(row)
    return {"batches_per_cell": BATCHES, "sizes": list(SIZES), "rows": rows, "summary": summarise(rows)}


def summarise(rows: list[dict]) -> dict:
    out = {}
    for regime in ("at_reference", "moved"):
        for n in SIZES:
            cell = [r for r in rows if r["n"] == n and r["at_reference"] == (regime == "at_reference")]
            if not cell:
                continue
            names = list(cell[0]["relative_regret"])
            out[f"{regime}/n={n}"] = {
                "games": len(cell),
                "alpha_star_range": [min(r["alpha_star"] for r in cell), max(r["alpha_star"] for r in cell)],
                "median_relative_regret": {k: float(np.median([r["relative_regret"][k] for r in cell])) for k in names},
                "mean_relative_regret": {k: float(np.mean([r["relative_regret"][k] for r in cell])) for k in names},
                "alpha_hat_beats_paper_0.5": sum(r["relative_regret"]["alpha_hat"] < r["relative_regret"]["alpha=0.5 (paper)"]
                                                 for r in cell),
                "median_realised_same_batch_ratio": float(np.median([r["realised_same_batch_ratio"] for r in cell])),
            }
    return out


def main() -> None:
    start = time.perf_counter()
    # half the games at θ = θ_ref (the start of training), half moved away (step uniform in [0.3, 1])
    games = [ExactGame.random(seed, step=0.0 if seed % 2 == 0 else 0.3 + 0.7 * ((seed * 0.618) % 1))
             for seed in range(GAMES)]
    result = {"checks": checks(games), "regret": regret(games)}
    result["seconds"] = time.perf_counter() - start
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["checks"], indent=2))
    print(json.dumps(result["regret"]["summary"], indent=2))


if __name__ == "__main__":
    main()
