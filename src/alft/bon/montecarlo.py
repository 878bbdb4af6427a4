"""Monte-Carlo best-of-n on a discrete reference: the independent check of the exact formulas (docs/concepts/best-of-n.md).

Draw n outputs from π_ref, keep the highest reward. Taking the *first* draw that attains the maximum is
uniform tie-breaking: the draws are exchangeable, so the first maximiser is a uniformly random one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from alft.bon.estimator import Estimate, kl_estimator_log, mean_with_stderr
from alft.bon.exact import check_n, level_log_ratio
from alft.bon.reference import Reference
from alft.errors import require

#: Reference draws held in memory at once (rows × n); keeps 10⁶ best-of-16 draws near 100 MB.
_CHUNK_DRAWS = 4_000_000


def sample_reference(reference: Reference, size: int | tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Indices of outputs drawn i.i.d. from π_ref (inverse-CDF sampling).

    Args:
        reference: the reference policy with rewards.
        size: output shape.
        rng: the random generator.

    Returns:
        An integer array of output indices.
    """
    cdf = np.cumsum(reference.probs)
    index = np.searchsorted(cdf, rng.random(size) * cdf[-1], side="right")
    return np.minimum(index, reference.size - 1)


def sample_best_of_n(reference: Reference, n: int, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the outputs best-of-n selects, for ``draws`` independent runs.

    Args:
        reference: the reference policy with rewards.
        n: samples per run, n ≥ 1.
        draws: number of runs, ≥ 1.
        rng: the random generator.

    Returns:
        An integer array of length ``draws``.
    """
    n = check_n(n)
    require(isinstance(draws, (int, np.integer)) and draws >= 1, "draws", draws, "an integer ≥ 1")
    rows = max(1, _CHUNK_DRAWS // n)
    chosen = []
    for start in range(0, draws, rows):
        sample = sample_reference(reference, (min(rows, draws - start), n), rng)
        first_best = np.argmax(reference.rewards[sample], axis=1)
        chosen.append(np.take_along_axis(sample, first_best[:, None], axis=1)[:, 0])
    return np.concatenate(chosen)


@dataclass(frozen=True)
class MonteCarloSummary:
    """Monte-Carlo estimates of the exact best-of-n quantities.

    Attributes:
        n: samples per run.
        kl: mean exact-quantile contribution log ρ over the selections (estimates kl_exact).
        kl_estimator: mean d_n(ε) over the selections (estimates expected_kl_estimator).
        win_rate: mean win (1, ½, 0) against an independent reference draw (estimates win_rate).
        level_counts: how many selections fell in each reward level.
    """

    n: int
    kl: Estimate
    kl_estimator: Estimate
    win_rate: Estimate
    level_counts: np.ndarray


def monte_carlo_summary(reference: Reference, n: int, draws: int, rng: np.random.Generator) -> MonteCarloSummary:
    """Simulate best-of-n ``draws`` times and estimate KL, the estimator's mean and the win rate.

    Args:
        reference, n, rng: as for :func:`sample_best_of_n`.
        draws: number of runs, ≥ 1 (≥ 2 for a standard error: one run reports 0).

    Returns:
        The :class:`MonteCarloSummary`.
    """
    chosen = sample_best_of_n(reference, n, draws, rng)
    level = reference.levels.index[chosen]
    opponent = reference.rewards[sample_reference(reference, draws, rng)]
    mine = reference.rewards[chosen]
    wins = (mine > opponent) + 0.5 * (mine == opponent)
    return MonteCarloSummary(
        n=n,
        kl=mean_with_stderr(level_log_ratio(reference, n)[level]),
        kl_estimator=mean_with_stderr(kl_estimator_log(np.log(reference.levels.mass[level]), n)),
        win_rate=mean_with_stderr(wins),
        level_counts=np.bincount(level, minlength=reference.levels.mass.size),
    )


def monte_carlo_summaries(reference: Reference, ns: Sequence[int], draws: int,
                          rng: np.random.Generator) -> list[MonteCarloSummary]:
    """:func:`monte_carlo_summary` for every n in turn, from one generator (none when ``draws`` is 0).

    Args:
        reference: the reference policy with rewards.
        ns: values of n.
        draws: runs per n, ≥ 0.
        rng: the random generator.

    Returns:
        One :class:`MonteCarloSummary` per n, or an empty list.
    """
    require(isinstance(draws, (int, np.integer)) and draws >= 0, "draws", draws, "an integer ≥ 0 (0: no simulation)")
    return [monte_carlo_summary(reference, n, draws, rng) for n in ns] if draws else []
