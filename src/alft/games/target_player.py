"""The Target player (docs/concepts/game.md#the-game, docs/concepts/game.md#the-training-step step 1): the distribution q over answers the policy's reward is
evaluated at, R_i = ∂F/∂p(z_i) at p = q.

Three variants, all pure (state in, state out):

* ``best-response``: q = the group's empirical answer frequencies (for KL, the maximum-likelihood fit;
  over the simplex the exact best response is q = p_π, and the counts are its estimate).
* ``running-average``: per prompt, counts accumulated across visits with a decay ρ per visit
  (ρ = 1: a plain average over all visits). Later visits see a q built from many more samples,
  so its plug-in bias falls, at the price of lagging a moving policy.
* ``smoothed``: additive (Laplace) smoothing, q(z) ∝ count(z) + α over the answers seen, plus α of mass
  reserved for unseen answers; it keeps log q finite for answers a group has not produced.

These are plug-in targets: R(q(z_i)) is biased (docs/concepts/estimators.md#plug-in). The count tables of
:func:`alft.games.group_rewards` are the bias-controlled alternative for a single group.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from alft.errors import AlftInputError
from alft.games.objectives import Objective

TARGET_PLAYERS = ("best-response", "running-average", "smoothed")
UNSEEN = "<unseen>"  # key of the reserved mass of the smoothed target


def _counts(answers: Sequence[str | None]) -> dict[str, float]:
    out: dict[str, float] = {}
    for i, a in enumerate(answers):
        if a is not None and not isinstance(a, str):
            raise AlftInputError(f"answers[{i}]: got {a!r}, expected a canonical answer string or None")
        if a is not None:
            out[a] = out.get(a, 0.0) + 1.0
    return out


def _normalise(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items()} if total > 0 else {}


def best_response(answers: Sequence[str | None]) -> dict[str, float]:
    """q(z) = share of the group's extractable answers equal to z ({} when none is extractable)."""
    return _normalise(_counts(answers))


def smoothed(answers: Sequence[str | None], alpha: float = 0.5) -> dict[str, float]:
    """q(z) = (count(z) + α) / (k + (m+1)α) over the m seen answers, with α/(k + (m+1)α) left on :data:`UNSEEN`."""
    if not (math.isfinite(alpha) and alpha > 0):
        raise AlftInputError(f"alpha: got {alpha!r}, expected a positive pseudo-count")
    counts = _counts(answers)
    return _normalise({**{a: c + alpha for a, c in counts.items()}, UNSEEN: alpha})


@dataclass(frozen=True)
class TargetState:
    """Per-prompt accumulated (decayed) answer counts of the running-average target."""

    counts: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    visits: Mapping[str, int] = field(default_factory=dict)


def running_average(state: TargetState, prompt: str, answers: Sequence[str | None], decay: float = 1.0) -> tuple[dict[str, float], TargetState]:
    """Fold this visit's answers into the prompt's running counts and return (q, new state).

    Args:
        state: the state from the previous call (``TargetState()`` to start).
        prompt: key of the prompt.
        answers: this visit's group.
        decay: ρ ∈ (0, 1]: past counts are multiplied by ρ before adding this visit's.
    """
    if not (math.isfinite(decay) and 0 < decay <= 1):
        raise AlftInputError(f"decay: got {decay!r}, expected a number in (0, 1]")
    past = state.counts.get(prompt, {})
    merged = {a: decay * c for a, c in past.items()}
    for a, c in _counts(answers).items():
        merged[a] = merged.get(a, 0.0) + c
    new = TargetState({**state.counts, prompt: merged}, {**state.visits, prompt: state.visits.get(prompt, 0) + 1})
    return _normalise(merged), new


@dataclass(frozen=True)
class TargetPlayer:
    """A named target-player variant.

    Attributes:
        kind: one of :data:`TARGET_PLAYERS`.
        alpha: pseudo-count of ``smoothed``.
        decay: per-visit decay of ``running-average``.
        floor: q values below it are raised to it before evaluating a log reward (keeps rewards finite).
    """

    kind: str = "best-response"
    alpha: float = 0.5
    decay: float = 1.0
    floor: float = 1e-6

    def __post_init__(self) -> None:
        if self.kind not in TARGET_PLAYERS:
            raise AlftInputError(f"kind: got {self.kind!r}, expected one of {', '.join(TARGET_PLAYERS)}")
        if not (math.isfinite(self.floor) and 0 < self.floor < 1):
            raise AlftInputError(f"floor: got {self.floor!r}, expected a number in (0, 1)")

    def respond(self, state: TargetState, prompt: str, answers: Sequence[str | None]) -> tuple[dict[str, float], TargetState]:
        """(q, new state) for one visit of ``prompt`` with the group ``answers``."""
        if self.kind == "running-average":
            return running_average(state, prompt, answers, self.decay)
        q = smoothed(answers, self.alpha) if self.kind == "smoothed" else best_response(answers)
        return q, state

    def rewards(self, q: Mapping[str, float], answers: Sequence[str | None], objective: Objective) -> np.ndarray:
        """The policy's estimated-term reward R(q(z_i)) per sample (0 for None answers).

        Args:
            q: a target from :meth:`respond`.
            answers: the group.
            objective: whose estimated reward R is used (linear terms are added by the caller).
        """
        target = objective.target
        if target is None:
            return np.zeros(len(answers))
        unseen = q.get(UNSEEN, 0.0)
        values = np.array([max(q.get(a, unseen), self.floor) if a is not None else 1.0 for a in answers])
        out = target.value(values)
        return np.where([a is None for a in answers], 0.0, out)
