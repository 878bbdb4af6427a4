"""The estimator registry: one name → one solver; everything else (reports, plots, tests, benchmarks)
picks a new estimator up from here.

An estimator for a target c·log p + Σ a_m p^m is the exact U-statistic table of the polynomial part plus c
times a table for log p; the name chooses the log table (docs/concepts/estimators.md#aqp, "augmented").
"""

from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
from numpy.polynomial import Chebyshev, Polynomial

from alft.errors import AlftInputError, AlftNumericalError, is_finite_number, require
from alft.estimators.counts import check_group_size
from alft.estimators import cache
from alft.estimators.aqp import AqpProblem, solve_aqp
from alft.estimators.base import Estimator
from alft.estimators.bernstein import chebyshev_to_bernstein
from alft.estimators.closed_form import (
    digamma_log_table,
    plugin_half_log_table,
    plugin_log_table,
    ustat_table,
)
from alft.estimators.minimax import solve_minimax_log
from alft.estimators.target import RewardForm, parse_target

# Tables with larger entries amplify noise beyond use (the exact minimax tables reach 2e15 at K = 64).
TRAINING_COEFFICIENT_BOUND = 1e3

LogSolver = Callable[[int, dict[str, float]], dict[str, Any]]


@dataclass(frozen=True)
class EstimatorSpec:
    """A registered estimator.

    Attributes:
        name: registry name.
        description: one line for ``--help`` and reports.
        log_solver: (K, params) → payload {"table": g for log p, "chebyshev": optional}; None when the
            estimator handles polynomial targets only.
        defaults: parameter names and default values.
        cached: whether solved tables go to the on-disk cache (solvers, not closed forms).
    """

    name: str
    description: str
    log_solver: LogSolver | None
    defaults: dict[str, float] = field(default_factory=dict)
    cached: bool = False

    @property
    def estimates_log(self) -> bool:
        """Whether it has a table for log p (targets with a log term); polynomial-only estimators do not."""
        return self.log_solver is not None


def _closed(table_fn: Callable[[int], np.ndarray]) -> LogSolver:
    return lambda K, params: {"table": table_fn(K).tolist(), "chebyshev": None}


def minimax_value(K: int, floor: bool = False) -> float:
    """E*_K (global, p-weighted) or the floor minimax error: the smallest achievable bias for log p."""
    name = "minimax-floor" if floor else "minimax"
    return float(_cached_log_payload(name, K, {})["error"])


def _minimax(floor: bool) -> LogSolver:
    def solve(K: int, params: dict[str, float]) -> dict[str, Any]:
        solution = solve_minimax_log(K, floor=floor)
        return {
            "table": chebyshev_to_bernstein(solution.chebyshev).tolist(),
            "chebyshev": solution.chebyshev.tolist(),
            "error": solution.error,
        }

    return solve


def _aqp_budget(name: str, K: int, params: dict[str, float]) -> tuple[float, bool]:
    """(τ, floor) for an AQP variant, refusing budgets below what any table can reach."""
    floor = name == "aqp-floor"
    if floor:
        budget = params["c"] / K**2
        least = minimax_value(K, floor=True)
        field_name = "c"
    else:
        least = minimax_value(K)
        if params["budget"] < 0:
            raise AlftInputError(f"budget: got {params['budget']!r}, expected an absolute weighted-bias budget > 0 (0 means use kappa)")
        if params["budget"] > 0:
            budget, field_name = params["budget"], "budget"
        else:
            if params["kappa"] < 1:
                raise AlftInputError(f"kappa: got {params['kappa']!r}, expected kappa ≥ 1 (τ = kappa·E*_K)")
            budget, field_name = params["kappa"] * least, "kappa"
    if budget < least:
        raise AlftInputError(
            f"{field_name}: the bias budget τ={budget:.4g} is below the minimax value {least:.4g} at K={K}; "
            "no table reaches it"
        )
    return budget, floor


def _aqp(name: str) -> LogSolver:
    def solve(K: int, params: dict[str, float]) -> dict[str, Any]:
        budget, floor = _aqp_budget(name, K, params)
        worst = name == "aqp-worst"
        try:
            solution = solve_aqp(AqpProblem(K, budget, floor), worst_case=worst)
        except AlftNumericalError as error:
            raise AlftNumericalError(_infeasible_message(name, K, budget, floor, str(error))) from None
        return {
            "table": solution.table.tolist(),
            "chebyshev": None,
            "budget": budget,
            "certificate": {
                "objective": solution.objective,
                "lower_bound": solution.lower_bound,
                "sup_bias": solution.sup_bias,
                "rounds": solution.rounds,
                "converged": solution.converged,
            },
        }

    return solve


