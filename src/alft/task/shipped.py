"""The built-in base policy ships with the package: the same weights on every machine (SPEC §7).

The warm-up is not reproducible across machines (SPEC §7: one recipe and seed gave greedy 0.766 on one
2-core machine and 0.660 on another), and it cost the first ``alft train`` minutes before GRPO started.
So the default preset's base policy is made once by the package's own recipe
(:func:`alft.task.warmup.rebuild_base_policy`, or ``python -m alft.task.warmup --rebuild``) and shipped
in ``alft/task/base_policy/`` with a ``SHA256SUMS`` file; every load verifies it and refuses a copy that
does not match. Other presets and seeds warm up on the fly (cached).

This module imports nothing heavy; the warm-up is imported only when one has to run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from alft.errors import AlftInputError, require

SHIPPED_DIR = Path(__file__).resolve().with_name("base_policy")
"""Where the shipped base policy lives inside the installed package."""

CHECKSUMS = "SHA256SUMS"
"""The checksum file: one ``<sha256>  <file name>`` line per shipped file (``sha256sum`` format)."""

SHIPPED_SEED = 0
"""The warm-up seed the shipped weights were made with."""

PRESETS = ("default", "tiny")


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


def file_sha256(path: Path) -> str:
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksums(folder: str | Path) -> Path:
    """Record the sha256 of every file in ``folder`` (except the checksum file itself) in ``SHA256SUMS``."""
    folder = Path(folder)
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name != CHECKSUMS)
    lines = [f"{file_sha256(folder / name)}  {name}\n" for name in names]
    (folder / CHECKSUMS).write_text("".join(lines))
    return folder / CHECKSUMS


def verify_checksums(folder: str | Path = SHIPPED_DIR) -> Path:
    """Check every file listed in ``folder/SHA256SUMS`` against its recorded sha256.

    Args:
        folder: a base policy folder (default: the shipped one).

    Returns:
        The folder, as an absolute path.

    Raises:
        AlftInputError: when the checksum file or a listed file is missing, or a file's sha256 differs
            (a corrupted or modified copy: reinstall alft, or rebuild with
            ``python -m alft.task.warmup --rebuild``).
    """
    folder = Path(folder).resolve()
    checksums = folder / CHECKSUMS
    require(checksums.is_file(), "base_policy", str(folder), f"a folder with a {CHECKSUMS} file (reinstall alft)")
    lines = [line.split(maxsplit=1) for line in checksums.read_text().splitlines() if line.strip()]
    expected = {name: digest for digest, name in lines}
    require("model.safetensors" in expected, "base_policy", str(folder), f"{CHECKSUMS} listing model.safetensors")
    for name, digest in sorted(expected.items()):
        path = folder / name
        require(path.is_file(), f"base_policy/{name}", "missing", "the file listed in SHA256SUMS (reinstall alft)")
        actual = file_sha256(path)
        if actual != digest:
            raise AlftInputError(
                f"base_policy/{name}: got sha256 {actual}, expected {digest} as recorded in {checksums}; "
                "the shipped base policy is corrupted or modified: reinstall alft, or rebuild it with "
                "`python -m alft.task.warmup --rebuild`"
            )
    return folder


def base_policy_path(preset: str = "default", *, seed: int = SHIPPED_SEED, progress: bool = False) -> BasePolicyPath:
    """The base policy of a built-in preset: the shipped weights, or a warm-up (SPEC §7).

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
    require(preset in PRESETS, "preset", preset, f"one of {', '.join(PRESETS)}")
    if preset == "default" and seed == SHIPPED_SEED:
        return BasePolicyPath(verify_checksums(SHIPPED_DIR), True, 0.0)
    from alft.task.warmup import WarmupConfig, warm_up

    config = WarmupConfig() if preset == "default" else WarmupConfig.tiny()
    result = warm_up(config, seed=seed, progress=progress)
    return BasePolicyPath(result.path, result.cached, 0.0 if result.cached else result.seconds)
