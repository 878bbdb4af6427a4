"""Answer equivalence classes for a group of sampled answers (docs/concepts/answers.md#equivalence), with the cost reported.

Counting rewards need "which answers are the same": ``1/2``, ``0.5`` and ``\\frac{1}{2}`` are one answer.
math-verify decides that for mathematics but costs ≈ 2–8 ms a parse and 1–100 ms a verify (measured here), and
a batch repeats the same strings and pairs in every group and every step. The grouping here costs in proportion
to the *new* distinct answers:

1. canonicalise (:func:`alft.answers.canonical.canonicalize`) and merge identical strings — plain numbers are
   written one way, so equal numbers merge here, and two different plain numbers are different answers;
2. give every other distinct string a **candidate key** (:mod:`alft.answers.fingerprint`: a numeric
   fingerprint of the parsed expression plus a few tags), so that only answers whose keys match are ever
   verified; parsing runs in judge processes (:mod:`alft.answers.judge`), split over ``workers`` of them
   when a batch brings many new answers;
3. decide, within a group, each candidate pair not already joined (gold = the answer seen first), and join the
   pairs math-verify calls equal (union–find). Two answers that math-verify parsed to the same expression, or
   from which it extracted the same string, are equal by its own first rules, with no call; any other verdict
   depends only on the two parsed forms and is cached per pair of forms, so ``\\frac{1}{2}`` against
   ``\\dfrac12`` and ``1/2`` against ``\\tfrac{1}{2}`` are one verdict.

Classes are therefore **the union of all pairwise math-verify verdicts between a group's distinct canonical
strings** (math-verify's equality is neither symmetric nor transitive; the union closes it), the same
partition as verifying all pairs: a pair whose keys do not match is never equal, and a pair already joined adds
nothing. Exceptions, by design: two plain numbers are compared exactly (``0.333333`` ≠ ``1/3``, which
math-verify's 6-decimal rounding would join), and identical canonical strings are one answer even when
math-verify cannot parse them. ``tests/answers/test_equivalence_corpus.py`` checks the partition against
all-pairs math-verify on 519 answer strings and lists the 3 pairs where they differ, with the reason.

Caches shared by every grouper of the process, across groups and steps, each a bounded LRU
(:class:`alft.answers.cache.BoundedCache`): raw → canonical string (:data:`CANONICAL_CACHE_ENTRIES`), canonical
string → candidate key (:data:`KEY_CACHE_ENTRIES`), pair of parsed forms → verdict (:data:`VERDICT_CACHE_ENTRIES`);
each judge process also keeps its last parses (``alft.answers.judge.PARSE_CACHE_ENTRIES``).

Bad input: an answer longer than ``MAX_ANSWER_CHARS``, or whose parse, fingerprint or verification fails or
overruns ``timeout_seconds`` (a bound that works in any thread, see :mod:`alft.answers.judge`), falls back to
canonical-string equality for that answer or pair; each such fallback is counted and remembered, so a bad
answer costs its time bound once per process, not once per step.

Known behaviour (math-verify 0.9): ``2\\sqrt{3}`` and ``\\sqrt{12}`` are one class (verify simplifies);
``x+1`` and ``1+x`` are one class.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import MappingProxyType
from typing import TypeAlias

from alft.answers.cache import BoundedCache
from alft.answers.canonical import as_number, canonicalize
from alft.answers.extract import MAX_ANSWER_CHARS
from alft.answers.fingerprint import UNPARSED, AnswerKey, number_key
from alft.errors import require

AnswerGrouper: TypeAlias = Callable[[Sequence["str | None"]], Sequence["int | None"]]
"""Any callable mapping a group's answers to class ids (equal id = same answer, ``None`` stays ``None``)."""

CANONICAL_CACHE_ENTRIES = 65_536
"""Raw answer → canonical string entries kept (8.5 MB when full of ~15-character answers, measured)."""
KEY_CACHE_ENTRIES = 65_536
"""Canonical string → candidate key entries kept (22 MB full, measured)."""
VERDICT_CACHE_ENTRIES = 262_144
"""(gold form, target form) → math-verify verdict entries kept (37 MB full, measured; ≈ 67 MB for the three caches,
``tests/answers/test_equivalence_scale.py`` drives them through 10 000 steps of fresh answers)."""

