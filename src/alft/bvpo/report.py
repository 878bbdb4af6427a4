"""The exact-game report: issue 23's checks and the α̂* regret, one function for ``alft bvpo --exact`` and
``benchmarks/bvpo_exact.py`` (the same JSON from both).

* :func:`exact_checks` — on each game and batch size: the closed form α* against the grid minimiser of the
  exact MSE, MSE(α*) against min(MSE(0), MSE(1)), the variance identity Var_r g_c = α² Var_r g_t, and
  Monte-Carlo MSE against the exact value (z-scores).
* :func:`alpha_regret` — α̂* from sampled batches plugged into the exact MSE_n: E MSE_n(α̂) / MSE_n(α*) − 1,
  beside α = 0, the paper's 0.5 and 1; α̂ with the default assumption (E g_t = μ) and with the exact μ given
  (the value of a perfect multi-trace reference); and the realised error of a batch mixed with its own α̂
  against the same batch mixed with α*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from alft.bvpo.estimate import estimate_alpha
from alft.bvpo.game import ExactGame
from alft.bvpo.mixing import grid_minimiser
from alft.errors import require

FIXED = {"alpha=0": 0.0, "alpha=0.5 (paper)": 0.5, "alpha=1": 1.0}


def exact_games(count: int, seed: int = 0) -> list[ExactGame]:
    """``count`` random games: even ones at θ = θ_ref (the start of training, where E g_t = μ), odd ones with
    π_θ moved from π_ref by a step in [0.3, 1]."""
    require(count >= 1, "games", count, "an integer ≥ 1")
    return [ExactGame.random(seed + i, step=0.0 if i % 2 == 0 else 0.3 + 0.7 * ((i * 0.618) % 1)) for i in range(count)]


def exact_checks(games: Sequence[ExactGame], *, sizes: Sequence[int] = (1, 8, 64), mc_games: int = 6,
                 mc_batches: int = 3000) -> dict:
    """The exact-game targets, as numbers (largest gaps, worst ratios, z-scores)."""
    gaps, ratios, strict, identity, z = [], [], 0, [], []
    for game in games:
        for n in sizes:
            m = game.moments.batch(n)
            gaps.append(abs(m.alpha_star - grid_minimiser(m)))
            best, ends = m.mse(m.alpha_star), min(m.mse(0.0), m.mse(1.0))
            ratios.append(best / ends)
            strict += bool(0 < m.alpha_star < 1 and best < ends)
        chosen, rejected = int(np.argmax(game.scores[0])), int(np.argmin(game.scores[0]))
        for alpha in (0.25, 0.5, 0.75):
            var_c, var_t = game.trace_variance(alpha, 0, (chosen, rejected), (chosen, rejected))
            identity.append(abs(var_c - alpha**2 * var_t))
    for i, game in enumerate(games[:mc_games]):
        for alpha, n in ((0.0, 4), (0.5, 8), (1.0, 16)):
            mean, se = game.monte_carlo_mse(alpha, n, batches=mc_batches, seed=i)
            z.append((mean - game.moments.batch(n).mse(alpha)) / se)
    return {
        "games": len(games), "batch_sizes": list(sizes), "grid_points": 1_000_001,
        "closed_form_vs_grid_max_gap": max(gaps),
        "mse_opt_over_best_endpoint_max": max(ratios),
        "strictly_better_interior_cases": strict, "cases": len(sizes) * len(games),
        "variance_identity_max_error": max(identity),
        "monte_carlo_z_scores": [round(float(v), 3) for v in z],
        "monte_carlo_max_abs_z": float(np.max(np.abs(z))) if z else None,
    }


def alpha_regret(games: Sequence[ExactGame], *, sizes: Sequence[int] = (4, 8, 16, 32, 64), batches: int = 400,
                 seed: int = 1000) -> dict:
    """Per game and batch size the relative regret of α̂* and of the fixed weights; a summary per regime."""
    rows = []
    for g, game in enumerate(games):
        rng = np.random.default_rng(seed + g)
        at_reference = bool(game.moments.bias_trace @ game.moments.bias_trace < 1e-20)
        for n in sizes:
            m = game.moments.batch(n)
            best = m.mse(m.alpha_star)
            hat, oracle, realised_hat, realised_star = [], [], [], []
            for _ in range(batches):
                t, e = game.sample_batch(rng, n)
                a = estimate_alpha(t, e).alpha
                hat.append(a)
                oracle.append(estimate_alpha(t, e, mu=game.mu).alpha)
                for alpha, out in ((a, realised_hat), (m.alpha_star, realised_star)):
                    d = alpha * t.mean(0) + (1 - alpha) * e.mean(0) - game.mu
                    out.append(d @ d)
            hat_a, oracle_a = np.array(hat), np.array(oracle)
            rows.append({
                "game": g, "n": n, "at_reference": at_reference, "alpha_star": m.alpha_star, "mse_star": best,
                "alpha_hat_mean": float(hat_a.mean()), "alpha_hat_sd": float(hat_a.std()),
                "alpha_hat_bias": float(hat_a.mean() - m.alpha_star),
                "alpha_hat_oracle_mu_mean": float(oracle_a.mean()),
                "relative_regret": {
                    "alpha_hat": float(np.mean(m.mse(hat_a)) / best - 1),
                    "alpha_hat_oracle_mu": float(np.mean(m.mse(oracle_a)) / best - 1),
                    **{name: float(m.mse(alpha) / best - 1) for name, alpha in FIXED.items()},
                },
                "realised_same_batch_ratio": float(np.mean(realised_hat) / np.mean(realised_star)),
            })
    return {"batches_per_cell": batches, "sizes": list(sizes), "rows": rows, "summary": _summarise(rows, sizes)}


def _summarise(rows: list[dict], sizes: Sequence[int]) -> dict:
    out = {}
    for regime in ("at_reference", "moved"):
        for n in sizes:
            cell = [r for r in rows if r["n"] == n and r["at_reference"] == (regime == "at_reference")]
            if not cell:
                continue
            names = list(cell[0]["relative_regret"])
            out[f"{regime}/n={n}"] = {
                "games": len(cell),
                "alpha_star_range": [min(r["alpha_star"] for r in cell), max(r["alpha_star"] for r in cell)],
                "median_alpha_hat_bias": float(np.median([r["alpha_hat_bias"] for r in cell])),
                "median_alpha_hat_sd": float(np.median([r["alpha_hat_sd"] for r in cell])),
                "median_relative_regret": {k: float(np.median([r["relative_regret"][k] for r in cell])) for k in names},
                "mean_relative_regret": {k: float(np.mean([r["relative_regret"][k] for r in cell])) for k in names},
                "alpha_hat_beats_paper_0.5": int(sum(r["relative_regret"]["alpha_hat"] < r["relative_regret"]["alpha=0.5 (paper)"]
                                                     for r in cell)),
                "median_realised_same_batch_ratio": float(np.median([r["realised_same_batch_ratio"] for r in cell])),
            }
    return out


def exact_report(games: int = 24, *, batches: int = 400, seed: int = 0) -> dict:
    """Both parts on :func:`exact_games`; the Monte-Carlo check draws 10 × ``batches`` batches."""
    chosen = exact_games(games, seed)
    return {"checks": exact_checks(chosen, mc_batches=10 * batches), "regret": alpha_regret(chosen, batches=batches)}
