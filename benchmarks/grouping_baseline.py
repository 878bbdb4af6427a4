"""Today's grouping, kept verbatim for the grouping benchmark's ratio (issue 20): alft.answers.equivalence's
AnswerEquivalence at commit d65db5e, before the cross-step caches and candidate keys. Parse cache per batch,
verification of each new string against one representative per class, math-verify in the calling thread.

Not used by alft itself.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeAlias

from scipy.cluster.hierarchy import DisjointSet

from alft.answers.canonical import as_number, canonicalize
from alft.answers.extract import MAX_ANSWER_CHARS
from alft.errors import require

AnswerGrouper: TypeAlias = Callable[[Sequence["str | None"]], Sequence["int | None"]]
"""Any callable mapping a group's answers to class ids (equal id = same answer, ``None`` stays ``None``)."""

@dataclass(frozen=True)
class EquivalenceStats:
    """What grouping cost, so a trainer can log "equivalence seconds per step" apart from the rest.

    Attributes:
        seconds: wall-clock time spent grouping.
        answers: answers that were not ``None``.
        distinct: distinct canonical strings among them.
        parses: math-verify ``parse`` calls.
        verifies: math-verify ``verify`` calls.
        fallbacks: math-verify calls that raised or timed out (string equality used instead).
        classes: equivalence classes found.
    """

    seconds: float = 0.0
    answers: int = 0
    distinct: int = 0
    parses: int = 0
    verifies: int = 0
    fallbacks: int = 0
    classes: int = 0

    def __add__(self, other: EquivalenceStats) -> EquivalenceStats:
        return EquivalenceStats(
            *(getattr(self, name) + getattr(other, name) for name in self.__dataclass_fields__)
        )


@dataclass(frozen=True)
class Grouping:
    """Class ids for one group of answers, and what computing them cost.

    Attributes:
        class_ids: one id per answer, numbered 0, 1, … in order of first appearance; ``None`` where the
            answer was ``None`` or empty once canonicalised.
        stats: the cost.
    """

    class_ids: tuple[int | None, ...]
    stats: EquivalenceStats


@dataclass(frozen=True)
class BatchGrouping:
    """Class ids for several groups (ids are per group), and the total cost.

    Attributes:
        class_ids: one tuple of ids per group, as in :class:`Grouping`.
        stats: the summed cost of the whole batch.
    """

    class_ids: tuple[tuple[int | None, ...], ...]
    stats: EquivalenceStats


@dataclass
class _Counters:
    """Mutable tallies used while one call runs; frozen into :class:`EquivalenceStats` at the end."""

    parses: int = 0
    verifies: int = 0
    fallbacks: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)  # canonical string -> math-verify parse


