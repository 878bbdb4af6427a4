"""Benchmark: BVPO on exact games (docs/concepts/bvpo.md; issue 23's exact-game targets and the α̂* regret).

:func:`alft.bvpo.report.exact_report` on 24 random games (12 at θ = θ_ref, 12 moved away), 400 sampled
batches per game and batch size (4 … 64): the checks (closed form vs grid, MSE(α*) vs the endpoints, the
variance identity, Monte-Carlo z-scores) and the α̂* regret against α*, the paper's 0.5 and the endpoints.
``alft bvpo --exact`` prints the same report.

Run: python benchmarks/bvpo_exact.py → benchmarks/results/bvpo_exact.json
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from alft.bvpo.report import exact_report

OUT = Path(__file__).parent / "results" / "bvpo_exact.json"


def main() -> None:
    start = time.perf_counter()
    result = exact_report(24, batches=400, seed=0)
    result["seconds"] = time.perf_counter() - start
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["checks"], indent=2))
    print(json.dumps(result["regret"]["summary"], indent=2))


if __name__ == "__main__":
    main()