def _infeasible_message(name: str, K: int, budget: float, floor: bool, reason: str) -> str:
    """Say why the solve failed and which larger budget does solve, by trying budgets ×1.5 apart."""
    for factor in (1.5, 2.25, 3.4, 5.1, 7.6):
        try:
            solve_aqp(AqpProblem(K, budget * factor, floor), worst_case=False)
        except AlftNumericalError:
            continue
        return (
            f"{name} at K={K}: {reason}; τ={budget * factor:.4g} solves (multiply kappa, budget or c by {factor})"
        )
    return f"{name} at K={K}: {reason}; try a larger kappa or c"


ESTIMATORS: dict[str, EstimatorSpec] = {
    spec.name: spec
    for spec in [
        EstimatorSpec("plugin", "log(C/K), add-one plug-in (biased, Θ(1/K))", _closed(plugin_log_table)),
        EstimatorSpec("plugin-half", "log((N+½)/K), add-½ plug-in (Θ(1/K))", _closed(plugin_half_log_table)),
        EstimatorSpec("digamma", "ψ(C) − ψ(K): U-statistic of log's Taylor polynomial", _closed(digamma_log_table)),
        EstimatorSpec("ustat", "exact U-statistic; polynomial targets only", None),
        EstimatorSpec("minimax", "minimax p-weighted bias, E*_K = Θ(1/K²); study only", _minimax(False), cached=True),
        EstimatorSpec("minimax-floor", "minimax bias on [1/K, 1]; study only", _minimax(True), cached=True),
        EstimatorSpec("aqp", "least average variance, p-weighted bias ≤ kappa·E*_K", _aqp("aqp"), {"kappa": 8.0, "budget": 0.0}, True),
        EstimatorSpec("aqp-floor", "least average variance, bias on [1/K,1] ≤ c/K²", _aqp("aqp-floor"), {"c": 2.0}, True),
        EstimatorSpec("aqp-worst", "least worst-case variance, p-weighted bias ≤ kappa·E*_K", _aqp("aqp-worst"), {"kappa": 8.0, "budget": 0.0}, True),
    ]
}


def _check_params(spec: EstimatorSpec, params: dict[str, Any]) -> dict[str, float]:
    unknown = sorted(set(params) - set(spec.defaults))
    if unknown:
        accepted = ", ".join(spec.defaults) or "none"
        raise AlftInputError(f"{unknown[0]}: not a parameter of {spec.name!r} (accepted: {accepted})")
    merged = {**spec.defaults, **params}
    for key, value in merged.items():
        require(is_finite_number(value), key, value, "a finite number")
    return {key: float(value) for key, value in merged.items()}


def _cached_log_payload(name: str, K: int, params: dict[str, float]) -> dict[str, Any]:
    spec = ESTIMATORS[name]
    if spec.cached:
        return cache.cached(name, K, params, lambda: spec.log_solver(K, params))
    return spec.log_solver(K, params)


ESTIMATOR_SPEC = "NAME or NAME:KEY=NUMBER[:KEY=NUMBER], e.g. aqp:kappa=4 or aqp-floor:c=0.5"
"""The one way to write an estimator with its parameters, in Python, on the command line, in YAML and in verl."""


def parse_estimator(spec: str, field: str = "estimator") -> tuple[str, dict[str, float]]:
    """An estimator spec (:data:`ESTIMATOR_SPEC`) as (name, the parameters it sets).

    Raises:
        AlftInputError: naming ``field``: an unknown estimator, a pair that is not KEY=NUMBER, or a parameter
            the estimator does not take.
    """
    if not isinstance(spec, str):
        raise AlftInputError(f"{field}: got {spec!r}, expected {ESTIMATOR_SPEC}")
    name, *pairs = (part.strip() for part in spec.split(":"))
    if name not in ESTIMATORS:
        raise AlftInputError(f"{field}: got {spec!r}, expected {ESTIMATOR_SPEC}, NAME one of {', '.join(ESTIMATORS)}")
    params = parse_params(pairs, field, spec)
    try:
        _check_params(ESTIMATORS[name], params)
    except AlftInputError as error:
        raise AlftInputError(f"{field}: got {spec!r}: {error}") from None
    return name, params


