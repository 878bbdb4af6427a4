"""Group rewards: a group's answers → one finite reward per sample (docs/concepts/game.md#the-training-step step 2, docs/concepts/answer-level.md#count-tables,
docs/concepts/estimators.md#grpo-caveats).

R_i = (linear terms: verifier weight·r_i, constraint multipliers·c(z_i), anchor weight·log p̂_ref(z_i))
+ g[N_i], where g is the estimator's table for the objective's non-linear part and N_i the number of
*other* counted samples with the same answer (docs/concepts/game.md#the-anchor for the anchor: log p̂_ref from the count of z_i
among the prompt's M reference answers, through the reward's reference table).

Unextractable answers (None) follow one of :data:`UNEXTRACTABLE_POLICIES`:

* ``lowest`` (the default): counts as in ``exclude``; a None sample's whole reward is the group's lowest
  answered reward minus 1, so an unanswered completion always scores strictly below every answered one
  and a policy cannot learn to stop answering [DESIGN]. A group with no answer gets its linear terms.
* ``own-class``: None is one more answer class (counted; Nones agree with each other).
* ``exclude``: Nones are left out of the counts; the k counted samples use the table for groups of k;
  a None sample's estimated term is the mean of the counted samples' (zero advantage from it under a
  group-mean baseline) and its linear terms apply as usual.
* ``penalty``: counts as in ``exclude``; a None sample's whole reward is the fixed ``penalty``.

When fewer than 2 samples are counted (e.g. all answers None under ``exclude``) no count carries
information: the estimated term is 0 for the whole group and the group is reported as degenerate. The
same holds when fewer than d + 1 are counted for a polynomial part of degree d (e.g. ``tsallis:3``, d = 2):
no unbiased table exists for so few samples (docs/concepts/estimators.md#u-statistics). A full group of K ≤ d is refused.

``baseline_loo`` (docs/concepts/estimators.md#grpo-caveats) is, for sample i, the mean over j ≠ i of the reward sample j gets under the
same rule in the group with sample i deleted (tables for K−1). It is a function of the other samples
only, so it is independent of y_i and the baseline is exactly unbiased. For K = 2 the group without i
has one sample, which is degenerate: the baseline is then that sample's linear terms (0 without
verifier or constraints; ``penalty`` if it is None under ``penalty``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from alft.answers.stats import UNANSWERED, distinct_answers, value_labels
from alft.errors import AlftInputError, require
from alft.estimators import leave_one_out_counts
from alft.estimators.counts import check_group_size
from alft.games.constraints import DualState, constrained
from alft.games.objectives import Objective
from alft.games.reward import UNANSWERED_MARGIN, Reward

_NONE_ID = UNANSWERED  # label of unextractable answers in integer form
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


def _check_answers(answers: Sequence[Any], field: str = "answers") -> list[str | None]:
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise AlftInputError(f"{field}: got {type(answers).__name__}, expected a sequence of strings or None")
    answers = list(answers)
    if not set(map(type, answers)) <= {str, type(None)}:  # one C-level pass; the loop only names the culprit
        for i, a in enumerate(answers):
            if a is not None and not isinstance(a, str):
                raise AlftInputError(f"{field}[{i}]: got {a!r}, expected a canonical answer string or None")
    return answers


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


def _checked_labels(labels: np.ndarray, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    require(labels.shape == (n,) and labels.dtype.kind == "i", "labels",
            f"{labels.dtype} array of shape {labels.shape}", f"{n} integer labels, one per answer")
    return labels


def _counted(ids: np.ndarray, reward: Reward) -> tuple[np.ndarray, np.ndarray]:
    """(labels for counting, counted mask): under ``own-class`` unanswered completions form one more answer."""
    is_none = ids == _NONE_ID
    if reward.unextractable == "own-class" and reward.peer is None:
        return ids, np.ones_like(is_none)
    K = ids.shape[1]
    # Nones get labels that match nothing (−1 − position), so they never add to a count.
    return np.where(is_none, -1 - np.arange(K)[None, :], ids), ~is_none


def _estimated_terms(ids: np.ndarray, reward: Reward) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimated term, leave-one-out counts, degenerate) for groups ``ids`` of shape (G, K)."""
    G, K = ids.shape
    labels, counted = _counted(ids, reward)
    counts = np.where(counted, leave_one_out_counts(labels), -1) if K else np.zeros((G, 0), dtype=np.int64)
    k = counted.sum(axis=1)
    degenerate = k < reward.least_counted
    estimated = np.zeros((G, K))
    if reward.peer is not None:
        # A peer scores every group of two or more as it is (its own rule for unanswered completions).
        degenerate = np.full(G, K < 2)
        if K >= 2:
            estimated = reward.peer.rewards(ids)
    elif reward.target is not None:
        for size in np.unique(k[~degenerate]):
            rows = k == size
            lookup = reward.estimator_for(int(size)).rewards(np.where(counted[rows], counts[rows], 0))
            estimated[rows] = np.where(counted[rows], lookup, 0.0)
        if reward.unextractable != "own-class":
            # Excluded samples take the counted samples' mean: no advantage from a term they were not in.
            mean = np.where(k > 0, (estimated * counted).sum(axis=1) / np.maximum(k, 1), 0.0)
            estimated = np.where(ids == _NONE_ID, mean[:, None], estimated)
            estimated[degenerate] = 0.0
    return estimated, counts, degenerate


