"""What a table estimates: the per-answer reward R(p) = c·log p + Σ_m a_m p^m (docs/concepts/game.md#bregman-targets).

Every target in docs/concepts/estimators.md is of this form: log p (coherence, KL), polynomials from Bregman generators
(squared Euclidean, Tsallis-α), and their mixture (``kl+l2``). The polynomial part always has an exact
U-statistic; only the log part needs a choice of estimator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Sequence

import numpy as np

from alft.errors import AlftInputError

TARGET_FORMS = "'log', 'l2', 'tsallis:ALPHA' (integer ALPHA ≥ 2), 'kl', 'kl+l2[:MU]', or 'poly:A0,A1,...'"


@dataclass(frozen=True)
class RewardForm:
    """R(p) = log_weight · log p + Σ_m poly[m] · p^m.

    Attributes:
        name: the spec it was parsed from (used in cache keys and reports).
        log_weight: coefficient of log p.
        poly: polynomial coefficients a_0, a_1, ... (trailing zeros removed).
    """

    name: str
    log_weight: float = 1.0
    poly: tuple[float, ...] = ()

    @property
    def degree(self) -> int:
        """Degree of the polynomial part (−1 when there is none)."""
        return len(self.poly) - 1

    @property
    def is_polynomial(self) -> bool:
        return self.log_weight == 0.0

    def value(self, p: np.ndarray) -> np.ndarray:
        """R(p) for p in (0, 1]."""
        p = np.asarray(p, dtype=float)
        out = np.polynomial.polynomial.polyval(p, self.poly) if self.poly else np.zeros_like(p)
        if self.log_weight:
            out = out + self.log_weight * np.log(p)
        return out


def _coefficient(value: object, m: int) -> float:
    field = f"target coefficient a_{m}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise AlftInputError(f"{field}: got {value!r}, expected a finite number")
    return _finite(float(value), field)


def _finite(value: float, field: str) -> float:
    if not math.isfinite(value):
        raise AlftInputError(f"{field}: got {value!r}, expected a finite number")
    return float(value)


def _trim(coefficients: Sequence[float]) -> tuple[float, ...]:
    coefficients = list(coefficients)
    while coefficients and coefficients[-1] == 0.0:
        coefficients.pop()
    return tuple(coefficients)


MAX_DEGREE = 255  # K ≤ 256 estimates degree ≤ 255 at most


def polynomial_target(coefficients: Sequence[float], name: str | None = None) -> RewardForm:
    """A polynomial target Σ_m a_m p^m from its coefficients a_0, a_1, ... (degree ≤ 255)."""
    if isinstance(coefficients, (str, bytes)) or not isinstance(coefficients, (Sequence, np.ndarray)):
        raise AlftInputError(f"target: got {coefficients!r}, expected one of {TARGET_FORMS} or a list of coefficients")
    if len(coefficients) > MAX_DEGREE + 1:
        raise AlftInputError(f"target: got {len(coefficients)} coefficients, expected at most {MAX_DEGREE + 1} (K ≤ 256)")
    coefficients = [_coefficient(c, m) for m, c in enumerate(coefficients)]
    poly = _trim(coefficients)
    return RewardForm(name=name or "poly:" + ",".join(repr(c) for c in coefficients), log_weight=0.0, poly=poly)


def parse_target(spec: str | Sequence[float] | RewardForm) -> RewardForm:
    """Parse a target spec: a :class:`RewardForm`, a list of polynomial coefficients, or a string.

    Strings: ``log`` (log p), ``kl`` (φ = u log u: 1 + log p), ``l2`` (φ = u²/2: p),
    ``tsallis:α`` (φ = (u^α − u)/(α(α−1)): (α p^{α−1} − 1)/(α(α−1)), integer α ≥ 2),
    ``kl+l2[:μ]`` (1 + log p + μ p, μ = 1 by default), ``poly:a0,a1,...``.
    """
    if isinstance(spec, RewardForm):
        return spec
    if not isinstance(spec, str):
        return polynomial_target(spec)
    head, _, arg = spec.strip().partition(":")
    if head == "log" and not arg:
        return RewardForm(name="log")
    if head == "kl" and not arg:
        return RewardForm(name="kl", log_weight=1.0, poly=(1.0,))
    if head == "l2" and not arg:
        return polynomial_target([0.0, 1.0], name="l2")
    if head == "tsallis" and arg:
        alpha = _number(arg, "target tsallis alpha")
        if alpha != int(alpha) or not 2 <= alpha <= MAX_DEGREE + 1:
            raise AlftInputError(
                f"target tsallis alpha: got {arg!r}, expected an integer in 2..{MAX_DEGREE + 1} (non-integer α "
                "gives a non-polynomial reward with no unbiased estimator; K ≤ 256 estimates degree ≤ 255)"
            )
        alpha = int(alpha)
        coefficients = [0.0] * alpha
        coefficients[0] = -1.0 / (alpha * (alpha - 1))
        coefficients[alpha - 1] += 1.0 / (alpha - 1)
        return polynomial_target(coefficients, name=f"tsallis:{alpha}")
    if head == "kl+l2":
        mu = _number(arg, "target kl+l2 mu") if arg else 1.0
        return RewardForm(name=f"kl+l2:{mu!r}", log_weight=1.0, poly=_trim([1.0, mu]))
    if head == "poly" and arg:
        return polynomial_target([_number(a, "target poly coefficient") for a in arg.split(",")])
    raise AlftInputError(f"target: got {spec!r}, expected one of {TARGET_FORMS}")


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise AlftInputError(f"{field}: got {text!r}, expected a number") from None
    return _finite(value, field)