def parse_params(pairs: Sequence[str], field: str = "--param", spec: str | None = None) -> dict[str, float]:
    """``["kappa=4", "c=2"]`` → ``{"kappa": 4.0, "c": 2.0}``: the KEY=NUMBER pairs of an estimator spec."""
    params: dict[str, float] = {}
    for pair in pairs:
        key, equals, value = (part.strip() for part in pair.partition("="))
        try:
            number = float(value) if equals and key else None
        except ValueError:
            number = None
        if number is None or not math.isfinite(number):
            got = f"{spec!r}: {pair!r}" if spec is not None else repr(pair)
            raise AlftInputError(f"{field}: got {got} is not KEY=NUMBER; expected {ESTIMATOR_SPEC}")
        params[key] = number
    return params


def estimator_spec(name: str, params: dict[str, float] | tuple = ()) -> str:
    """The spec string of an estimator and its parameters (:func:`parse_estimator`'s inverse)."""
    return ":".join([name, *(f"{key}={value:g}" for key, value in sorted(dict(params).items()))])


def log_estimators() -> list[str]:
    """Every registered estimator that has a table for log p."""
    return [name for name, spec in ESTIMATORS.items() if spec.estimates_log]


def get_estimator(name: str, K: int, target: str | RewardForm | list[float] = "log", **params: Any) -> Estimator:
    """Build (or load from the cache) the estimator ``name`` for groups of K.

    Args:
        name: a key of :data:`ESTIMATORS`.
        K: group size, 2..256.
        target: what the table estimates (see :func:`alft.estimators.target.parse_target`).
        **params: solver parameters: for ``aqp`` and ``aqp-worst`` either ``kappa`` (τ = kappa·E*_K) or an
            absolute p-weighted bias ``budget`` τ (e.g. plug-in's own weighted bias, which is not a kappa
            multiple of E*_K); ``c`` for ``aqp-floor`` (τ = c/K²).

    Raises:
        AlftInputError: unknown name or parameter, K out of range, a polynomial of degree ≥ K, a budget
            below the minimax value, ``ustat`` asked for a log target.
        AlftNumericalError: a budget out of reach (the message names one that solves), or an
            ``aqp-worst`` solve that ran out of exchange rounds before its certified 0.5 % gap closed.
    """
    if name not in ESTIMATORS:
        raise AlftInputError(f"estimator: got {name!r}, expected one of {', '.join(ESTIMATORS)}")
    spec = ESTIMATORS[name]
    K = check_group_size(K)
    target = parse_target(target)
    merged = _check_params(spec, params)
    table = ustat_table(target, K) if target.poly else np.zeros(K)
    chebyshev, payload = None, {}
    if target.log_weight:
        if not spec.estimates_log:
            raise AlftInputError(
                f"estimator: {name!r} is exact for polynomial targets only, and target {target.name!r} has a "
                "log p term (no unbiased estimator exists); use digamma, aqp or minimax"
            )
        payload = _cached_log_payload(name, K, merged)
        table = table + target.log_weight * np.asarray(payload["table"], dtype=float)
        if payload["chebyshev"] is not None:
            poly_part = Polynomial(target.poly or (0.0,)).convert(kind=Chebyshev, domain=[0, 1]).coef
            chebyshev = target.log_weight * np.asarray(payload["chebyshev"])
            chebyshev[: len(poly_part)] += poly_part
    certificate = payload.get("certificate") if target.log_weight else None
    return Estimator(
        name=name, K=K, target=target, params=merged, table=table, mean_chebyshev=chebyshev, certificate=certificate
    )


def check_trainable(estimator: Estimator) -> None:
    """Refuse tables whose entries are too large to train with (they amplify noise without bound)."""
    largest = float(np.max(np.abs(estimator.table)))
    if largest > TRAINING_COEFFICIENT_BOUND:
        raise AlftInputError(
            f"estimator: {estimator.name!r} at K={estimator.K} has table entries up to {largest:.3g}, above the "
            f"training bound {TRAINING_COEFFICIENT_BOUND:g}; use 'aqp' (bounded variance, Θ(1/K²) bias)"
        )
