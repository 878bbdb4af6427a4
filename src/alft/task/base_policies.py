"""Where a preset's base policy is: the shipped weights (no torch needed to find them) or a warm-up.

This module imports nothing heavy; :mod:`alft.task.warmup` (torch, TRL) is imported only when a warm-up runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alft.errors import require
from alft.task.shipped import SHIPPED_DIR, SHIPPED_SEED, verify_checksums

BASE_POLICY_PRESETS = ("default", "tiny")
"""The presets with a built-in base policy: ``default`` ships, ``tiny`` warms up in seconds (tests)."""


@dataclass(frozen=True)
class BasePolicyPath:
    """Where a preset's base policy is.

    Attributes:
        path: a folder ``from_pretrained`` loads (model and tokenizer).
        cached: True when no warm-up ran now (shipped weights or a cached warm-up).
        seconds: warm-up time spent now (0 when cached).
    """

    path: Path
    cached: bool
    seconds: float


def base_policy_path(preset: str = "default", *, seed: int = SHIPPED_SEED, progress: bool = False) -> BasePolicyPath:
    """The base policy of a built-in preset: the shipped weights, or a warm-up (docs/concepts/builtin-task.md).

    Args:
        preset: ``"default"`` (shipped weights, verified against their checksums, when ``seed`` is the
            shipped seed) or ``"tiny"`` (a few-step warm-up on the fly, for tests).
        seed: the warm-up seed; any seed but :data:`SHIPPED_SEED` warms up the preset's recipe now (cached).
        progress: show the warm-up's progress bar, if one runs.

    Returns:
        A :class:`BasePolicyPath`.

    Raises:
        AlftInputError: an unknown preset, or shipped weights that fail their checksum.
    """
    require(preset in BASE_POLICY_PRESETS, "preset", preset, f"one of {', '.join(BASE_POLICY_PRESETS)}")
    if preset == "default" and seed == SHIPPED_SEED:
        return BasePolicyPath(verify_checksums(SHIPPED_DIR), True, 0.0)
    from alft.task.warmup import WarmupConfig, warm_up  # torch and TRL: only when a warm-up has to run

    config = WarmupConfig() if preset == "default" else WarmupConfig.tiny()
    result = warm_up(config, seed=seed, progress=progress)
    return BasePolicyPath(result.path, result.cached, 0.0 if result.cached else result.seconds)
