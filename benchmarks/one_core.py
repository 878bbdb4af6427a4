"""What the one-core speed benchmarks share: run this process on one core, so numpy and torch cannot spread."""

from __future__ import annotations

import os


def pin_to_one_core() -> int | None:
    """Run on one core (the last this process may use); its id, or None where the OS has no affinity call."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    core = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core
