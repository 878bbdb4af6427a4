"""Named reference distributions for ``alft bon`` and the benchmarks (docs/concepts/best-of-n.md)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alft.bon.reference import Reference
from alft.errors import AlftInputError


def _uniform(size: int) -> Reference:
    return Reference.from_arrays(np.full(size, 1.0 / size), np.arange(size, dtype=float))


def _zipf(size: int) -> Reference:
    # π_ref(k) ∝ 1/k and the rarest outputs are the best: a long tail that best-of-n mines.
    weights = 1.0 / np.arange(1, size + 1)
    return Reference.from_arrays(weights / weights.sum(), np.arange(size, dtype=float))


def _ties_demo() -> Reference:
    # Twelve outputs on four reward levels, like a graded verifier: the formula overstates KL here.
    probs = np.array([0.20, 0.15, 0.10, 0.10, 0.08, 0.08, 0.07, 0.06, 0.05, 0.05, 0.04, 0.02])
    rewards = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3], dtype=float)
    return Reference.from_arrays(probs, rewards)


def _verifier(correct_mass: float) -> Reference:
    # A pass/fail verifier: all correct outputs tie, so KL saturates at log(1/correct_mass).
    return Reference.from_arrays([1.0 - correct_mass, correct_mass], [0.0, 1.0])


#: name → (builder, one-line description shown in ``alft bon --help``).
BUILTIN: dict[str, tuple[Callable[[], Reference], str]] = {
    "uniform-100": (lambda: _uniform(100), "100 equally likely outputs, all rewards distinct"),
    "zipf-1000": (lambda: _zipf(1000), "1000 outputs, π_ref ∝ 1/k, the rarer the better"),
    "ties-demo": (_ties_demo, "12 outputs on 4 reward levels (ties broken uniformly)"),
    "verifier-0.2": (lambda: _verifier(0.2), "pass/fail reward, 20% of the mass passes"),
    "continuous-approx": (lambda: _uniform(100_000), "10⁵ equally likely distinct rewards ≈ continuous"),
}


def builtin_reference(name: str) -> Reference:
    """Build a named reference distribution.

    Args:
        name: one of :data:`BUILTIN`.

    Returns:
        The reference.

    Raises:
        AlftInputError: for an unknown name, listing the known ones.
    """
    if name not in BUILTIN:
        raise AlftInputError(f"dist: got {name!r}, expected one of {', '.join(BUILTIN)}")
    return BUILTIN[name][0]()
