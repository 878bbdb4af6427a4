"""Distributional constraints for safety and fairness, solved as a Lagrangian game (docs/concepts/game.md#constraints).

A constraint bounds E_{z~p}[c(z)] (e.g. P(z ∈ unsafe) ≤ b). The policy's per-answer reward gains
−μ·c(z) for ``<=``, +μ·c(z) for ``>=`` and −μ·c(z) with a free-sign μ for ``==``; the multipliers move
by projected dual ascent once per batch, μ ← max(0, μ + η·(violation)). Linear constraints need no
estimator: the batch mean of c is unbiased.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Callable, Collection, Mapping, Sequence

import numpy as np

from alft.errors import AlftInputError
from alft.games.objectives import Objective, Term

KINDS = ("<=", ">=", "==")


@dataclass(frozen=True)
class Constraint:
    """E_{z~p}[c(z)] (kind) bound.

    Attributes:
        name: used in reports and logs.
        indicator: c(z) ∈ ℝ for an answer (None = unextractable), or a collection of answers (c = 1 on it).
        bound: b.
        kind: ``<=``, ``>=`` or ``==``.
    """

    name: str
    indicator: Callable[[str | None], float] | frozenset
    bound: float
    kind: str = "<="

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise AlftInputError(f"kind: got {self.kind!r}, expected one of {', '.join(KINDS)}")
        if isinstance(self.bound, bool) or not isinstance(self.bound, (int, float)) or not math.isfinite(self.bound):
            raise AlftInputError(f"bound: got {self.bound!r}, expected a finite number")
        if not callable(self.indicator):
            if isinstance(self.indicator, str) or not isinstance(self.indicator, Collection):
                raise AlftInputError(
                    f"indicator: got {self.indicator!r}, expected a function of the answer or a set of answers"
                )
            object.__setattr__(self, "indicator", frozenset(self.indicator))

    def values(self, answers: Sequence[str | None]) -> np.ndarray:
        """c(z) for each answer; refuses non-finite indicator values."""
        if isinstance(self.indicator, frozenset):
            return np.array([1.0 if a in self.indicator else 0.0 for a in answers])
        out = np.array([float(self.indicator(a)) for a in answers], dtype=float)
        bad = np.flatnonzero(~np.isfinite(out))
        if bad.size:
            raise AlftInputError(f"{self.name}: indicator({answers[bad[0]]!r}) = {out[bad[0]]!r}, expected a finite number")
        return out

    @property
    def reward_sign(self) -> float:
        """The sign of μ·c(z) in the policy's reward: + for ``>=``, − for ``<=`` and ``==`` (docs/concepts/game.md#constraints)."""
        return 1.0 if self.kind == ">=" else -1.0

    @property
    def spec(self) -> str:
        """``NAME:A|B<=BOUND`` for a set indicator (:func:`parse_constraint` reads it back)."""
        answers = "|".join(sorted(self.indicator)) if isinstance(self.indicator, frozenset) else "<function>"
        return f"{self.name}:{answers}{self.kind}{self.bound:g}"

    def violation(self, estimate: float) -> float:
        """The ascent direction for the multiplier: positive when the constraint is violated."""
        return (estimate - self.bound) if self.kind != ">=" else (self.bound - estimate)

    def satisfied(self, estimate: float, tolerance: float) -> bool:
        gap = estimate - self.bound
        return {"<=": gap <= tolerance, ">=": gap >= -tolerance, "==": abs(gap) <= tolerance}[self.kind]