CANONICAL_CACHE = BoundedCache(CANONICAL_CACHE_ENTRIES)
KEY_CACHE = BoundedCache(KEY_CACHE_ENTRIES)
VERDICT_CACHE = BoundedCache(VERDICT_CACHE_ENTRIES)


_WORDS_RE = re.compile(r"[A-Za-z]{3,}(?: [A-Za-z]+)*")


def judge_spelling(canonical: str) -> str:
    """How a canonical string is written for math-verify, so that it sees what the model wrote.

    Canonicalising loses two things math-verify reads: a decimal's being a decimal (``0.707107`` becomes
    ``707107/1000000``, and math-verify rounds decimals to 6 places but compares fractions exactly), and a
    word's ``\\text{}`` wrapper (``\\text{Evelyn}`` becomes ``Evelyn``, which math-verify would read as the product
    E·v·e·l·y·n). So a plain number with a terminating decimal expansion is written as that decimal, and a word
    of three letters or more (or several words) is wrapped in ``\\text{}`` again.
    """
    value = as_number(canonical)
    if value is not None:
        return _decimal(value) or canonical
    if _WORDS_RE.fullmatch(canonical):
        return "\\text{" + canonical + "}"
    return canonical


def _decimal(value: Fraction) -> str | None:
    """``value`` as a finite decimal string, or None when its expansion does not terminate (1/3)."""
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return None
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10**places // value.denominator
    whole, fraction = divmod(scaled, 10**places)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}" if places == 0 else f"{sign}{whole}.{fraction:0{places}d}"


def clear_caches() -> None:
    """Empty the process-wide grouping caches and the judges' parse caches (benchmarks measure first sight so)."""
    from alft.answers.judge import JUDGES

    for cache in (CANONICAL_CACHE, KEY_CACHE, VERDICT_CACHE):
        cache.clear()
    JUDGES.clear()


@dataclass(frozen=True)
class EquivalenceStats:
    """What grouping cost, so a trainer can log "equivalence seconds per step" apart from the rest.

    Attributes:
        seconds: wall-clock time spent grouping.
        answers: answers that were not ``None``.
        distinct: distinct canonical strings among them (per group, summed).
        parses: answers sent to math-verify to be parsed and keyed (new to the key cache).
        verifies: math-verify ``verify`` calls (pairs new to the verdict cache).
        fallbacks: answers or pairs that were too long, failed or overran the time bound (string equality
            used instead).
        classes: equivalence classes found.
        cache_hits: keys and verdicts taken from the caches instead of math-verify.
        same_parse: pairs equal by math-verify's first rules with no call: the same parsed expression, or the
            same extracted string.
    """

    seconds: float = 0.0
    answers: int = 0
    distinct: int = 0
    parses: int = 0
    verifies: int = 0
    fallbacks: int = 0
    classes: int = 0
    cache_hits: int = 0
    same_parse: int = 0

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
    cache_hits: int = 0
    same_parse: int = 0
    keys: dict[str, AnswerKey] = field(default_factory=dict)  # this call's keys (the LRU may drop them)


def _canonical_forms(answers: set[str]) -> dict[str, str | None]:
    """raw → canonical for distinct raw answers, through the process-wide cache."""
    out = {}
    for answer in answers:
        canonical = CANONICAL_CACHE.get(answer, CANONICAL_CACHE)  # the cache itself marks "absent"
        if canonical is CANONICAL_CACHE:
            canonical = canonicalize(answer)
            CANONICAL_CACHE.put(answer, canonical)
        out[answer] = canonical
    return out


