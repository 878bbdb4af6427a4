"""On-disk cache of solved tables (they depend only on estimator, K, target and parameters).

One JSON file per table under ``<user cache dir>/alft/tables/v<FORMAT>/``, written atomically
(temporary file + rename) under a file lock, verified on read (SHA-256 of the payload, shape, finiteness)
and recomputed when corrupt. When the directory cannot be written the cache falls back to memory with
a warning. ``ALFT_CACHE_DIR`` overrides the location.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
from filelock import FileLock, Timeout

from alft.paths import cache_root

FORMAT_VERSION = 2  # 2: AQP tables by the barrier solver, with their certificate (issue 15)
_memory: dict[str, dict[str, Any]] = {}


def cache_dir() -> Path:
    return cache_root() / "tables" / f"v{FORMAT_VERSION}"


def cache_key(name: str, K: int, params: dict[str, Any]) -> str:
    """A stable file-name-safe key of (estimator, K, parameters)."""
    blob = json.dumps({"name": name, "K": K, "params": params}, sort_keys=True)
    return f"{name}-K{K}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


def _checksum(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _valid(entry: Any, K: int) -> bool:
    try:
        payload = entry["payload"]
        table = np.asarray(payload["table"], dtype=float)
        return (
            entry["sha256"] == _checksum(payload)
            and table.shape == (K,)
            and bool(np.all(np.isfinite(table)))
        )
    except (KeyError, TypeError, ValueError):
        return False


def _read(path: Path, K: int) -> dict[str, Any] | None:
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return entry["payload"] if _valid(entry, K) else None


def _write(path: Path, payload: dict[str, Any]) -> None:
    entry = {"sha256": _checksum(payload), "payload": payload}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(entry, handle)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cached(name: str, K: int, params: dict[str, Any], compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Return the cached payload for (name, K, params), computing and storing it when missing or corrupt.

    Args:
        name, K, params: the key.
        compute: returns the payload, a JSON-able dict with at least ``table`` (K finite floats).
    """
    key = cache_key(name, K, params)
    if key in _memory:
        return _memory[key]
    path = cache_dir() / f"{key}.json"
    payload = _read(path, K) if path.exists() else None
    if payload is None:
        payload = _compute_and_store(path, K, compute)
    _memory[key] = payload
    return payload


def _compute_and_store(path: Path, K: int, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock", timeout=600)
        lock.acquire()
    except (OSError, Timeout) as error:
        warnings.warn(f"table cache {path.parent} is not writable ({error}); keeping tables in memory", stacklevel=3)
        return compute()
    try:
        # Another process may have written it while we waited for the lock.
        payload = _read(path, K) if path.exists() else None
        if payload is None:
            if path.exists():
                warnings.warn(f"table cache file {path} was corrupt; recomputing it", stacklevel=3)
            payload = compute()  # a solver's own errors propagate: they say nothing about the cache
            try:
                _write(path, payload)
            except OSError as error:
                warnings.warn(f"table cache {path.parent} is not writable ({error}); keeping tables in memory", stacklevel=3)
        return payload
    finally:
        lock.release()


def clear_memory() -> None:
    """Forget in-process copies (tests use it to force a disk read)."""
    _memory.clear()
