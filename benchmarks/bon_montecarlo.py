"""Exact best-of-n quantities against 10⁶ simulated best-of-n runs (SPEC §4; target: within 3 s.e.).

Run: python benchmarks/bon_montecarlo.py [--seed 0]   →   benchmarks/results/bon_montecarlo.json

For every reference and n: exact KL vs the mean exact-quantile contribution log ρ of the simulated
selections, exact E[d_n] vs the mean of d_n, exact win rate vs wins (ties ½) against independent
reference draws, and a chi-square test of the simulated level frequencies against the exact level pmf.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import chisquare

from alft.bon import (
    Reference,
    builtin_reference,
    expected_kl_estimator,
    kl_exact,
    level_pmf,
    monte_carlo_summary,
    win_rate,
)

DRAWS = 1_000_000
NS = [2, 8, 32]


def references(rng: np.random.Generator) -> dict[str, Reference]:
    weights = rng.dirichlet(np.ones(40))
    return {
        "ties-demo": builtin_reference("ties-demo"),
        "verifier-0.2": builtin_reference("verifier-0.2"),
        "zipf-1000": builtin_reference("zipf-1000"),
        "random-40-ties": Reference.from_arrays(weights, rng.integers(0, 10, 40)),
    }


def chi_square_pvalue(counts: np.ndarray, probs: np.ndarray) -> float:
    expected = probs * counts.sum()
    keep = expected > 5
    observed, expected_kept = counts[keep], expected[keep]
    if not keep.all():  # pool rare levels
        observed = np.append(observed, counts[~keep].sum())
        expected_kept = np.append(expected_kept, expected[~keep].sum())
    if observed.size < 2:
        return 1.0
    return float(chisquare(observed, expected_kept * observed.sum() / expected_kept.sum()).pvalue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    rng = np.random.default_rng(seed)
    rows = []
    for name, ref in references(rng).items():
        for n in NS:
            start = time.perf_counter()
            mc = monte_carlo_summary(ref, n, DRAWS, rng)
            seconds = time.perf_counter() - start
            row = {"reference": name, "n": n, "draws": DRAWS, "seconds": seconds,
                   "level_chi2_pvalue": chi_square_pvalue(mc.level_counts, level_pmf(ref, n))}
            for key, estimate, exact in [("kl", mc.kl, kl_exact(ref, n)), ("win_rate", mc.win_rate, win_rate(ref, n)),
                                         ("kl_estimator", mc.kl_estimator, expected_kl_estimator(ref, n))]:
                z = (estimate.mean - exact) / estimate.stderr if estimate.stderr > 0 else 0.0
                row[key] = {"exact": exact, "mc": estimate.mean, "stderr": estimate.stderr, "z": z,
                            "within_3se": abs(estimate.mean - exact) <= 3 * estimate.stderr + 1e-12}
            rows.append(row)
            print(f"{name:>15} n={n:<3} " + "  ".join(
                f"{k}: {row[k]['exact']:.5f} vs {row[k]['mc']:.5f} (z={row[k]['z']:+.2f})"
                for k in ("kl", "win_rate", "kl_estimator")) + f"  χ² p={row['level_chi2_pvalue']:.3f}")
    checks = [row[k]["within_3se"] for row in rows for k in ("kl", "win_rate", "kl_estimator")]
    result = {"benchmark": "bon_montecarlo", "seed": seed, "draws": DRAWS,
              "checks": len(checks), "within_3se": sum(checks), "all_within_3se": all(checks), "rows": rows}
    out = Path(__file__).parent / "results" / "bon_montecarlo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{sum(checks)}/{len(checks)} within 3 s.e. → {out}")


if __name__ == "__main__":
    main()
