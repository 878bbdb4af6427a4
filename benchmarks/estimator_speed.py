"""Issue 3's speed targets, measured in one run on one core: solve time per table (K ≤ 64 under 2 s,
K = 128 under 15 s), cached load (under 5 ms), and the online step's throughput for 4096 groups × K = 16
(≥ 5 M samples/s), with its ratio to a plain collections.Counter loop.

    python benchmarks/estimator_speed.py       # writes benchmarks/results/estimator_speed.json
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ["ALFT_CACHE_DIR"] = tempfile.mkdtemp(prefix="alft-speed-")

import numpy as np  # noqa: E402

from alft.errors import AlftNumericalError  # noqa: E402
from alft.estimators import ESTIMATORS, cache, get_estimator, leave_one_out_counts  # noqa: E402

RESULTS = Path(__file__).parent / "results"


def _target(name: str) -> str:
    return "l2" if name == "ustat" else "log"


def solve_times(Ks: list[int], skip: tuple[str, ...] = ()) -> dict:
    """Cold solve of every estimator (minimax value included where a solver needs it); a solve that is
    refused (e.g. infeasible in float64) is recorded with its message instead of a time."""
    times: dict = {}
    for K in Ks:
        for name in [n for n in ESTIMATORS if n not in skip]:
            cache.clear_memory()
            for path in cache.cache_dir().glob("*.json") if cache.cache_dir().exists() else []:
                path.unlink()
            start = time.perf_counter()
            try:
                get_estimator(name, K, _target(name))
                times.setdefault(name, {})[K] = time.perf_counter() - start
            except AlftNumericalError as error:
                times.setdefault(name, {})[K] = f"refused after {time.perf_counter() - start:.2f} s: {error}"
    return times


def cached_load_time(name: str = "aqp", K: int = 64, repeats: int = 20) -> float:
    get_estimator(name, K)
    best = float("inf")
    for _ in range(repeats):
        cache.clear_memory()
        start = time.perf_counter()
        get_estimator(name, K)
        best = min(best, time.perf_counter() - start)
    return best


def online_throughput(groups: int = 4096, K: int = 16, repeats: int = 20) -> dict:
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, size=(groups, K))
    est = get_estimator("aqp", K)
    table = est.table

    def vectorised():
        return est.rewards(leave_one_out_counts(ids))

    def counter_loop():
        out = []
        for row in ids.tolist():
            counts = Counter(row)
            out.append([table[counts[z] - 1] for z in row])
        return out

    np.testing.assert_allclose(vectorised(), counter_loop())
    fast = min(_timed(vectorised) for _ in range(repeats))
    slow = min(_timed(counter_loop) for _ in range(max(3, repeats // 4)))
    samples = groups * K
    return {"samples": samples, "samples_per_second": samples / fast, "counter_samples_per_second": samples / slow, "speedup_over_counter": slow / fast}


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    solve = solve_times([4, 8, 16, 32, 64])
    # The worst-case variant is timed against its own target (K ≤ 64, under 2 s) in estimator_limits.py;
    # at K = 128 its κ = 8 budget is beyond what the barrier certifies in float64.
    study_only = ("aqp-worst",)
    solve_128 = solve_times([128], skip=study_only)
    load = cached_load_time()
    online = online_throughput()
    result = {
        "solve_seconds": solve,
        "solve_seconds_K128": solve_128,
        "max_solve_K_le_64": {n: max(t.values()) for n, t in solve.items()},
        "solve_meets_2s_K_le_64": {n: max(t.values()) < 2.0 for n, t in solve.items()},
        "solve_meets_15s_K128": {n: isinstance(t[128], float) and t[128] < 15.0 for n, t in solve_128.items()},
        "study_only_variants": sorted(study_only),
        "cached_load_seconds": load,
        "cached_load_meets_5ms": load < 0.005,
        "online": online,
        "online_meets_5M_per_s": online["samples_per_second"] >= 5e6,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "estimator_speed.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