def _rewards(ids: np.ndarray, linear: np.ndarray, reward: Reward) -> tuple[np.ndarray, ...]:
    estimated, counts, degenerate = _estimated_terms(ids, reward)
    rewards = linear + estimated
    unanswered = ids == _NONE_ID
    if reward.peer is not None:
        return rewards, estimated, counts, degenerate
    if reward.unextractable == "penalty":
        rewards = np.where(unanswered, reward.penalty, rewards)
    elif reward.unextractable == "lowest":
        # strictly below every answered completion of the group: not answering never wins
        lowest = np.where(unanswered, np.inf, rewards).min(axis=1, initial=np.inf)
        rewards = np.where(unanswered & np.isfinite(lowest)[:, None], lowest[:, None] - UNANSWERED_MARGIN, rewards)
    return rewards, estimated, counts, degenerate


def _loo_baseline(ids: np.ndarray, linear: np.ndarray, reward: Reward) -> np.ndarray:
    """Mean reward of the others in each group with sample i deleted (docs/concepts/estimators.md#grpo-caveats), chunked over groups."""
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
        rewards = _rewards(reduced_ids, reduced_linear, reward)[0]
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
    reward: Reward,
    *,
    verifier_scores: Sequence[float] | None = None,
    duals: DualState | None = None,
    reference_counts: Sequence[int] | None = None,
    reference_draws: int | None = None,
) -> GroupRewards:
    """Per-sample rewards for one group of K answers (see the module doc for None handling).

    Args:
        answers: canonical answer strings, None where no answer could be extracted; 1 ≤ K ≤ 256
            (K = 1 is accepted: a single sample is degenerate and gets only its linear terms).
        reward: what to reward and how (:class:`alft.games.Reward`, e.g. ``Reward(0.5*coherence() +
            verifier(), "aqp")``).
        verifier_scores: one finite score per answer; required when the objective has a verifier term.
        duals: the constraints' current multipliers (0 for every constraint of ``reward`` when None).
        reference_counts, reference_draws: anchored objectives only (:func:`batch_group_rewards`).

    Returns:
        :class:`GroupRewards` with finite rewards and the unbiased leave-one-out baseline.

    Raises:
        AlftInputError: empty group, non-string answers, wrong number of scores, a NaN/inf score
            (naming ``verifier_scores[i]``).
    """
    answers = _check_answers(answers)
    if not answers:
        raise AlftInputError("answers: got an empty group, expected at least one answer (None for unextractable)")
    batch = batch_group_rewards(answers, len(answers), reward, verifier_scores, duals=duals,
                                reference_counts=reference_counts, reference_draws=reference_draws)
    return batch.group(0)


