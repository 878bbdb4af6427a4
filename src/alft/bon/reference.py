"""A discrete reference policy with rewards, grouped into reward levels (docs/concepts/best-of-n.md).

Best-of-n only sees rewards through their order, so every exact quantity is a sum over *levels*: the
distinct reward values, each with its reference mass q_j, its CDF F_j = P(r ≤ r_j) and F⁻_j = P(r < r_j).
Outputs of equal reward share a level and are broken uniformly, so they share one likelihood ratio.

The reference file format is one JSON object ``{"probs": [...], "rewards": [...]}``: π_ref(y) and r(y)
for every output y, in the same order (:func:`read_reference`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from alft.errors import AlftInputError, require

#: Default tolerance on |Σ probs − 1|: loose enough for probabilities written out in decimal JSON.
SUM_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Levels:
    """The reward levels of a reference, in increasing reward order.

    Attributes:
        rewards: the distinct rewards r_1 < … < r_L of outputs with positive reference mass.
        mass: q_j = π_ref mass of level j (all positive, summing to 1).
        log_cdf: log F_j, computed as log1p(−P(r > r_j)) near 1 so that 1 − F keeps full precision.
        log_below_ratio: log(F⁻_j / F_j) = log1p(−q_j / F_j) (−inf for the lowest level).
        cdf: F_j.
        cdf_below: F⁻_j = F_j − q_j.
        index: for every output of the reference, its level (−1 for outputs with zero mass).
    """

    rewards: np.ndarray
    mass: np.ndarray
    log_cdf: np.ndarray
    log_below_ratio: np.ndarray
    cdf: np.ndarray
    cdf_below: np.ndarray
    index: np.ndarray

    @property
    def top_mass(self) -> float:
        """Reference mass of the highest reward level (p_top under ties)."""
        return float(self.mass[-1])


def _levels(probs: np.ndarray, rewards: np.ndarray) -> Levels:
    positive = probs > 0
    distinct, inverse = np.unique(rewards[positive], return_inverse=True)
    # A single level can sum to 1 + ulp; masses are probabilities, so clip the rounding.
    mass = np.minimum(np.bincount(inverse, weights=probs[positive], minlength=distinct.size), 1.0)
    cdf = np.cumsum(mass)
    # P(r > r_j) summed from the top, so that log F_j near 1 does not lose the small complement.
    above = np.concatenate([np.cumsum(mass[::-1])[::-1][1:], [0.0]])
    with np.errstate(divide="ignore"):
        log_cdf = np.where(cdf < 0.5, np.log(cdf), np.log1p(-above))
        log_below_ratio = np.log1p(-np.minimum(mass / cdf, 1.0))
    log_below_ratio[0] = -np.inf  # F⁻ = 0 exactly for the lowest level
    index = np.full(probs.size, -1, dtype=np.int64)
    index[positive] = inverse
    return Levels(
        rewards=distinct,
        mass=mass,
        log_cdf=log_cdf,
        log_below_ratio=log_below_ratio,
        cdf=cdf,
        cdf_below=np.concatenate([[0.0], cdf[:-1]]),
        index=index,
    )


def _as_vector(values: object, field_name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AlftInputError(f"{field_name}: got {values!r:.80}, expected a list of numbers") from exc
    require(array.ndim == 1, field_name, f"an array of shape {array.shape}", "a flat list of numbers")
    require(array.size > 0, field_name, "an empty list", "a non-empty support (at least one outcome)")
    return array


def _require_all(ok: np.ndarray, array: np.ndarray, field_name: str, expected: str) -> None:
    """Raise naming the first offending entry of ``array`` unless ``ok`` holds everywhere."""
    bad = np.flatnonzero(~ok)
    if bad.size:
        raise AlftInputError(
            f"{field_name}: got {float(array[bad[0]])!r} at index {bad[0]} ({bad.size} bad entries), "
            f"expected {expected}"
        )


def _check_probs(probs: np.ndarray, tolerance: float) -> None:
    _require_all(np.isfinite(probs), probs, "probs", "finite probabilities (no NaN or inf)")
    _require_all(probs >= 0, probs, "probs", "non-negative probabilities")
    total = float(np.sum(probs))
    if abs(total - 1.0) > tolerance:
        raise AlftInputError(
            f"probs: sum to {total:.10g} (off by {total - 1.0:+.3g}), expected a sum of 1 within "
            f"{tolerance:g}; normalise them first"
        )


@dataclass(frozen=True)
class Reference:
    """A validated discrete reference π_ref over outputs, with a reward for every output.

    Build it with :meth:`from_arrays` (which validates); the reward levels are computed once.

    Attributes:
        probs: π_ref(y) for every output (non-negative, renormalised to sum exactly to 1).
        rewards: r(y) for every output (finite).
        levels: the reward levels (see :class:`Levels`).
    """

    probs: np.ndarray
    rewards: np.ndarray
    levels: Levels = field(repr=False)

    @classmethod
    def from_arrays(cls, probs: object, rewards: object, tolerance: float = SUM_TOLERANCE) -> Reference:
        """Validate and build a reference.

        Args:
            probs: reference probabilities, one per output; non-negative, finite, summing to 1 within
                ``tolerance`` (they are then renormalised exactly).
            rewards: one finite reward per output; equal rewards form a tie level.
            tolerance: accepted |Σ probs − 1|.

        Returns:
            The reference, with its levels.

        Raises:
            AlftInputError: naming ``probs`` or ``rewards`` and what was wrong.
        """
        p = _as_vector(probs, "probs")
        r = _as_vector(rewards, "rewards")
        require(p.size == r.size, "rewards", f"{r.size} rewards for {p.size} probabilities",
                "one reward per probability (lists of equal length)")
        _check_probs(p, tolerance)
        _require_all(np.isfinite(r), r, "rewards", "finite rewards (no NaN or inf)")
        p = p / p.sum()
        p.setflags(write=False)
        r = r.copy()
        r.setflags(write=False)
        return cls(probs=p, rewards=r, levels=_levels(p, r))

    @property
    def size(self) -> int:
        """Number of outputs in the support (including zero-mass ones)."""
        return int(self.probs.size)


#: The reference file format, as help texts and errors show it.
FILE_FORMAT = '{"probs": [...], "rewards": [...]}'


def read_reference(path: str | Path, field_name: str = "path") -> Reference:
    """Read and validate a reference file: one JSON object {"probs": [...], "rewards": [...]} (docs/concepts/best-of-n.md).

    Args:
        path: the JSON file.
        field_name: how the user gave the path (the CLI passes ``--input``), named in errors about the file.

    Returns:
        The reference, validated by :meth:`Reference.from_arrays`.

    Raises:
        AlftInputError: naming ``field_name`` if the file cannot be read, is not JSON or lacks a key, and
            ``probs`` or ``rewards`` if their values are wrong.
    """
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise AlftInputError(f"{field_name}: cannot read {str(path)!r} ({exc.strerror}), expected a JSON file") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:  # a binary file fails to decode before parsing
        raise AlftInputError(f"{field_name}: {str(path)!r} is not valid JSON ({exc}), expected {FILE_FORMAT}") from exc
    if not isinstance(data, dict) or not {"probs", "rewards"} <= data.keys():
        found = sorted(data) if isinstance(data, dict) else type(data).__name__
        raise AlftInputError(f'{field_name}: got {found!r}, expected a JSON object with keys "probs" and "rewards"')
    return Reference.from_arrays(data["probs"], data["rewards"])
