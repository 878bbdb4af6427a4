"""Metrics of every estimator across K, decay exponents, and the bias/variance frontier (docs/concepts/estimators.md#aqp).

Pure numpy: the CLI (``alft tables``) and the benchmarks format and draw what these functions return.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Callable, Iterable

import numpy as np

from alft.errors import AlftNumericalError
from alft.estimators.registry import get_estimator, log_estimators

DEFAULT_KS = (4, 8, 16, 32, 64)
DEFAULT_KAPPAS = (1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)


@dataclass(frozen=True)
class TableMetrics:
    """One estimator at one K: its p-weighted bias, floor bias and worst-case variance on [1/K, 1]."""

    estimator: str
    K: int
    weighted_bias: float
    floor_bias: float
    max_variance: float
    max_abs_entry: float
    label: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def table_metrics(name: str, K: int, label: str = "", **params: float) -> TableMetrics:
    est = get_estimator(name, K, **params)
    return TableMetrics(
        estimator=name,
        K=K,
        weighted_bias=est.weighted_bias(),
        floor_bias=est.floor_bias(),
        max_variance=est.max_variance(),
        max_abs_entry=float(np.max(np.abs(est.table))),
        label=label or name,
    )


def decay_exponent(Ks: Iterable[int], values: Iterable[float]) -> float:
    """Least-squares slope of log(value) against log(K): −1 for Θ(1/K), −2 for Θ(1/K²)."""
    x, y = np.log(np.asarray(list(Ks), dtype=float)), np.asarray(list(values), dtype=float)
    if np.any(y <= 0):
        return float("nan")  # exact (zero-bias) tables have no decay to fit
    return float(np.polyfit(x, np.log(y), 1)[0])


def estimator_report(
    Ks: Iterable[int] = DEFAULT_KS,
    names: Iterable[str] | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    """Metrics of each estimator for each K and the fitted decay exponents of its two bias metrics.

    Returns:
        {"K": [...], "estimators": {name: {"metrics": [TableMetrics dicts], "weighted_bias_exponent",
        "floor_bias_exponent", "max_variance_exponent"}}}
    """
    Ks = list(Ks)
    out: dict = {"K": Ks, "estimators": {}}
    for name in names or log_estimators():
        rows = []
        for K in Ks:
            progress(f"{name} K={K}")
            rows.append(table_metrics(name, K))
        out["estimators"][name] = {
            "metrics": [row.to_dict() for row in rows],
            "weighted_bias_exponent": decay_exponent(Ks, [r.weighted_bias for r in rows]),
            "floor_bias_exponent": decay_exponent(Ks, [r.floor_bias for r in rows]),
            "max_variance_exponent": decay_exponent(Ks, [r.max_variance for r in rows]),
        }
    return out


def frontier(
    K: int,
    kappas: Iterable[float] = DEFAULT_KAPPAS,
    named: Iterable[str] = ("plugin", "plugin-half", "digamma", "minimax", "aqp", "aqp-floor"),
    progress: Callable[[str], None] = lambda _: None,
) -> dict:
    """The bias/variance Pareto frontier at K: the AQP κ sweep plus AQP at each named table's own bias,
    and every named table as a point.

    Returns:
        {"K", "sweep": [TableMetrics of aqp at each feasible κ], "infeasible_kappas": [...],
        "named": [TableMetrics], "dominates": {name: bool}} where ``dominates[name]`` says whether some
        sweep point has no more weighted bias (within the solver's 0.1 % slack) *and* no more worst-case
        variance than that named table.
    """
    sweep, infeasible = [], []
    for kappa in kappas:
        progress(f"aqp kappa={kappa:g}")
        try:
            sweep.append(table_metrics("aqp", K, label=f"aqp κ={kappa:g}", kappa=kappa))
        except AlftNumericalError:
            infeasible.append(kappa)  # no table found strictly inside budgets this close to E*_K
    points = []
    for name in named:
        progress(name)
        points.append(table_metrics(name, K))
    # AQP at each named table's own bias: at equal bias, which has less worst-case variance?
    for point in points:
        if point.estimator.startswith("aqp") or point.estimator.startswith("minimax"):
            continue
        try:
            sweep.append(table_metrics("aqp", K, label=f"aqp @ {point.label} bias", budget=point.weighted_bias))
        except AlftNumericalError:
            pass
    sweep.sort(key=lambda s: s.weighted_bias)
    dominates = {
        point.label: any(
            s.weighted_bias <= point.weighted_bias * (1 + 1e-3) and s.max_variance <= point.max_variance
            for s in sweep
        )
        for point in points
    }
    return {
        "K": K,
        "sweep": [s.to_dict() for s in sweep],
        "infeasible_kappas": infeasible,
        "named": [p.to_dict() for p in points],
        "dominates": dominates,
    }
