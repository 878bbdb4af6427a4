"""torch's intra-op threads, set for a block: on a busy 2-core machine one thread runs sampling, warm-up and
GRPO faster than two whenever another process holds a core (not measured in benchmarks/results;
docs/concepts/builtin-task.md#running-on-cpu)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def torch_threads(num_threads: int | None) -> Iterator[None]:
    """Temporarily set torch's intra-op threads; ``None`` keeps the current setting."""
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def one_torch_thread() -> contextlib.AbstractContextManager[None]:
    """One intra-op thread on CPU (where it is the robust choice), unchanged on an accelerator."""
    return torch_threads(None if torch.cuda.is_available() else 1)
