"""Objectives F(p) of the answer distribution, their per-answer rewards ∂F/∂p and the term a group
estimates (docs/concepts/answer-level.md, docs/concepts/game.md#bregman-targets).

An :class:`Objective` is a frozen weighted sum of :class:`Term` values; ``0.5 * coherence() + verifier()``
composes like optax's ``chain``. Every non-linear term has a per-answer reward of the form
c·log p + Σ_m a_m p^m, so the whole group-estimated part of any objective is one
:class:`alft.estimators.RewardForm` and needs one table lookup per sample (docs/concepts/answer-level.md#count-tables).

Rewards drop additive constants (e.g. the "+1" of ∂(Σ p log p)/∂p): a constant per-answer reward moves
nothing because Σ_z ∇p_z = 0 (docs/concepts/answer-level.md#count-tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np
from scipy.special import xlogy

from alft.errors import AlftInputError, is_finite_number, require
from alft.estimators import RewardForm, parse_target



class AnswerValues(Protocol):
    """A named per-answer value c(z), e.g. a constraint's indicator (:mod:`alft.games.constraints`)."""

    name: str

    def values(self, answers: Sequence[str | None]) -> np.ndarray: ...

# Terms whose reward is estimated from the group, with their F (unit weight) and reward target.
_LOG = RewardForm(name="log", log_weight=1.0)
_NEG_LOG = RewardForm(name="-log", log_weight=-1.0)
_NAMED: dict[str, tuple[Callable[[np.ndarray], float], RewardForm]] = {
    "coherence": (lambda p: float(np.sum(xlogy(p, p))), _LOG),  # −H(p); reward log p
    "diversity": (lambda p: float(-np.sum(xlogy(p, p))), _NEG_LOG),  # H(p); reward −log p
    "gini": (lambda p: float(1.0 - np.sum(p**2)), RewardForm(name="gini", log_weight=0.0, poly=(0.0, -2.0))),
    "pairwise": (lambda p: float(np.sum(p**2)), RewardForm(name="pairwise", log_weight=0.0, poly=(0.0, 2.0))),
}
BREGMAN_GENERATORS = "'kl', 'l2', 'tsallis:ALPHA' (integer ALPHA ≥ 2) or 'kl+l2:MU'"


def scale_target(target: RewardForm, weight: float) -> RewardForm:
    """weight · R(p) as a RewardForm."""
    return RewardForm(
        name=f"{weight!r}*{target.name}",
        log_weight=weight * target.log_weight,
        poly=tuple(weight * a for a in target.poly),
    )


def add_targets(targets: Sequence[RewardForm]) -> RewardForm | None:
    """Σ R_t(p) as one RewardForm (None for an empty sum): one table serves a whole weighted sum."""
    if not targets:
        return None
    degree = max(len(t.poly) for t in targets)
    poly = np.zeros(degree)
    for t in targets:
        poly[: len(t.poly)] += t.poly
    while len(poly) and poly[-1] == 0.0:
        poly = poly[:-1]
    return RewardForm(
        name="+".join(t.name for t in targets),
        log_weight=float(sum(t.log_weight for t in targets)),
        poly=tuple(float(a) for a in poly),
    )


def _bregman_generator(kind: str) -> RewardForm:
    """φ′ for a Bregman generator name; refuses anything but the docs/concepts/game.md#bregman-targets family."""
    head = kind.partition(":")[0]
    if head not in ("kl", "l2", "tsallis", "kl+l2") or (head in ("kl", "l2") and ":" in kind):
        raise AlftInputError(f"generator: got {kind!r}, expected one of {BREGMAN_GENERATORS}")
    try:
        return parse_target(kind)
    except AlftInputError as error:
        raise AlftInputError(f"generator: {error}") from None