@dataclass(frozen=True)
class AnswerEquivalence:
    """Groups answers into equivalence classes (the default :data:`AnswerGrouper`).

    Calling an instance returns a list of class ids; :meth:`group` and :meth:`group_batch` also return
    the cost (:class:`EquivalenceStats`). The caches are process-wide (module level), not held here.

    Attributes:
        use_math_verify: if False, only the plain normaliser is used (canonical-string equality,
            exact plain numbers).
        timeout_seconds: the time bound of one parse or one verification, in any thread (> 0).
        workers: judge processes math-verify runs in (:mod:`alft.answers.judge`): 1 by default; more split a
            batch's new answers when there are enough of them; 0 runs math-verify in the calling thread (time
            bound in the main thread only).
    """

    use_math_verify: bool = True
    timeout_seconds: float = 5
    workers: int = 1

    def __post_init__(self) -> None:
        require(
            isinstance(self.timeout_seconds, (int, float)) and not isinstance(self.timeout_seconds, bool)
            and 0 < self.timeout_seconds < float("inf"),
            "timeout_seconds",
            self.timeout_seconds,
            "a number of seconds > 0",
        )
        require(isinstance(self.workers, int) and not isinstance(self.workers, bool) and self.workers >= 0,
                "workers", self.workers, "an integer ≥ 0 (0 = math-verify in the calling thread)")

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
        """Equivalence classes of several groups: new answers are parsed in one pass for the whole batch.

        Args:
            groups: one sequence of answers per prompt (GRPO group). Classes never span groups.

        Returns:
            A :class:`BatchGrouping`.
        """
        start = time.perf_counter()
        _require_sequence(groups, "groups")
        raw: set[str] = set()
        for g, group in enumerate(groups):
            _require_sequence(group, f"groups[{g}]")
            if not set(map(type, group)) <= _ANSWER_TYPES:  # one C-level pass in the common case
                for answer in group:
                    _checked(answer)
            raw.update(group)
        raw.discard(None)  # type: ignore[arg-type]
        canonical_of = _canonical_forms(raw)
        canonical_groups = [[None if a is None else canonical_of[a] for a in group] for group in groups]
        distinct_groups = [list(dict.fromkeys(a for a in group if a is not None)) for group in canonical_groups]
        counters = _Counters()
        if self.use_math_verify:
            self._find_keys(distinct_groups, counters)
        ids, answers, distinct, classes = [], 0, 0, 0
        for canonical, distinct_strings in zip(canonical_groups, distinct_groups):
            roots = self._classes(distinct_strings, counters) if self.use_math_verify and len(distinct_strings) > 1 \
                else list(range(len(distinct_strings)))
            position = {answer: i for i, answer in enumerate(distinct_strings)}
            first_seen: dict[int, int] = {}
            group_ids = tuple(None if a is None else first_seen.setdefault(roots[position[a]], len(first_seen))
                              for a in canonical)
            ids.append(group_ids)
            answers += sum(a is not None for a in canonical)
            distinct += len(distinct_strings)
            classes += len(first_seen)
        stats = EquivalenceStats(
            seconds=time.perf_counter() - start, answers=answers, distinct=distinct, parses=counters.parses,
            verifies=counters.verifies, fallbacks=counters.fallbacks, classes=classes, cache_hits=counters.cache_hits,
            same_parse=counters.same_parse,
        )
        return BatchGrouping(tuple(ids), stats)

    def _find_keys(self, distinct_groups: list[list[str]], counters: _Counters) -> None:
        """Candidate keys of every string that may need one: those of groups with two distinct answers, one of
        them not a plain number. New strings are keyed by the judges in one pass (docs/concepts/answers.md#equivalence)."""
        from alft.answers.judge import FAILED, JUDGES, KEY

        needed: dict[str, None] = {}
        for strings in distinct_groups:
            if len(strings) > 1 and any(as_number(s) is None for s in strings):
                needed.update(dict.fromkeys(strings))
        new = []
        for answer in needed:
            key = KEY_CACHE.get(answer)
            if key is not None:
                counters.cache_hits += 1
            elif (value := as_number(answer)) is not None:
                key = number_key(answer, value, judge_spelling(answer))
                KEY_CACHE.put(answer, key)
            elif len(answer) > MAX_ANSWER_CHARS:
                key = UNPARSED  # not an answer math-verify should spend time on: string equality only
                counters.fallbacks += 1
                KEY_CACHE.put(answer, key)
            else:
                new.append(answer)
                continue
            counters.keys[answer] = key
        results = JUDGES.run(KEY, [judge_spelling(answer) for answer in new], self.timeout_seconds, self.workers)
        counters.parses += len(new)
        for answer, key in zip(new, results):
            if key == FAILED:
                counters.fallbacks += 1
                key = UNPARSED
            KEY_CACHE.put(answer, key)
            counters.keys[answer] = key

    def _classes(self, distinct: list[str], counters: _Counters) -> list[int]:
        """Union–find over the verified candidate pairs of one group's distinct strings: a root per string."""
        parent = list(range(len(distinct)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        keys = [counters.keys.get(s) for s in distinct]
        if all(key is None for key in keys):  # plain numbers only: all different values
            return parent
        numbers = [as_number(s) is not None for s in distinct]
        for j in range(1, len(distinct)):
            for i in range(j):
                if numbers[i] and numbers[j]:
                    continue  # two different plain numbers: different values, no math-verify
                if root(i) == root(j) or not keys[i].may_equal(keys[j]):
                    continue
                if self._equal(distinct[i], distinct[j], keys[i], keys[j], counters):
                    parent[root(j)] = root(i)
        return [root(i) for i in range(len(distinct))]

    def _equal(self, gold: str, target: str, gold_key: AnswerKey, target_key: AnswerKey, counters: _Counters) -> bool:
        """math-verify's verdict on (gold, target), from its first rules, the cache or a judge.

        Two answers math-verify parsed to the same expression, or whose extracted strings match, are equal by
        its first rules, with no call. Otherwise the verdict depends only on the two parsed forms: it is cached
        per pair of forms, unordered unless one side is a relation, a set or a tuple (math-verify treats gold and
        target alike except there: it unwraps a gold equation, turns a gold inequality into a set, and orders a
        tuple against a set as the gold says)."""
        from alft.answers.judge import FAILED, JUDGES, VERIFY

        if (gold_key.form is not None and gold_key.form == target_key.form) or not gold_key.texts.isdisjoint(
                target_key.texts):
            counters.same_parse += 1
            return True
        if gold_key.solution_form is not None and gold_key.solution_form == target_key.form:
            counters.same_parse += 1  # an inequality as gold becomes its solution set, here the target itself
            return True
        if gold_key.form is None or target_key.form is None:
            return False  # nothing math-verify can compare beyond the extracted strings
        pair = (gold_key.form, target_key.form)
        ordered = gold_key.relation or target_key.relation or gold_key.is_set or target_key.is_set
        if not ordered and pair[1] < pair[0]:
            pair = (pair[1], pair[0])
        verdict = VERDICT_CACHE.get(pair)
        if verdict is not None:
            counters.cache_hits += 1
            return verdict
        spelled = (judge_spelling(gold), judge_spelling(target))
        (result,) = JUDGES.run(VERIFY, [spelled], self.timeout_seconds, min(self.workers, 1))
        counters.verifies += 1
        if result == FAILED:
            counters.fallbacks += 1
            result = False
        VERDICT_CACHE.put(pair, bool(result))
        return bool(result)


_ANSWER_TYPES = {str, type(None)}


def _checked(answer: object) -> str | None:
    require(answer is None or isinstance(answer, str), "answers[i]", answer, "a str or None")
    return answer  # type: ignore[return-value]


def _require_sequence(value: object, field_name: str) -> None:
    # a bare string is a sequence of characters, never a group of answers
    require(isinstance(value, Sequence) and not isinstance(value, (str, bytes)), field_name, value,
            "a list of answers (str or None)")


def group_equivalent(answers: Sequence[str | None], *, use_math_verify: bool = True) -> list[int | None]:
    """Class id per answer: equal ids for equivalent answers, ``None`` for ``None``/empty answers.

    Args:
        answers: extracted answers of one group.
        use_math_verify: False for the plain normaliser only.

    Returns:
        Ids 0, 1, … numbered by first appearance.
    """
    return AnswerEquivalence(use_math_verify=use_math_verify)(answers)


GROUPERS: Mapping[str, AnswerGrouper] = MappingProxyType(
    {
        "math": AnswerEquivalence(),
        "exact": AnswerEquivalence(use_math_verify=False),
    }
)
"""Named groupers: ``"math"`` (math-verify with the fast paths) and ``"exact"`` (plain normaliser only)."""


def get_grouper(grouper: str | AnswerGrouper) -> AnswerGrouper:
    """Resolve a grouper given by name (a key of :data:`GROUPERS`) or as a callable."""
    if callable(grouper):
        return grouper
    require(
        isinstance(grouper, str) and grouper in GROUPERS,
        "grouper",
        grouper,
        f"one of {sorted(GROUPERS)} or a callable (answers) -> class ids",
    )
    return GROUPERS[grouper]  # type: ignore[index]