@dataclass(frozen=True)
class AnswerEquivalence:
    """Groups answers into equivalence classes (the default :data:`AnswerGrouper`).

    Calling an instance returns a list of class ids; :meth:`group` and :meth:`group_batch` also return
    the cost (:class:`EquivalenceStats`).

    Attributes:
        use_math_verify: if False, only the plain normaliser is used (canonical-string equality,
            exact plain numbers).
        timeout_seconds: math-verify's per-call timeout in the main thread (a positive integer, since
            ``signal.alarm`` counts whole seconds); ignored outside the main thread.
    """

    use_math_verify: bool = True
    timeout_seconds: int = 5

    def __post_init__(self) -> None:
        require(
            isinstance(self.timeout_seconds, int) and self.timeout_seconds >= 1,
            "timeout_seconds",
            self.timeout_seconds,
            "an integer ≥ 1",
        )

    def __call__(self, answers: Sequence[str | None]) -> list[int | None]:
        return list(self.group(answers).class_ids)

    def group(self, answers: Sequence[str | None]) -> Grouping:
        """Equivalence classes of one group of answers.

        Args:
            answers: extracted answers (raw or canonical strings, or ``None``).

        Returns:
            A :class:`Grouping`.
        """
        _require_sequence(answers, "answers")
        batch = self.group_batch([answers])
        return Grouping(batch.class_ids[0], batch.stats)

    def group_batch(self, groups: Sequence[Sequence[str | None]]) -> BatchGrouping:
        """Equivalence classes of several groups, parsing each distinct string once for the whole batch.

        Args:
            groups: one sequence of answers per prompt (GRPO group). Classes never span groups.

        Returns:
            A :class:`BatchGrouping`.
        """
        start = time.perf_counter()
        counters = _Counters()
        ids, answers, distinct, classes = [], 0, 0, 0
        _require_sequence(groups, "groups")
        for g, group in enumerate(groups):
            _require_sequence(group, f"groups[{g}]")
            canonical = [canonicalize(_checked(answer)) for answer in group]
            group_ids = self._group_canonical(canonical, counters)
            ids.append(group_ids)
            answers += sum(answer is not None for answer in canonical)
            distinct += len({answer for answer in canonical if answer is not None})
            classes += len({i for i in group_ids if i is not None})
        stats = EquivalenceStats(
            seconds=time.perf_counter() - start,
            answers=answers,
            distinct=distinct,
            parses=counters.parses,
            verifies=counters.verifies,
            fallbacks=counters.fallbacks,
            classes=classes,
        )
        return BatchGrouping(tuple(ids), stats)

    def _group_canonical(self, canonical: list[str | None], counters: _Counters) -> tuple[int | None, ...]:
        """Union–find over the distinct canonical strings of one group; ids by first appearance."""
        distinct = list(dict.fromkeys(answer for answer in canonical if answer is not None))
        classes = DisjointSet(distinct)
        if self.use_math_verify:
            self._merge_with_math_verify(distinct, classes, counters)
        first_seen: dict[str, int] = {}
        ids: list[int | None] = []
        for answer in canonical:
            if answer is None:
                ids.append(None)
                continue
            root = classes[answer]
            ids.append(first_seen.setdefault(root, len(first_seen)))
        return tuple(ids)

    def _merge_with_math_verify(self, distinct: list[str], classes: DisjointSet, counters: _Counters) -> None:
        """Verify each distinct string against one representative per existing class (docs/concepts/answers.md#equivalence).

        Parsing is lazy: a group of plain numbers only (the built-in task) makes no math-verify call.
        """
        representatives: list[tuple[str, Fraction | None]] = []
        for answer in distinct:
            value = as_number(answer)
            # two plain numbers never need math-verify: different canonical strings are different values
            candidates = [rep for rep, rep_value in representatives if value is None or rep_value is None]
            if candidates and not self._parse(answer, counters):
                continue  # unparsable: string equality only, which the distinct list already encodes
            for representative in candidates:
                parsed_representative = self._parse(representative, counters)
                if not parsed_representative:
                    continue
                if self._verify(parsed_representative, self._parse(answer, counters), counters):
                    classes.merge(representative, answer)
                    break
            else:
                representatives.append((answer, value))

    def _timeout(self) -> int | None:
        # signal.alarm only works in the main thread; elsewhere math-verify raises unless timeouts are off.
        return self.timeout_seconds if threading.current_thread() is threading.main_thread() else None

    def _parse(self, answer: str, counters: _Counters) -> Any:
        if answer in counters.parsed:
            return counters.parsed[answer]
        if len(answer) > MAX_ANSWER_CHARS:
            return []  # not an answer math-verify should spend time on: string equality only
        import math_verify  # imported here: it loads sympy (≈1 s), which `import alft.answers` should not pay

        counters.parses += 1
        try:
            parsed = math_verify.parse(f"${answer}$", parsing_timeout=self._timeout(), raise_on_error=True)
        except Exception:  # noqa: BLE001 — any math-verify failure means "compare as a plain string"
            counters.fallbacks += 1
            parsed = []  # math-verify's own "nothing found" value
        counters.parsed[answer] = parsed
        return parsed

    def _verify(self, gold: Any, target: Any, counters: _Counters) -> bool:
        import math_verify

        counters.verifies += 1
        try:
            return bool(math_verify.verify(gold, target, timeout_seconds=self._timeout(), raise_on_error=True))
        except Exception:  # noqa: BLE001 — a failed comparison is "not shown equal"
            counters.fallbacks += 1
            return False


def _checked(answer: object) -> str | None:
    require(answer is None or isinstance(answer, str), "answers[i]", answer, "a str or None")
    return answer  # type: ignore[return-value]


def _require_sequence(value: object, field_name: str) -> None:
    # a bare string is a sequence of characters, never a group of answers
    require(isinstance(value, Sequence) and not isinstance(value, (str, bytes)), field_name, value,
            "a list of answers (str or None)")