@dataclass(frozen=True)
class DualState:
    """Lagrange multipliers of a set of constraints, updated by projected dual ascent (docs/concepts/game.md#constraints).

    Attributes:
        constraints: the constraints.
        multipliers: μ_j (≥ 0 for inequalities, any sign for ``==``).
        step: η, the dual step size.
    """

    constraints: tuple[Constraint, ...]
    multipliers: tuple[float, ...] = ()
    step: float = 0.1

    def __post_init__(self) -> None:
        if not self.multipliers:
            object.__setattr__(self, "multipliers", (0.0,) * len(self.constraints))
        if len(self.multipliers) != len(self.constraints):
            raise AlftInputError(
                f"multipliers: got {len(self.multipliers)}, expected one per constraint ({len(self.constraints)})"
            )
        if isinstance(self.step, bool) or not isinstance(self.step, (int, float)) or not (
            math.isfinite(self.step) and self.step > 0
        ):
            raise AlftInputError(f"step: got {self.step!r}, expected a positive finite dual step size")

    def estimate(self, answers: Sequence[str | None]) -> np.ndarray:
        """ĉ_j: the batch mean of each constraint's c over the answers of a batch."""
        if len(answers) == 0:
            raise AlftInputError("answers: got an empty batch, expected at least one answer to estimate constraints")
        return np.array([c.values(answers).mean() for c in self.constraints])

    def update(self, batch_estimates: Sequence[float] | Mapping[str, float]) -> "DualState":
        """One projected dual-ascent step; returns the new state (this one is unchanged).

        Args:
            batch_estimates: ĉ_j per constraint, in order or by constraint name (e.g. from :meth:`estimate`).
        """
        values = self._aligned(batch_estimates)
        new = []
        for constraint, mu, value in zip(self.constraints, self.multipliers, values):
            mu = mu + self.step * constraint.violation(value)
            new.append(mu if constraint.kind == "==" else max(0.0, mu))
        return replace(self, multipliers=tuple(new))

    def objective(self, base: Objective) -> Objective:
        """The Lagrangian objective base + Σ_j (signed μ_j)·E[c_j] for the current multipliers."""
        return constrained(base, self)

    def _aligned(self, estimates: Sequence[float] | Mapping[str, float]) -> list[float]:
        if isinstance(estimates, Mapping):
            missing = [c.name for c in self.constraints if c.name not in estimates]
            if missing:
                raise AlftInputError(f"batch_estimates: missing {missing[0]!r}, expected one value per constraint")
            values = [estimates[c.name] for c in self.constraints]
        else:
            values = list(estimates)
            if len(values) != len(self.constraints):
                raise AlftInputError(
                    f"batch_estimates: got {len(values)} values, expected {len(self.constraints)} (one per constraint)"
                )
        for i, v in enumerate(values):
            if not math.isfinite(float(v)):
                raise AlftInputError(f"batch_estimates[{i}]: got {v!r}, expected a finite number")
        return [float(v) for v in values]


def constrained(objective: Objective, state: DualState) -> Objective:
    """objective plus the Lagrangian terms of ``state``: per-answer reward −μ·c(z) (``<=``, ``==``) or +μ·c(z) (``>=``)."""
    terms = tuple(Term("constraint", c.reward_sign * mu, c) for c, mu in zip(state.constraints, state.multipliers))
    without = Objective(tuple(t for t in objective.terms if t.kind != "constraint"))
    return without + Objective(terms) if terms else without


_SPEC = re.compile(r"^\s*([^:]+):(.*?)(<=|>=|==)\s*([^<>=]+?)\s*$")
CONSTRAINT_FORM = "NAME:ANSWER|ANSWER…<=BOUND (or >=, ==), e.g. 'no-seven:7<=0.05'"


def parse_constraint(spec: Constraint | str) -> Constraint:
    """A :class:`Constraint` from its spec ``NAME:A|B<=BOUND`` (a Constraint passes through)."""
    if isinstance(spec, Constraint):
        return spec
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if match is None:
        raise AlftInputError(f"constraints: got {spec!r}, expected a Constraint or {CONSTRAINT_FORM}")
    name, answers, kind, bound = match.groups()
    try:
        value = float(bound)
    except ValueError:
        raise AlftInputError(f"constraints: bound {bound!r} in {spec!r} is not a number; expected {CONSTRAINT_FORM}") from None
    members = frozenset(a.strip() for a in answers.split("|") if a.strip())
    if not members:
        raise AlftInputError(f"constraints: {spec!r} names no answers; expected {CONSTRAINT_FORM}")
    return Constraint(name.strip(), members, value, kind)
