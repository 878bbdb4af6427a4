"""Group rewards: a group's answers → one finite reward per sample (SPEC §2.5 step 2, §3.1, §3.8).

R_i = (linear terms: verifier weight·r_i, constraint multipliers·c(z_i)) + g[N_i], where g is the
estimator's table for the objective's non-linear part and N_i the number of *other* counted samples
with the same answer.

Unextractable answers (None) follow one of :data:`UNEXTRACTABLE_POLICIES`:

* ``own-class``: None is one more answer class (counted; Nones agree with each other).
* ``exclude``: Nones are left out of the counts; the k counted samples use the table for groups of k;
  a None sample's estimated term is the mean of the counted samples' (zero advantage from it under a
  group-mean baseline) and its linear terms apply as usual.
* ``penalty``: counts as in ``exclude``; a None sample's whole reward is the fixed ``penalty``.

When fewer than 2 samples are counted (e.g. all answers None under ``exclude``) no count carries
information: the estimated term is 0 for the whole group and the group is reported as degenerate. The
same holds when fewer than d + 1 are counted for a polynomial part of degree d (e.g. ``tsallis:3``, d = 2):
no unbiased table exists for so few samples (SPEC §3.3). A full group of K ≤ d is refused.

``baseline_loo`` (SPEC §3.8) is, for sample i, the mean over j ≠ i of the reward sample j gets under the
same rule in the group with sample i deleted (tables for K−1). It is a function of the other samples
only, so it is independent of y_i and the baseline is exactly unbiased. For K = 2 the group without i
has one sample, which is degenerate: the baseline is then that sample's linear terms (0 without
verifier or constraints; ``penalty`` if it is None under ``penalty``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from alft.errors import AlftInputError
from alft.estimators import ESTIMATORS, MAX_K, Target, get_estimator, leave_one_out_counts
from alft.games.objectives import Objective

UNEXTRACTABLE_POLICIES = ("own-class", "exclude", "penalty")
_NONE_ID = -1  # label of unextractable answers in integer form
_CHUNK = 4_000_000  # elements per chunk of the leave-one-out baseline, to cap memory


@dataclass(frozen=True)
class GroupRewards:
    """Rewards of one group.

    Attributes:
        rewards: R_i per sample, finite float64, len K.
        estimated: the group-estimated part g[N_i] (already weighted), per sample.
        counts: N_i, the leave-one-out count among counted samples (−1 for samples not counted).
        n_distinct: distinct extractable answers in the group.
        n_unextractable: samples whose answer is None.
        degenerate: fewer than 2 (or degree + 1) counted samples (estimated term set to 0).
        baseline_loo: exactly unbiased leave-one-out baseline per sample (see module doc).
    """

    rewards: np.ndarray
    estimated: np.ndarray
    counts: np.ndarray
    n_distinct: int
    n_unextractable: int
    degenerate: bool
    baseline_loo: np.ndarray

    @property
    def advantages_loo(self) -> np.ndarray:
        """R_i − baseline_loo_i: RLOO-style advantages with no baseline bias."""
        return self.rewards - self.baseline_loo


@dataclass(frozen=True)
class BatchRewards:
    """Rewards of a flat batch of G groups of K consecutive completions.

    Attributes:
        rewards, estimated, counts, baseline_loo: flat arrays of length G·K (see :class:`GroupRewards`).
        K: group size.
        n_distinct, n_unextractable: per group, shape (G,).
        degenerate: per group, shape (G,); ``n_degenerate`` counts them.
    """

    rewards: np.ndarray
    estimated: np.ndarray
    counts: np.ndarray
    baseline_loo: np.ndarray
    K: int
    n_distinct: np.ndarray
    n_unextractable: np.ndarray
    degenerate: np.ndarray

    @property
    def n_degenerate(self) -> int:
        return int(self.degenerate.sum())

    def group(self, index: int) -> GroupRewards:
        """The :class:`GroupRewards` of group ``index``."""
        part = slice(index * self.K, (index + 1) * self.K)
        return GroupRewards(
            rewards=self.rewards[part], estimated=self.estimated[part], counts=self.counts[part],
            n_distinct=int(self.n_distinct[index]), n_unextractable=int(self.n_unextractable[index]),
            degenerate=bool(self.degenerate[index]), baseline_loo=self.baseline_loo[part],
        )


@lru_cache(maxsize=512)
def _table(estimator: str, K: int, target: Target, params: tuple[tuple[str, float], ...]) -> np.ndarray:
    """The estimator's table for groups of K (per-K tables are reused across calls, SPEC §3.8)."""
    return get_estimator(estimator, K, target=target, **dict(params)).table


def _check_answers(answers: Sequence[Any], field: str = "answers") -> list[str | None]:
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise AlftInputError(f"{field}: got {type(answers).__name__}, expected a sequence of strings or None")
    for i, a in enumerate(answers):
        if a is not None and not isinstance(a, str):
            raise AlftInputError(f"{field}[{i}]: got {a!r}, expected a canonical answer string or None")
    return list(answers)


