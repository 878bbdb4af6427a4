"""A bounded, thread-safe least-recently-used cache: the memory bound of the answer-equivalence caches (docs/concepts/answers.md#equivalence).

Grouping keeps three of these across groups and steps (``alft.answers.equivalence``): canonical forms, the
candidate keys of parsed answers and pairwise math-verify verdicts. Each holds at most ``max_entries``; the
least recently used entry is dropped first, so a run of 10 000 steps of fresh answers stays at the bound.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from alft.errors import require

_MISSING = object()


class BoundedCache:
    """A least-recently-used mapping holding at most ``max_entries`` items (TRL's threads, verl's workers may
    share it: every operation takes one lock).

    Attributes:
        max_entries: the bound.
        hits, misses: lookups answered from the cache, and not.
    """

    def __init__(self, max_entries: int) -> None:
        require(isinstance(max_entries, int) and max_entries >= 1, "max_entries", max_entries, "an integer ≥ 1")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        """The cached value (now the most recently used), or ``default``."""
        with self._lock:
            value = self._items.get(key, _MISSING)
            if value is _MISSING:
                self.misses += 1
                return default
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Store ``value``, dropping the least recently used entries beyond the bound."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0
