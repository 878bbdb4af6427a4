"""Best-of-n alignment analysis (docs/concepts/best-of-n.md; numpy/scipy only, no torch).

* :mod:`~alft.bon.reference` — a validated discrete reference with rewards and its reward levels, and
  the reference file format {"probs": [...], "rewards": [...]}.
* :mod:`~alft.bon.exact` — exact best-of-n pmf, KL, the classical formula, saturation, win rate.
* :mod:`~alft.bon.estimator` — the KL estimator d_n(ε), its expectation, the exact-quantile variant,
  and the Monte-Carlo estimate of a run from reference log-probabilities.
* :mod:`~alft.bon.frontier` — KL–win-rate frontier: best-of-n vs the optimal tilted policy and
  rewind-and-repeat.
* :mod:`~alft.bon.montecarlo` — simulation of best-of-n on a discrete reference (the independent check).
* :mod:`~alft.bon.report` — the report ``alft bon`` prints and the benchmarks record, and its figure
  (imports matplotlib only when drawing).
* :mod:`~alft.bon.policy` — best-of-n and Best-of-Majority over any sampler and reward callables.
* :mod:`~alft.bon.builtin` — named reference distributions.
* :mod:`~alft.bon.transformers_sampler` — a sampler over a transformers model (imports torch lazily;
  not imported here).
"""

from alft.bon.builtin import BUILTIN, builtin_reference
from alft.bon.estimator import (
    Estimate,
    estimate_kl_from_samples,
    exact_quantile_contribution,
    expected_kl_estimator,
    kl_estimator,
    kl_estimator_log,
)
from alft.bon.exact import (
    bon_pmf,
    formula_is_exact,
    kl_exact,
    kl_formula,
    kl_saturation,
    level_log_ratio,
    level_pmf,
    win_bound,
    win_rate,
)
from alft.bon.frontier import (
    FrontierPoint,
    bon_frontier,
    continuous_frontier,
    continuous_optimal_win_rate,
    continuous_rewind_win_rate,
    optimal_win_rate,
    rewind_point,
    rewind_threshold,
    rewind_win_rate,
    tilted_point,
)
from alft.bon.montecarlo import MonteCarloSummary, monte_carlo_summaries, monte_carlo_summary, sample_best_of_n
from alft.bon.policy import BestOfMajority, BestOfN, Run, Selection
from alft.bon.reference import FILE_FORMAT, Levels, Reference, read_reference
from alft.bon.report import MONTE_CARLO_COLUMNS, bon_report, draw_bon_figure, frontier_curves

__all__ = [
    "BUILTIN", "FILE_FORMAT", "MONTE_CARLO_COLUMNS", "BestOfMajority", "BestOfN", "Estimate",
    "FrontierPoint", "Levels", "MonteCarloSummary", "Reference", "Run", "Selection", "bon_frontier",
    "bon_pmf", "bon_report", "builtin_reference", "continuous_frontier", "continuous_optimal_win_rate",
    "continuous_rewind_win_rate", "draw_bon_figure", "estimate_kl_from_samples",
    "exact_quantile_contribution", "expected_kl_estimator", "formula_is_exact", "frontier_curves",
    "kl_estimator", "kl_estimator_log", "kl_exact", "kl_formula", "kl_saturation", "level_log_ratio",
    "level_pmf", "monte_carlo_summaries", "monte_carlo_summary", "optimal_win_rate", "read_reference",
    "rewind_point", "rewind_threshold", "rewind_win_rate", "sample_best_of_n", "tilted_point", "win_bound",
    "win_rate",
]
