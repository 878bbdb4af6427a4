"""Exact best-of-n quantities against 10⁶ simulated best-of-n runs (docs/concepts/best-of-n.md; target: within 3 s.e.).

Run: python benchmarks/bon_montecarlo.py [--seed 0]   →   benchmarks/results/bon_montecarlo.json

For every reference, the report of ``alft bon --draws`` (:func:`alft.bon.bon_report`, the same keys):
exact KL against the mean exact-quantile contribution log ρ of the simulated selections (kl_exact_mc),
exact E[d_n] against the mean of d_n (kl_estimator_mc), the exact win rate against wins (ties ½) over
independent reference draws (win_rate_mc); then, per n, each difference in standard errors (z) and a
chi-square test of the simulated level frequencies against the exact level pmf.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.stats import chisquare

from alft.bon import (
    MONTE_CARLO_COLUMNS,
    Reference,
    bon_report,
    builtin_reference,
    level_pmf,
    monte_carlo_summaries,
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


def compare(report: dict, key: str) -> dict:
    """Per n: (Monte-Carlo − exact) / standard error of one report column, and whether it is within 3 s.e."""
    z, within = [], []
    for exact, mc, stderr in zip(report[key], report[f"{key}_mc"], report[f"{key}_mc_stderr"]):
        z.append((mc - exact) / stderr if stderr > 0 else 0.0)
        within.append(abs(mc - exact) <= 3 * stderr + 1e-12)
    return {"z": z, "within_3se": within}


def check_reference(name: str, ref: Reference, rng: np.random.Generator) -> dict:
    start = time.perf_counter()
    simulations = monte_carlo_summaries(ref, NS, DRAWS, rng)
    seconds = time.perf_counter() - start
    report = bon_report(ref, NS, simulations)
    return {"reference": name, "seconds": seconds, "report": report,
            "checks": {key: compare(report, key) for key in MONTE_CARLO_COLUMNS},
            "level_chi2_pvalue": [chi_square_pvalue(s.level_counts, level_pmf(ref, s.n)) for s in simulations]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    rng = np.random.default_rng(seed)
    entries = [check_reference(name, ref, rng) for name, ref in references(rng).items()]
    for entry in entries:
        for i, n in enumerate(NS):
            print(f"{entry['reference']:>15} n={n:<3} " + "  ".join(
                f"{key}: {entry['report'][key][i]:.5f} vs {entry['report'][key + '_mc'][i]:.5f} "
                f"(z={entry['checks'][key]['z'][i]:+.2f})" for key in MONTE_CARLO_COLUMNS)
                + f"  χ² p={entry['level_chi2_pvalue'][i]:.3f}")
    checks = [ok for entry in entries for check in entry["checks"].values() for ok in check["within_3se"]]
    result = {"benchmark": "bon_montecarlo", "seed": seed, "draws": DRAWS, "checks": len(checks),
              "within_3se": sum(checks), "all_within_3se": all(checks), "references": entries}
    out = Path(__file__).parent / "results" / "bon_montecarlo.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"{sum(checks)}/{len(checks)} within 3 s.e. → {out}")


if __name__ == "__main__":
    main()