def _check_scores(scores: Sequence[float] | None, n: int) -> np.ndarray | None:
    if scores is None:
        return None
    try:
        values = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise AlftInputError(f"verifier_scores: got {scores!r}, expected a sequence of finite numbers") from None
    if values.shape != (n,):
        raise AlftInputError(f"verifier_scores: got {values.size} scores, expected {n} (one per answer)")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise AlftInputError(f"verifier_scores[{bad[0]}]: got {values[bad[0]]!r}, expected a finite number")
    return values


def _check_options(objective: Objective, estimator: str, unextractable: str, penalty: float, params: dict | None):
    if not isinstance(objective, Objective):
        raise AlftInputError(f"objective: got {objective!r}, expected an alft.games.Objective")
    if estimator not in ESTIMATORS:
        raise AlftInputError(f"estimator: got {estimator!r}, expected one of {', '.join(ESTIMATORS)}")
    if unextractable not in UNEXTRACTABLE_POLICIES:
        raise AlftInputError(f"unextractable: got {unextractable!r}, expected one of {', '.join(UNEXTRACTABLE_POLICIES)}")
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float)) or not math.isfinite(penalty):
        raise AlftInputError(f"penalty: got {penalty!r}, expected a finite number")
    return tuple(sorted((params or {}).items()))


def _ids(answers: list[str | None]) -> np.ndarray:
    """Integer labels, −1 for None (labels are only compared within a group)."""
    index: dict[str, int] = {}
    return np.array([_NONE_ID if a is None else index.setdefault(a, len(index)) for a in answers], dtype=np.int64)


@dataclass(frozen=True)
class _Rule:
    """Everything but the data: which table, which policy."""

    estimator: str
    target: Target | None
    params: tuple[tuple[str, float], ...]
    policy: str
    penalty: float


def _least_counted(target: Target | None) -> int:
    """Fewest counted samples with an estimate: 2, or d + 1 for a polynomial part of degree d (SPEC §3.3)."""
    return 2 if target is None else max(2, target.degree + 1)


