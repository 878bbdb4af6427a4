"""The built-in base policy ships with the package: the same weights on every machine (docs/concepts/builtin-task.md).

The warm-up is not reproducible across machines (docs/concepts/builtin-task.md: one recipe and seed gave greedy 0.766 on one
2-core machine and 0.660 on another), and it cost the first ``alft train`` minutes before GRPO started.
So the default preset's base policy is made once by the package's own recipe
(:func:`alft.task.warmup.rebuild_base_policy`, or ``python -m alft.task.warmup --rebuild``) and shipped
in ``alft/task/base_policy/`` with a ``SHA256SUMS`` file; every load verifies it and refuses a copy that
does not match. Other presets and seeds warm up on the fly (cached).

This module imports nothing heavy; the warm-up is imported only when one has to run.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from alft.errors import AlftInputError, require

SHIPPED_DIR = Path(__file__).resolve().with_name("base_policy")
"""Where the shipped base policy lives inside the installed package."""

CHECKSUMS = "SHA256SUMS"
"""The checksum file: one ``<sha256>  <file name>`` line per shipped file (``sha256sum`` format)."""

SHIPPED_SEED = 0
"""The warm-up seed the shipped weights were made with."""



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