def _phi(derivative: RewardForm, p: np.ndarray) -> np.ndarray:
    """φ(u) with φ′ = derivative and φ(0) = 0: c(u log u − u) + Σ a_m u^{m+1}/(m+1) (docs/concepts/game.md#bregman-targets table)."""
    out = derivative.log_weight * (xlogy(p, p) - p)
    for m, a in enumerate(derivative.poly):
        out = out + a * p ** (m + 1) / (m + 1)
    return out


@dataclass(frozen=True)
class Term:
    """One weighted piece of an objective.

    Attributes:
        kind: ``coherence``, ``diversity``, ``gini``, ``pairwise``, ``verifier``, a Bregman generator
            (``kl``, ``l2``, ``tsallis:α``, ``kl+l2:μ``; F = −Σ φ(p_z)), or ``constraint`` (a linear term
            weight·E[c(z)] with c given by ``constraint``), or ``anchor`` (−KL(p ‖ p_ref) to the reference
            policy's answers: reward −log p(z) + log p_ref(z), docs/concepts/game.md#the-anchor).
        weight: the multiplier (for ``constraint``: the signed Lagrange multiplier, reward weight·c(z)).
        constraint: the per-answer values of a ``constraint`` term, else None.
    """

    kind: str
    weight: float
    constraint: AnswerValues | None = field(default=None, compare=True)

    @property
    def is_linear(self) -> bool:
        """Linear in p (reward known per answer, nothing to estimate)."""
        return self.kind in ("verifier", "constraint")

    @property
    def has_linear_part(self) -> bool:
        """Has a per-answer part known from data (verifier scores, constraint values, log p_ref)."""
        return self.is_linear or self.kind == "anchor"

    @property
    def target(self) -> RewardForm | None:
        """weight · (per-answer reward) for estimated terms, None for linear ones."""
        if self.is_linear:
            return None
        if self.kind in _NAMED:
            return scale_target(_NAMED[self.kind][1], self.weight)
        if self.kind == "anchor":
            return scale_target(_NEG_LOG, self.weight)  # −β log p; the +β log p_ref part is linear
        return scale_target(_bregman_generator(self.kind), -self.weight)  # F = −φ ⇒ reward −φ′

    def F(self, p: np.ndarray, linear_values: np.ndarray | None) -> float:
        if self.is_linear:
            return float(self.weight * np.dot(p, linear_values))
        if self.kind == "anchor":  # −β KL(p ‖ p_ref) = β (H(p) + Σ p log p_ref); linear_values = β log p_ref
            return float(-self.weight * np.sum(xlogy(p, p)) + np.dot(p, linear_values))
        if self.kind in _NAMED:
            return self.weight * _NAMED[self.kind][0](p)
        return float(-self.weight * np.sum(_phi(_bregman_generator(self.kind), p)))

    @property
    def label(self) -> str:
        name = self.constraint.name if self.constraint is not None else self.kind
        return name if self.weight == 1.0 else f"{self.weight:g}*{name}"