def _estimated_terms(ids: np.ndarray, rule: _Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimated term, leave-one-out counts, degenerate) for groups ``ids`` of shape (G, K)."""
    G, K = ids.shape
    is_none = ids == _NONE_ID
    if rule.policy == "own-class":
        labels, counted = ids, np.ones_like(is_none)
    else:
        # Nones get labels that match nothing (−1 − position), so they never add to a count.
        labels = np.where(is_none, -1 - np.arange(K)[None, :], ids)
        counted = ~is_none
    counts = np.where(counted, leave_one_out_counts(labels), -1) if K else np.zeros((G, 0), dtype=np.int64)
    k = counted.sum(axis=1)
    degenerate = k < _least_counted(rule.target)
    estimated = np.zeros((G, K))
    if rule.target is not None:
        for size in np.unique(k[~degenerate]):
            rows = k == size
            table = _table(rule.estimator, int(size), rule.target, rule.params)
            estimated[rows] = np.where(counted[rows], table[np.clip(counts[rows], 0, size - 1)], 0.0)
        if rule.policy != "own-class":
            # Excluded samples take the counted samples' mean: no advantage from a term they were not in.
            mean = np.where(k > 0, (estimated * counted).sum(axis=1) / np.maximum(k, 1), 0.0)
            estimated = np.where(is_none, mean[:, None], estimated)
            estimated[degenerate] = 0.0
    return estimated, counts, degenerate


def _rewards(ids: np.ndarray, linear: np.ndarray, rule: _Rule) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    estimated, counts, degenerate = _estimated_terms(ids, rule)
    rewards = linear + estimated
    if rule.policy == "penalty":
        rewards = np.where(ids == _NONE_ID, rule.penalty, rewards)
    return rewards, estimated, counts, degenerate


def _loo_baseline(ids: np.ndarray, linear: np.ndarray, rule: _Rule) -> np.ndarray:
    """Mean reward of the others in each group with sample i deleted (SPEC §3.8), chunked over groups."""
    G, K = ids.shape
    if K < 2:
        return np.zeros((G, K))
    others = np.array([[j for j in range(K) if j != i] for i in range(K)])  # (K, K−1)
    out = np.empty((G, K))
    step = max(1, _CHUNK // (K * K))
    for start in range(0, G, step):
        part = slice(start, min(G, start + step))
        reduced_ids = ids[part][:, others].reshape(-1, K - 1)
        reduced_linear = linear[part][:, others].reshape(-1, K - 1)
        rewards = _rewards(reduced_ids, reduced_linear, rule)[0]
        out[part] = rewards.mean(axis=1).reshape(-1, K)
    return out


def _check_finite(rewards: np.ndarray, baseline: np.ndarray, linear: np.ndarray, objective: Objective) -> None:
    """Tables are finite, so only float64 overflow (huge weights × scores) can make a reward non-finite:
    refuse it, naming where it came from, rather than hand a trainer inf or NaN."""
    bad = np.flatnonzero(~(np.isfinite(rewards) & np.isfinite(baseline)).ravel())
    if not bad.size:
        return
    i = int(bad[0])
    source = "verifier_scores" if objective.uses_verifier else "objective"
    if np.isfinite(linear.ravel()[i]):
        source = "objective"
    raise AlftInputError(
        f"{source}: the reward of sample {i} overflows float64 under {objective.name!r} (linear part "
        f"{float(linear.ravel()[i])!r}); expected weights × verifier scores × constraint values well below 1e308"
    )


def group_rewards(
    answers: Sequence[str | None],
    objective: Objective,
    estimator: str = "aqp",
    *,
    verifier_scores: Sequence[float] | None = None,
    unextractable: str = "own-class",
    penalty: float = -1.0,
    estimator_params: dict | None = None,
) -> GroupRewards:
    """Per-sample rewards for one group of K answers (see the module doc for None handling).

    Args:
        answers: canonical answer strings, None where no answer could be extracted; 2 ≤ K ≤ 256
            (K = 1 is accepted: a single sample is degenerate and gets only its linear terms).
        objective: what to reward (e.g. ``coherence()``, ``0.5*coherence() + verifier()``).
        estimator: table name for the objective's non-linear part (``aqp``, ``digamma``, ``plugin``, ...).
        verifier_scores: one finite score per answer; required when the objective has a verifier term.
        unextractable: ``own-class``, ``exclude`` or ``penalty``.
        penalty: the whole reward of a None sample under ``penalty``.
        estimator_params: solver parameters (``kappa`` for ``aqp``, ...).

    Returns:
        :class:`GroupRewards` with finite rewards and the unbiased leave-one-out baseline.

    Raises:
        AlftInputError: empty group, non-string answers, wrong number of scores, a NaN/inf score
            (naming ``verifier_scores[i]``), unknown estimator or policy.
    """
    answers = _check_answers(answers)
    if not answers:
        raise AlftInputError("answers: got an empty group, expected at least one answer (None for unextractable)")
    batch = batch_group_rewards(
        answers, len(answers), objective, estimator, verifier_scores=verifier_scores,
        unextractable=unextractable, penalty=penalty, estimator_params=estimator_params,
    )
    return batch.group(0)


def batch_group_rewards(
    answers: Sequence[str | None],
    K: int,
    objective: Objective,
    estimator: str = "aqp",
    verifier_scores: Sequence[float] | None = None,
    *,
    unextractable: str = "own-class",
    penalty: float = -1.0,
    estimator_params: dict | None = None,
) -> BatchRewards:
    """Rewards for a flat batch of G·K completions in consecutive groups of K (TRL's layout, SPEC §6).

    Args:
        answers: G·K answers (None = unextractable).
        K: group size (``num_generations``), 1..256.
        objective, estimator, verifier_scores, unextractable, penalty, estimator_params: as in
            :func:`group_rewards`, scores aligned with ``answers``.

    Returns:
        :class:`BatchRewards` (flat arrays; ``group(i)`` gives one group).

    Raises:
        AlftInputError: len(answers) not a multiple of K, or any :func:`group_rewards` error.
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not 1 <= K <= MAX_K:
        raise AlftInputError(f"K: got {K!r}, expected an integer group size in 1..{MAX_K}")
    answers = _check_answers(answers)
    if len(answers) == 0 or len(answers) % K:
        raise AlftInputError(f"answers: got {len(answers)} answers, expected a positive multiple of K={K}")
    params = _check_options(objective, estimator, unextractable, penalty, estimator_params)
    scores = _check_scores(verifier_scores, len(answers))
    rule = _Rule(estimator, objective.target, params, unextractable, float(penalty))
    if K >= 2 and K < _least_counted(rule.target):
        _table(estimator, int(K), rule.target, params)  # raises the estimators' "degree ≥ K" error, naming target
    G = len(answers) // K
    ids = _ids(answers).reshape(G, K)
    linear = objective.linear_values(answers, scores).reshape(G, K)
    rewards, estimated, counts, degenerate = _rewards(ids, linear, rule)
    baseline = _loo_baseline(ids, linear, rule)
    is_none = ids == _NONE_ID
    n_distinct = np.array([len(set(row[row != _NONE_ID].tolist())) for row in ids])
    _check_finite(rewards, baseline, linear, objective)
    return BatchRewards(
        rewards=rewards.ravel(), estimated=estimated.ravel(), counts=counts.ravel(), baseline_loo=baseline.ravel(),
        K=int(K), n_distinct=n_distinct, n_unextractable=is_none.sum(axis=1), degenerate=degenerate,
    )