def batch_group_rewards(
    answers: Sequence[str | None],
    K: int,
    reward: Reward,
    verifier_scores: Sequence[float] | None = None,
    *,
    duals: DualState | None = None,
    reference_counts: Sequence[int] | None = None,
    reference_draws: int | None = None,
    loo_baseline: bool = True,
    labels: np.ndarray | None = None,
) -> BatchRewards:
    """Rewards for a flat batch of G·K completions in consecutive groups of K (TRL's layout, docs/guides/trl.md).

    A pure function of its arguments: the same answers, K, reward and scores give the same rewards.

    Args:
        answers: G·K answers (None = unextractable).
        K: group size (``num_generations``), 1..256.
        reward, verifier_scores, duals: as in :func:`group_rewards`, scores aligned with ``answers``.
        reference_counts: for anchored objectives, C_ref(z_i) per answer: how many of its prompt's
            ``reference_draws`` = M reference answers are equivalent to it.
        loo_baseline: compute ``baseline_loo`` (about two thirds of the cost at K = 16); when False it is
            all zeros, for callers that use the group mean (verl's GRPO baseline, TRL).
        labels: the answers' G·K integer labels as :func:`alft.answers.stats.value_labels` gives them (equal
            within a group exactly for equal answers, −1 for None), when the caller has them already (the verl
            plugin labels its whole batch once); computed from ``answers`` when None.

    Returns:
        :class:`BatchRewards` (flat arrays; ``group(i)`` gives one group).

    Raises:
        AlftInputError: len(answers) not a multiple of K, or any :func:`group_rewards` error.
    """
    K = check_group_size(K, "K", minimum=1)
    require(isinstance(reward, Reward), "reward", reward, "an alft.games.Reward")
    answers = _check_answers(answers)
    if len(answers) == 0 or len(answers) % K:
        raise AlftInputError(f"answers: got {len(answers)} answers, expected a positive multiple of K={K}")
    scores = _check_scores(verifier_scores, len(answers))
    if K >= 2:  # every refusal that depends on K, once per K (a dictionary lookup afterwards)
        reward.prepare(K, "K")
    G = len(answers) // K
    ids = (value_labels(answers)[0] if labels is None else _checked_labels(labels, len(answers))).reshape(G, K)
    objective = _objective_now(reward, duals)
    reference_log_p = None
    if reward.uses_reference:
        require(reference_counts is not None and reference_draws is not None, "reference_counts", reference_counts,
                "the count of each answer among its prompt's M reference answers (anchored objective)")
        require(len(reference_counts) == len(answers), "reference_counts", len(reference_counts),
                f"one count per answer ({len(answers)})")
        reference_log_p = reward.reference_log_p(np.asarray(reference_counts, dtype=np.int64), reference_draws)
    linear = objective.linear_values(answers, scores, reference_log_p).reshape(G, K)
    rewards, estimated, counts, degenerate = _rewards(ids, linear, reward)
    baseline = _loo_baseline(ids, linear, reward) if loo_baseline else np.zeros_like(rewards)
    _check_finite(rewards, baseline, linear, objective)
    return BatchRewards(
        rewards=rewards.ravel(), estimated=estimated.ravel(), counts=counts.ravel(), baseline_loo=baseline.ravel(),
        K=K, n_distinct=distinct_answers(ids), n_unextractable=(ids == _NONE_ID).sum(axis=1), degenerate=degenerate,
    )


def _objective_now(reward: Reward, duals: DualState | None) -> Objective:
    """The objective with the constraints' current Lagrangian terms (a peer has no linear terms)."""
    if reward.peer is not None:
        return Objective(())
    if duals is None:
        duals = DualState(reward.constraints, step=reward.dual_step) if reward.constraints else None
    return constrained(reward.objective, duals) if duals is not None else reward.objective


@dataclass(frozen=True)
class PreflightGroup:
    """A made-up group of K answers ("0", "1", "0", …: two classes) and what the reward needs beside them.

    Attributes:
        answers: the K answers.
        gold_answers: "0" per completion when the reward has a verifier term, else None.
        reference_answers: the prompt's M = 2 reference answers "0" and "1" when the reward is anchored, else None.
    """

    answers: tuple[str, ...]
    gold_answers: tuple[str, ...] | None = None
    reference_answers: tuple[str, ...] | None = None

    @property
    def verifier_scores(self) -> np.ndarray | None:
        """1.0 where an answer equals its gold answer (None without gold answers)."""
        if self.gold_answers is None:
            return None
        return (np.array(self.answers) == np.array(self.gold_answers)).astype(float)

    @property
    def reference_counts(self) -> list[int] | None:
        """C_ref per answer among the reference answers (None when not anchored)."""
        return None if self.reference_answers is None else [self.reference_answers.count(a) for a in self.answers]


def preflight_group(reward: Reward, K: int) -> PreflightGroup:
    """The made-up group of K that :func:`preflight` scores, with gold and reference answers as ``reward`` needs."""
    answers = tuple(str(i % 2) for i in range(K))
    return PreflightGroup(answers, ("0",) * K if reward.uses_verifier else None,
                          ("0", "1") if reward.uses_reference else None)


def preflight(reward: Reward, K: int, score: Callable[[PreflightGroup], Sequence[float]] | None = None) -> None:
    """Score one made-up group of K now, so that bad settings fail before the first step, not mid-run.

    Args:
        reward: the reward to try.
        K: the group size it will train with.
        score: the integration's own scoring path (extraction, grouping, its adapter into
            :func:`batch_group_rewards`), so its errors name the keys its users set; None scores here.

    Raises:
        AlftInputError: what the scoring path refuses, or rewards that are not K finite numbers.
    """
    group = preflight_group(reward, K)
    rewards = np.asarray(_scored_here(group, reward) if score is None else score(group), dtype=float)
    if rewards.shape != (K,) or not np.all(np.isfinite(rewards)):
        raise AlftInputError(f"{reward.name}: a made-up group of K={K} got the rewards {rewards.tolist()[:8]}, "
                             f"expected {K} finite numbers")


def _scored_here(group: PreflightGroup, reward: Reward) -> np.ndarray:
    reward.prepare(len(group.answers), "K")
    draws = None if group.reference_answers is None else len(group.reference_answers)
    return batch_group_rewards(group.answers, len(group.answers), reward, group.verifier_scores, loo_baseline=False,
                               reference_counts=group.reference_counts, reference_draws=draws).rewards