@dataclass(frozen=True)
class Objective:
    """F(p) = Σ_t weight_t · F_t(p): an answer-level objective (maximised).

    Attributes:
        terms: the weighted terms, at most one per kind (sums merge weights).
    """

    terms: tuple[Term, ...]

    # --- composition (optax-style: values in, values out) ------------------------------------------
    def __add__(self, other: "Objective") -> "Objective":
        if not isinstance(other, Objective):
            return NotImplemented
        return _merge(self.terms + other.terms)

    def __mul__(self, weight: float) -> "Objective":
        weight = _finite_weight(weight)
        return _merge(tuple(Term(t.kind, weight * t.weight, t.constraint) for t in self.terms))

    __rmul__ = __mul__

    def __neg__(self) -> "Objective":
        return self * -1.0

    def __sub__(self, other: "Objective") -> "Objective":
        return self + (-other)

    # --- what the game needs ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return "+".join(t.label for t in self.terms) or "zero"

    @property
    def target(self) -> RewardForm | None:
        """The group-estimated per-answer reward as one estimator target (None if all terms are linear)."""
        return add_targets([t.target for t in self.terms if t.target is not None])

    @property
    def uses_verifier(self) -> bool:
        return any(t.kind == "verifier" for t in self.terms)

    @property
    def constraints(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.kind == "constraint")

    def linear_values(self, answers: Sequence[str | None], scores: Sequence[float] | None,
                      reference_log_p: Sequence[float] | None = None) -> np.ndarray:
        """Σ of the per-answer rewards known from data (verifier weight·r(z), constraint multiplier·c(z),
        anchor weight·log p_ref(z)).

        Args:
            answers: answer labels (None = unextractable), one per entry.
            scores: verifier scores aligned with ``answers`` (required when the objective has a verifier term).
            reference_log_p: log p_ref(z) per entry, estimated from the reference answers (anchor terms).
        """
        out = np.zeros(len(answers))
        for term in self.terms:
            if term.kind == "verifier":
                if scores is None:
                    raise AlftInputError(f"verifier_scores: got None, expected scores for objective {self.name!r}")
                out += term.weight * np.asarray(scores, dtype=float)
            elif term.kind == "constraint":
                out += term.weight * term.constraint.values(answers)
            elif term.kind == "anchor":
                if reference_log_p is None:
                    raise AlftInputError(f"reference_answers: got None, expected reference answers for objective "
                                         f"{self.name!r} (its anchor needs log p_ref)")
                out += term.weight * np.asarray(reference_log_p, dtype=float)
        return out

    @property
    def uses_reference(self) -> bool:
        """True when the objective has an anchor to the reference policy's answers (docs/concepts/game.md#the-anchor)."""
        return any(t.kind == "anchor" for t in self.terms)

    @property
    def collapses(self) -> bool:
        """True when the optimum puts all mass on one answer (docs/concepts/game.md#closed-form-equilibria, docs/concepts/game.md#the-anchor): the net log p weight γ − β of
        the per-answer reward is ≥ 0 with some coherence, or the reward grows with p (pairwise coherence)."""
        target = self.target
        if target is None:
            return False
        has_coherence = any(t.kind == "coherence" and t.weight > 0 for t in self.terms)
        increasing = any(m * a > 0 for m, a in enumerate(target.poly)) and not any(
            m * a < 0 for m, a in enumerate(target.poly))
        return target.log_weight > 0 or (target.log_weight == 0 and (has_coherence or increasing))

    @property
    def anchor_weights(self) -> tuple[float, float]:
        """(γ, β): the coherence and anchor weights of an anchored game (docs/concepts/game.md#the-anchor)."""
        return (sum(t.weight for t in self.terms if t.kind == "coherence"),
                sum(t.weight for t in self.terms if t.kind == "anchor"))

    @property
    def sharpening(self) -> float | None:
        """s = β/(β − γ) of an anchored coherence game (p* ∝ p_ref^s, docs/concepts/game.md#the-anchor); None without an anchor."""
        gamma, beta = self.anchor_weights
        return beta / (beta - gamma) if beta > 0 and beta > gamma else None

    def F(self, p: np.ndarray, *, scores: Sequence[float] | None = None, answers: Sequence[str | None] | None = None,
          reference_log_p: Sequence[float] | None = None) -> float:
        """F(p) for an answer distribution p (vector over answers).

        Args:
            p: probabilities of the answers (non-negative; F is evaluated as given, not renormalised).
            scores: verifier score per answer, aligned with p (verifier terms only).
            answers: answer labels aligned with p (constraint terms only).
            reference_log_p: log p_ref per answer (anchor terms only).
        """
        p = np.asarray(p, dtype=float)
        linear = self._linear_for(p, scores, answers, reference_log_p)
        return float(sum(t.F(p, linear.get(t)) for t in self.terms))

    def reward(self, p: np.ndarray, *, scores: Sequence[float] | None = None, answers: Sequence[str | None] | None = None,
               reference_log_p: Sequence[float] | None = None) -> np.ndarray:
        """Per-answer reward ∂F/∂p (up to an additive constant), evaluated at q = p (docs/concepts/game.md#the-game)."""
        p = np.asarray(p, dtype=float)
        target = self.target
        out = target.value(p) if target is not None else np.zeros_like(p)
        if any(t.has_linear_part for t in self.terms):
            labels = answers if answers is not None else [None] * len(p)
            out = out + self.linear_values(labels, scores, reference_log_p)
        return out

    def _linear_for(self, p: np.ndarray, scores, answers, reference_log_p=None) -> dict[Term, np.ndarray]:
        labels = answers if answers is not None else [None] * len(p)
        unit = lambda t: Objective((Term(t.kind, 1.0, t.constraint),))  # noqa: E731
        return {t: unit(t).linear_values(labels, scores, reference_log_p) * (t.weight if t.kind == "anchor" else 1.0)
                for t in self.terms if t.has_linear_part}


