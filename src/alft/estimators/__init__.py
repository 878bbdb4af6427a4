"""Count-based reward tables for answer-level rewards (docs/concepts/estimators.md). numpy/scipy only: no torch here.

>>> from alft.estimators import get_estimator, leave_one_out_counts
>>> est = get_estimator("aqp", K=8)                     # table for log p, bias ≤ 8·E*_8
>>> est.rewards(leave_one_out_counts([[0, 0, 1, 2, 0, 1, 0, 0]]))
"""

from alft.estimators.base import Estimator
from alft.estimators.closed_form import digamma_bias
from alft.estimators.counts import MAX_K, MIN_K, leave_one_out_counts
from alft.estimators.registry import (
    ESTIMATOR_SPEC,
    ESTIMATORS,
    TRAINING_COEFFICIENT_BOUND,
    check_trainable,
    get_estimator,
    estimator_spec,
    log_estimators,
    minimax_value,
    parse_estimator,
    parse_params,
)
from alft.estimators.target import RewardForm, parse_target, polynomial_target

__all__ = [
    "ESTIMATORS",
    "MAX_K",
    "MIN_K",
    "TRAINING_COEFFICIENT_BOUND",
    "Estimator",
    "RewardForm",
    "check_trainable",
    "digamma_bias",
    "get_estimator",
    "log_estimators",
    "estimator_spec",
    "parse_estimator",
    "parse_params",
    "ESTIMATOR_SPEC",
    "leave_one_out_counts",
    "minimax_value",
    "parse_target",
    "polynomial_target",
]
