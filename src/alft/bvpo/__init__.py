"""BVPO (Bias–Variance Optimized Preference Optimization, arXiv 2510.05095; docs/concepts/bvpo.md): DPO on a reasoning
model's answers, mixing the trace-based and the empty-trace losses with a weight α.

The mathematics imports numpy only (no torch; a test checks it):

* :mod:`alft.bvpo.dpo` — the DPO loss and its gradient weight on log-probabilities.
* :mod:`alft.bvpo.mixing` — :class:`GradientMoments`: MSE(α) of g_c = α g_t + (1−α) g_e against μ, and α*.
* :mod:`alft.bvpo.estimate` — α̂* from one batch's per-example gradients (or their projections).
* :mod:`alft.bvpo.game` — :class:`ExactGame`: a model given by tables where every moment is enumerated.
* :mod:`alft.bvpo.pairs` — the two pair sets (trace pairs, empty-trace pairs) and their checks.

The torch side is imported only when used: :mod:`alft.bvpo.trainer` (``BVPOTrainer``, a TRL ``DPOTrainer``
that mixes the two losses) and :mod:`alft.bvpo.task` (the built-in task's pairs and measurements).
"""

from alft.bvpo.dpo import dpo_gradient_weight, dpo_loss, dpo_margin
from alft.bvpo.estimate import MIN_BATCH, AlphaEstimate, estimate_alpha
from alft.bvpo.game import ExactGame, TableModel
from alft.bvpo.mixing import GradientMoments, check_alpha, grid_minimiser

__all__ = [
    "MIN_BATCH",
    "AlphaEstimate",
    "ExactGame",
    "GradientMoments",
    "TableModel",
    "check_alpha",
    "dpo_gradient_weight",
    "dpo_loss",
    "dpo_margin",
    "estimate_alpha",
    "grid_minimiser",
]