def _finite_weight(weight: object) -> float:
    require(is_finite_number(weight), "weight", weight, "a finite number")
    return float(weight)  # type: ignore[arg-type]


def _merge(terms: tuple[Term, ...]) -> Objective:
    """Merge terms of the same kind (and constraint) by adding weights, keeping first-seen order."""
    merged: dict[tuple, Term] = {}
    for t in terms:
        key = (t.kind, t.constraint)
        if key in merged:
            merged[key] = Term(t.kind, merged[key].weight + t.weight, t.constraint)
        else:
            merged[key] = t
    return Objective(tuple(t for t in merged.values() if t.weight != 0.0))


def _single(kind: str, weight: float) -> Objective:
    return Objective((Term(kind, _finite_weight(weight)),))


def coherence(weight: float = 1.0) -> Objective:
    """F = −H(p) = Σ p log p (Coherence-GRPO, self-consistency); reward log p(z)."""
    return _single("coherence", weight)


def diversity(weight: float = 1.0) -> Objective:
    """F = H(p) (Diversity-GRPO, entropy); reward −log p(z)."""
    return _single("diversity", weight)


def gini_diversity(weight: float = 1.0) -> Objective:
    """F = 1 − Σ p² (Gini diversity); reward −2 p(z), exactly unbiased from a group (docs/concepts/estimators.md#u-statistics)."""
    return _single("gini", weight)


def pairwise_coherence(weight: float = 1.0) -> Objective:
    """F = Σ p² (collision probability); reward 2 p(z) = twice the fraction of the other K−1 samples
    that agree with z: exactly unbiased (docs/concepts/game.md#the-training-step)."""
    return _single("pairwise", weight)


def verifier(weight: float = 1.0) -> Objective:
    """F = Σ_z p(z) r(z) with verifier scores r; reward r(z) (linear, nothing to estimate)."""
    return _single("verifier", weight)


def bregman(generator: str = "kl", weight: float = 1.0) -> Objective:
    """F = −Σ_z φ(p_z) for a separable Bregman generator φ (docs/concepts/game.md#the-game, docs/concepts/game.md#bregman-targets); reward −φ′(p_z).

    Args:
        generator: ``kl`` (φ = u log u), ``l2`` (u²/2), ``tsallis:α`` (integer α ≥ 2) or ``kl+l2:μ``.
        weight: positive spreads the answer distribution (a generalised entropy), negative sharpens it.
    """
    _bregman_generator(generator)
    return _single(generator, weight)


def anchor(weight: float = 1.0) -> Objective:
    """F = −KL(p ‖ p_ref) to the reference policy's answers, as a reward (docs/concepts/game.md#the-anchor): −log p(z) + log p_ref(z),
    log p from the group's counts, log p_ref from M reference answers drawn once per prompt."""
    return _single("anchor", weight)


