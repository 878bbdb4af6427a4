"""The two pair sets BVPO trains on, checked before any work (issue 23, "Bad input").

* trace pairs D_t: (prompt, chosen, rejected) completions written with a trace, then the answer;
* empty-trace pairs D_e: the same prompts, completions that start at the answer (the trace forced empty).

Row i of both sets is the same prompt (the paper draws both from one prompt set; a mixed step then sees
both losses on the same prompts). An empty-trace completion must be an answer alone: it must match
``empty_pattern`` in full (default: the built-in task's integer answer).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alft.errors import require

BUILTIN_EMPTY_PATTERN = r"-?\d+"
"""An empty-trace completion of the built-in task: the integer answer and nothing else."""


@dataclass(frozen=True)
class PreferencePairs:
    """Preference pairs: prompt i prefers ``chosen[i]`` to ``rejected[i]``.

    Attributes:
        prompts, chosen, rejected: equal-length tuples of strings.
    """

    prompts: tuple[str, ...]
    chosen: tuple[str, ...]
    rejected: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("prompts", "chosen", "rejected"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        n = len(self.prompts)
        require(n >= 1, "pairs", n, "at least one pair")
        for name in ("chosen", "rejected"):
            require(len(getattr(self, name)) == n, name, len(getattr(self, name)), f"one per prompt ({n})")
        for name in ("prompts", "chosen", "rejected"):
            bad = next((i for i, s in enumerate(getattr(self, name)) if not isinstance(s, str) or not s), None)
            require(bad is None, f"{name}[{bad}]", None if bad is None else getattr(self, name)[bad], "a non-empty string")

    def __len__(self) -> int:
        return len(self.prompts)


@dataclass(frozen=True)
class PairSets:
    """Trace pairs and empty-trace pairs on the same prompts.

    Attributes:
        trace: D_t.
        empty: D_e; every completion an answer alone.
        empty_pattern: a regular expression each empty-trace completion must match in full.
    """

    trace: PreferencePairs
    empty: PreferencePairs
    empty_pattern: str = BUILTIN_EMPTY_PATTERN

    def __post_init__(self) -> None:
        check_pair_sets(self.trace, self.empty, self.empty_pattern)

    def __len__(self) -> int:
        return len(self.trace)

    def rows(self) -> dict[str, list[Any]]:
        """Columns for a ``datasets.Dataset``: prompt, chosen, rejected (trace pairs) and chosen_empty,
        rejected_empty (the empty-trace pairs of the same prompt)."""
        return {"prompt": list(self.trace.prompts), "chosen": list(self.trace.chosen),
                "rejected": list(self.trace.rejected), "chosen_empty": list(self.empty.chosen),
                "rejected_empty": list(self.empty.rejected)}


def check_pair_sets(trace: PreferencePairs, empty: PreferencePairs, empty_pattern: str = BUILTIN_EMPTY_PATTERN) -> None:
    """Refuse pair sets of unequal prompts and empty-trace completions that are not empty.

    Raises:
        AlftInputError: naming the first row that differs, or the first completion with a trace.
    """
    require(len(empty) == len(trace), "empty pairs", len(empty), f"one per trace pair ({len(trace)}), on the same prompts")
    differ = next((i for i, (a, b) in enumerate(zip(trace.prompts, empty.prompts)) if a != b), None)
    require(differ is None, f"empty pairs prompts[{differ}]", None if differ is None else empty.prompts[differ],
            f"the trace pairs' prompt {trace.prompts[differ] if differ is not None else ''!r} (same prompts, same order)")
    pattern = re.compile(empty_pattern)
    for name in ("chosen", "rejected"):
        values: Sequence[str] = getattr(empty, name)
        bad = next((i for i, s in enumerate(values) if not pattern.fullmatch(s)), None)
        require(bad is None, f"empty pairs {name}[{bad}]", None if bad is None else values[bad],
                f"an empty trace: the answer alone, matching {empty_pattern!r}")
