"""Best-of-n speed at scale: n up to 10⁶ and supports of 10⁶ outcomes (target: each call under 1 s).

Run: python benchmarks/bon_speed.py [--seed 0]   →   benchmarks/results/bon_speed.json

Each timing is the best of a few repeats; it is also given as a ratio to np.sort of 10⁶ floats timed in
the same run, so results from different machines compare. The accuracy columns check that the
vectorised, log-space formulas stay a valid distribution at the extremes. Quantities carry the names of
the report columns of ``alft bon --json`` (:func:`alft.bon.bon_report`); the end-to-end row times what
``alft bon --input`` computes, the report, plus the pmf.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np

from alft.bon import (
    Reference,
    bon_pmf,
    bon_report,
    expected_kl_estimator,
    kl_estimator,
    kl_exact,
    kl_formula,
    kl_saturation,
    optimal_win_rate,
    rewind_win_rate,
    win_bound,
    win_rate,
)

SUPPORT = 1_000_000
NS = [1, 16, 1024, 1_000_000]
TARGET_SECONDS = 1.0
REPEATS = 3


def best_time(func) -> tuple[float, object]:
    times, value = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return min(times), value


def references(rng: np.random.Generator) -> dict[str, tuple]:
    weights = rng.dirichlet(np.ones(SUPPORT))
    return {
        "distinct": (weights, rng.permutation(SUPPORT).astype(float)),
        "ties-1000-levels": (weights, rng.integers(0, 1000, SUPPORT).astype(float)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    seed = parser.parse_args().seed
    rng = np.random.default_rng(seed)
    sort_seconds, _ = best_time(lambda: np.sort(rng.random(SUPPORT)))
    rows = []
    for name, (probs, rewards) in references(rng).items():
        build_seconds, ref = best_time(lambda: Reference.from_arrays(probs, rewards))
        rows.append({"reference": name, "support": SUPPORT, "n": None, "quantity": "build (validate + levels)",
                     "seconds": build_seconds})
        for n in NS:
            for quantity, func in [
                ("pmf", lambda: bon_pmf(ref, n)),
                ("kl_exact", lambda: kl_exact(ref, n)),
                ("win_rate", lambda: win_rate(ref, n)),
                ("kl_estimator", lambda: expected_kl_estimator(ref, n)),
                ("d_n on 10⁶ ε", lambda: kl_estimator(probs, n)),
            ]:
                seconds, value = best_time(func)
                row = {"reference": name, "support": SUPPORT, "n": n, "quantity": quantity, "seconds": seconds}
                if quantity == "pmf":
                    row["pmf_sum_minus_1"] = float(value.sum() - 1)
                    row["pmf_all_finite_nonneg"] = bool(np.all(np.isfinite(value)) and np.all(value >= 0))
                elif quantity == "kl_exact":
                    row["value"] = value
                    row["within_bounds"] = bool(0 <= value <= min(kl_formula(n), kl_saturation(ref)) + 1e-9)
                elif quantity == "win_rate":
                    row["value"] = value
                    row["within_bounds"] = bool(0.5 - 1e-9 <= value <= win_bound(n) + 1e-9)
                elif quantity == "kl_estimator":
                    row["value"] = value
                    row["within_bounds"] = bool(0 <= value <= kl_formula(n) + 1e-9)
                rows.append(row)
        def end_to_end():
            fresh = Reference.from_arrays(probs, rewards)
            n = max(NS)
            return bon_pmf(fresh, n), bon_report(fresh, [n])

        seconds, _ = best_time(end_to_end)
        rows.append({"reference": name, "support": SUPPORT, "n": max(NS), "seconds": seconds,
                     "quantity": "end-to-end: build + pmf + bon_report"})
        kl = kl_exact(ref, 16)
        for quantity, func in [("optimal_win_rate at KL(n=16)", lambda: optimal_win_rate(ref, kl)),
                               ("rewind_win_rate at KL(n=16)", lambda: rewind_win_rate(ref, kl))]:
            seconds, value = best_time(func)
            rows.append({"reference": name, "support": SUPPORT, "n": 16, "quantity": quantity, "seconds": seconds,
                         "value": value, "target_applies": False})
    for row in rows:
        row["ratio_to_sort_1e6"] = row["seconds"] / sort_seconds
        row.setdefault("target_applies", True)
        row["under_target"] = row["seconds"] < TARGET_SECONDS
    targeted = [r for r in rows if r["target_applies"]]
    result = {
        "benchmark": "bon_speed",
        "seed": seed,
        "target": f"each call under {TARGET_SECONDS} s at support {SUPPORT} and n up to {max(NS)}",
        "machine": {"python": platform.python_version(), "numpy": np.__version__, "processor": platform.machine()},
        "sort_1e6_seconds": sort_seconds,
        "max_seconds_targeted": max(r["seconds"] for r in targeted),
        "all_under_target": all(r["under_target"] for r in targeted),
        "all_within_bounds": all(r.get("within_bounds", True) for r in rows),
        "rows": rows,
    }
    out = Path(__file__).parent / "results" / "bon_speed.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    for row in rows:
        print(f"{row['reference']:>17} n={row['n']!s:>8} {row['quantity']:<30} {row['seconds']:8.4f} s "
              f"({row['ratio_to_sort_1e6']:5.1f}× sort)")
    print(f"max targeted {result['max_seconds_targeted']:.3f} s; all under target: {result['all_under_target']}; "
          f"bounds: {result['all_within_bounds']} → {out}")


if __name__ == "__main__":
    main()