def sharpened(s: float, beta: float = 1.0) -> Objective:
    """The anchored coherence game whose optimum is p* ∝ p_ref^s (docs/concepts/game.md#the-anchor): γ·coherence + β·anchor with
    γ = β(1 − 1/s).

    Args:
        s: the sharpening exponent, 1 < s < ∞ (s = β/(β − γ); s → ∞ is the collapsing game).
        beta: β, the anchor's weight (sets the reward's scale only).
    """
    require(is_finite_number(s) and s > 1, "sharpening", s, "a finite exponent s > 1 (p* ∝ p_ref^s)")
    beta = _finite_weight(beta)
    if beta <= 0:
        raise AlftInputError(f"beta: got {beta!r}, expected a positive anchor weight")
    return coherence(beta * (1.0 - 1.0 / s)) + anchor(beta)


OBJECTIVES: dict[str, Callable[..., Objective]] = {
    "anchor": anchor,
    "coherence": coherence,
    "diversity": diversity,
    "gini": gini_diversity,
    "pairwise": pairwise_coherence,
    "verifier": verifier,
    "kl": lambda weight=1.0: bregman("kl", weight),
    "l2": lambda weight=1.0: bregman("l2", weight),
    "tsallis": lambda alpha=2, weight=1.0: bregman(f"tsallis:{alpha}", weight),
    "kl+l2": lambda mu=1.0, weight=1.0: bregman(f"kl+l2:{mu}", weight),
}
OBJECTIVE_FORMS = "a '+'-separated sum of [WEIGHT*]NAME with NAME in " + ", ".join(
    ["coherence", "diversity", "gini", "pairwise", "verifier", "anchor", "sharpened:S", "kl", "l2", "tsallis:ALPHA",
     "kl+l2:MU"]
)
_TERM = re.compile(r"^\s*(?:([-+]?[0-9.eE+-]+)\s*\*\s*)?([a-z0-9+:.]+?)\s*$")


def _parse_weight(text: str, piece: str, spec: str) -> float:
    """The WEIGHT of a WEIGHT*NAME piece; the pattern admits strings like '1..2' that are not numbers."""
    try:
        return float(text)
    except ValueError:
        raise AlftInputError(f"objective: weight {text!r} of {piece.strip()!r} in {spec!r} is not a number; "
                             f"expected {OBJECTIVE_FORMS}") from None


def parse_objective(spec: str) -> Objective:
    """Parse ``"coherence+0.5*verifier"``-style specs (``-`` is written as a negative weight: ``-0.5*gini``).

    Raises:
        AlftInputError: naming the piece that could not be read and the accepted forms.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise AlftInputError(f"objective: got {spec!r}, expected {OBJECTIVE_FORMS}")
    # 'kl+l2' contains the separator: protect it before splitting on '+'.
    pieces = spec.replace("kl+l2", "kl&l2").split("+")
    total: Objective | None = None
    for piece in pieces:
        match = _TERM.match(piece.replace("kl&l2", "kl+l2"))
        if match is None:
            raise AlftInputError(f"objective: cannot read {piece!r} in {spec!r}; expected {OBJECTIVE_FORMS}")
        weight = _parse_weight(match.group(1), piece, spec) if match.group(1) else 1.0
        name, _, arg = match.group(2).partition(":")
        if name == "sharpened" and arg:  # the anchored game p* ∝ p_ref^S, weight β
            term = sharpened(_parse_weight(arg, piece, spec), weight)
            total = term if total is None else total + term
            continue
        if name not in OBJECTIVES or (arg and name not in ("tsallis", "kl+l2")):
            raise AlftInputError(f"objective: unknown term {match.group(2)!r} in {spec!r}; expected {OBJECTIVE_FORMS}")
        term = bregman(match.group(2), weight) if arg or name in ("kl", "l2", "tsallis", "kl+l2") else OBJECTIVES[name](weight=weight)
        total = term if total is None else total + term
    return total
