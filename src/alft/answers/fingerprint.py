"""Candidate keys: which answers math-verify could call equal, found without a pairwise call (docs/concepts/answers.md#equivalence).

math-verify stays the judge of equality; a key only says "these two may be equal, ask the judge". It must be
*necessary*: whenever ``math_verify.verify(a, b)`` holds, ``key(a).may_equal(key(b))``; then verifying only
pairs with matching keys gives the same classes as verifying all pairs (tested against all-pairs math-verify
on ``tests/answers/data/equivalence_corpus.json``). A coarse key only costs extra verifications.

The key of a parsed answer follows math-verify 0.9's comparison rules (``math_verify.grader.sympy_expr_eq``):

* **values**: a scalar expression is evaluated numerically, its free symbols set to fixed irrational-looking
  values derived from their names (a Schwartz–Zippel fingerprint: ``x+1`` and ``1+x``, ``2\\sqrt{3}`` and
  ``\\sqrt{12}`` evaluate alike; two different polynomials almost never do). Two keys match when some values
  agree to a relative 1e-4, far wider than math-verify's 6-decimal rounding. A percentage ``p\\%`` carries
  ``p/100`` and ``p`` (math-verify equates ``9\\%`` with ``9``); an equation carries its right-hand side's
  keys (math-verify compares ``x = 3`` with ``3`` by its last right-hand side).
* **shapes**: an interval is fingerprinted by its ends and which of them are open; a pair (a two-element tuple
  or set, or an open interval, which math-verify also reads as a pair) by its two elements;
* **sets and relations**: an inequality or equation in one variable carries the keys of its solution set, a
  linear equation in several a scale-free ratio of lhs − rhs at two points, any other relation matches every
  relation (see :func:`_relation_keys`); a set with no finer key (a union, …) matches every set, tuple and
  relation;
* **exact tags**: matrices share ``matrix``; tuples and sets of other lengths share their length; a symbol
  or a product of symbols carries its lower-cased name (``\\text{Paris}`` = ``paris``); the string math-verify
  extracted carries ``str`` (it compares extracted strings too); ±∞ carry their sign.
* **wildcard**: anything else (an unevaluable expression, a function, nan) may equal anything: it is verified
  against every answer of its group.

No sympy import at module level: the parent process of :mod:`alft.answers.judge` never loads it.
"""

from __future__ import annotations

import cmath
import hashlib
import itertools
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

RELATIVE_TOLERANCE = 1e-4
"""Two values match when |a − b| ≤ RELATIVE_TOLERANCE · max(1, |a|, |b|)."""


@dataclass(frozen=True)
class AnswerKey:
    """What decides whether two answers are candidates for a math-verify call.

    Attributes:
        tags: exact tags (equal tags = candidates).
        values: numeric fingerprints (close values = candidates).
        wildcard: a candidate of every answer.
        form: a digest of the parsed sympy objects' structure (``srepr``), ``None`` without any (or with nan /
            zoo, which math-verify refuses to compare). Equal forms are equal for math-verify (its first rule
            is structural equality), and its verdict on two answers depends on their forms and extracted
            strings only: verdicts are cached per pair of forms.
        texts: the strings math-verify extracted (math-verify also calls two answers equal when these match).
        relation: the answer is an equation or inequality, where math-verify's verdict depends on which side
            is the gold; other verdicts are symmetric.
        shapes: typed fingerprints of intervals and pairs, ``(kind, start + i·end)``: candidates when the kinds
            are equal and the values close (an interval's kind says which ends are open).
        is_set: a set, tuple or relation (a candidate of every *general* set).
        general_set: a set without a finer key (a union, …): a candidate of every ``is_set`` answer.
        general_relation: a relation without a finer key: a candidate of every relation.
        solution_form: for an inequality (or chain) between one symbol and numbers, the form of its solution
            set: as the gold, math-verify turns it into that set (``as_set()``) and then finds it structurally
            equal to an answer of that form, its first rule.
    """

    tags: frozenset = frozenset()
    values: tuple[complex, ...] = ()
    wildcard: bool = False
    form: str | None = None
    texts: frozenset = frozenset()
    relation: bool = False
    shapes: tuple[tuple[str, complex], ...] = ()
    is_set: bool = False
    general_set: bool = False
    general_relation: bool = False
    solution_form: str | None = None

    def may_equal(self, other: AnswerKey) -> bool:
        """True unless math-verify certainly says "not equal"."""
        if self.wildcard or other.wildcard or not self.tags.isdisjoint(other.tags):
            return True
        if (self.general_set and other.is_set) or (other.general_set and self.is_set):
            return True
        if (self.general_relation and other.relation) or (other.general_relation and self.relation):
            return True
        if any(k == l and _close(a, b) for k, a in self.shapes for l, b in other.shapes):
            return True
        return any(_close(a, b) for a in self.values for b in other.values)


UNPARSED = AnswerKey()
"""The key of an answer math-verify could not parse (or that exceeded the time bound): it matches nothing, so
only identical canonical strings are one answer (math-verify's own verdict on an empty parse is "not equal")."""


def _close(a: complex, b: complex) -> bool:
    return abs(a - b) <= RELATIVE_TOLERANCE * max(1.0, abs(a), abs(b))


def number_key(text: str, value: Fraction, spelling: str) -> AnswerKey:
    """The key of a plain number (``alft.answers.canonical.as_number``), computed without math-verify.

    Args:
        text: its canonical string.
        value: its value.
        spelling: how it is written for math-verify; its form is this spelling (one spelling, one parse).
    """
    return AnswerKey(frozenset({("str", text), ("str", spelling)}), (complex(float(value)),), form=f"number:{spelling}",
                     texts=frozenset({spelling}))


def _symbol_value(name: str) -> float:
    """A fixed value in (0.31, 1.31) per symbol name: the evaluation point of the fingerprint."""
    return 0.31 + (zlib.crc32(name.encode()) % 100_003) / 100_003 + 1e-7 * len(name)


def key_of(parsed: list[Any]) -> AnswerKey:
    """The key of a ``math_verify.parse`` result (a list of sympy objects and extracted strings).

    Args:
        parsed: what ``math_verify.parse`` returned; ``[]`` for an unparsable answer.

    Returns:
        An :class:`AnswerKey`; :data:`UNPARSED` for ``[]``.
    """
    import sympy
    from sympy.core.relational import Relational

    found = _Found()
    texts = frozenset(item.strip() for item in parsed if isinstance(item, str) and item.strip())
    objects = [item for item in parsed if not isinstance(item, str)]
    wildcard = False
    for item in objects:
        try:
            wildcard |= _expression_keys(item, found, depth=0)
        except Exception:  # noqa: BLE001 — an object this module does not understand may equal anything
            wildcard = True
    found.tags.update(("str", text) for text in texts)
    if not (found.tags or found.values or found.shapes or found.is_set or wildcard):
        return UNPARSED
    refused = any(item == sympy.nan or item == sympy.zoo for item in objects)
    form = _digest(objects) if objects and not refused else None
    relation = any(isinstance(item, (Relational, sympy.And, sympy.Or)) for item in objects)
    solution_form = found.solution_form if len(objects) == 1 else None
    return AnswerKey(frozenset(found.tags), tuple(found.values), wildcard, form, texts, relation, tuple(found.shapes),
                     found.is_set, found.general_set, found.general_relation, solution_form)


def _digest(objects: list[Any]) -> str:
    """A short digest of sympy objects' structure (``srepr``): equal digests, structurally equal objects."""
    import sympy

    return hashlib.sha1(sympy.srepr(objects).encode()).hexdigest()[:24]


@dataclass
class _Found:
    """What :func:`_expression_keys` collects."""

    tags: set = field(default_factory=set)
    values: list = field(default_factory=list)
    shapes: list = field(default_factory=list)
    is_set: bool = False
    general_set: bool = False
    general_relation: bool = False
    solution_form: str | None = None


_FAR = 1e15
"""Where ±∞ sit in an interval's fingerprint (any finite endpoint of an answer is far closer to 0)."""


def _expression_keys(expr: Any, found: _Found, depth: int) -> bool:
    """Add the keys of one sympy object to ``found``; True if it must be a wildcard."""
    import sympy
    from sympy.core.relational import Relational

    if depth > 4:
        return True
    if isinstance(expr, (sympy.MatrixBase, sympy.MatrixExpr)):
        found.tags.add(("matrix",))
        return False
    if isinstance(expr, (Relational, sympy.And, sympy.Or)):
        return _relation_keys(expr, found, depth)
    if isinstance(expr, sympy.Interval):
        found.is_set = True
        ends = [_endpoint(expr.start), _endpoint(expr.end)]
        if None in ends:
            found.general_set = True
            return False
        point = complex(ends[0].real, ends[1].real)
        found.shapes.append((f"interval{int(bool(expr.left_open))}{int(bool(expr.right_open))}", point))
        if expr.left_open and expr.right_open:  # math-verify reads (1, 2) also as the pair 1, 2
            found.shapes.append(("pair", point))
        return False
    if isinstance(expr, (sympy.FiniteSet, sympy.Tuple)):
        found.is_set = True
        elements = list(getattr(expr, "_unsorted_args", expr.args))
        if len(elements) == 1:  # math-verify compares a scalar with a set as the singleton {scalar}
            return _expression_keys(elements[0], found, depth + 1)
        pair = [_element_values(element, depth) for element in elements] if len(elements) == 2 else []
        if pair and all(pair):  # elements are compared as answers: each by its values (an equation by its rhs)
            for a, b in itertools.product(*pair):
                found.shapes.append(("pair", complex(a, b)))
                if isinstance(expr, sympy.FiniteSet):  # compared in either order
                    found.shapes.append(("pair", complex(b, a)))
        else:
            found.tags.add(("finite", len(elements)))
        return False
    if isinstance(expr, sympy.Set):
        found.is_set = found.general_set = True
        return False
    if not isinstance(expr, sympy.Basic):
        return True
    if expr in (sympy.oo, -sympy.oo):
        found.tags.add(("infinity", expr == sympy.oo))
        return False
    if isinstance(expr, sympy.Symbol):
        name = expr.name
        found.tags.add(("symbol", name.lower() if len(name) > 1 else name))
        if name.lower() == "e":  # math-verify equates a symbol e with Euler's number
            found.values.append(complex(cmath.e))
    elif isinstance(expr, sympy.Mul) and all(a == sympy.E or isinstance(a, sympy.Symbol) for a in expr.args):
        # math-verify reads a product of symbols as a word: a*b*c = \text{abc}
        found.tags.add(("symbol", "".join(a.name if isinstance(a, sympy.Symbol) else "e" for a in expr.args).lower()))
    percent = _percent_value(expr)
    if percent is not None:  # math-verify equates 9% with 9 and with 0.09
        found.values.extend(_values(percent))
    values = _values(expr)
    found.values.extend(values)
    return not values and not found.tags


def _relation_keys(expr: Any, found: _Found, depth: int) -> bool:
    """Keys of an equation, inequality or chain of them (math-verify: ``sympy_compare_relational``).

    math-verify calls two relations equal when their ``lhs − rhs`` agree (up to a flip), or when ``solve`` gives
    the same solutions; either way they have the same solution set. So a relation in one variable is keyed by
    its solution set (``as_set()``, as math-verify compares a relation with a set), a linear equation in several
    variables by the ratio (lhs − rhs)(p₁) / (lhs − rhs)(p₂) at two fixed points (the same for proportional
    equations, the only ones with the same solutions), and any other relation is a candidate of every relation.
    An equation also carries its right-hand sides' keys (math-verify compares ``x = 3`` with ``3`` that way).
    """
    import sympy

    found.is_set = True
    wildcard = False
    relations = _relations(expr)
    for relation in relations:
        if isinstance(relation, sympy.Eq):  # every Eq's rhs: coarser than "the last one", which needs
            wildcard |= _expression_keys(relation.rhs, found, depth + 1)  # latex2sympy's argument order
    from math_verify.grader import unwrap_fcs

    solutions = None
    try:
        unwrapped = unwrap_fcs(expr)  # as math-verify does before as_set(): f(x) becomes a symbol
        if len(unwrapped.free_symbols) == 1:
            solutions = _simple_solution_set(unwrapped)
            if solutions is not None and depth == 0 and not any(isinstance(r, sympy.Eq) for r in relations):
                found.solution_form = _digest([solutions])
            if solutions is None:
                solutions = unwrapped.as_set()  # solveset: slow, for what the simple reading cannot do
    except Exception:  # noqa: BLE001 — no solution set: keyed as a general relation below
        solutions = None
    if isinstance(solutions, (sympy.Interval, sympy.FiniteSet)):
        sub = _Found()
        if not _expression_keys(solutions, sub, depth + 1) and not sub.general_set:
            found.tags.update(sub.tags)
            found.values.extend(sub.values)
            found.shapes.extend(sub.shapes)
            return wildcard
    ratio = _linear_ratio(relations[0]) if len(relations) == 1 and isinstance(relations[0], sympy.Eq) else None
    if ratio is not None:
        found.shapes.append(("linear equation", ratio))
        return wildcard
    found.general_relation = True
    return wildcard


def _simple_solution_set(expr: Any) -> Any:
    """``expr.as_set()`` for a relation or chain of relations between one symbol and real numbers
    (``1 < x \\le 2``, ``x \\ge 2``, ``x = 3``), read directly (``as_set`` runs solveset and simplify: ≈ 5 ms
    each, and math-verify's comparison of such a relation with an interval ≈ 40 ms); None otherwise. The same
    set as ``as_set()`` (``tests/answers/test_fingerprint.py`` checks it on every form it reads)."""
    import sympy

    relations = _relations(expr)
    if isinstance(expr, sympy.Or) or not relations:
        return None
    result = sympy.S.Reals
    for relation in relations:
        lhs, rhs, kind = relation.lhs, relation.rhs, type(relation)
        if isinstance(rhs, sympy.Symbol) and not isinstance(lhs, sympy.Symbol):
            lhs, rhs, kind = rhs, lhs, {sympy.StrictLessThan: sympy.StrictGreaterThan, sympy.LessThan: sympy.GreaterThan,
                                        sympy.StrictGreaterThan: sympy.StrictLessThan, sympy.GreaterThan: sympy.LessThan,
                                        sympy.Eq: sympy.Eq}.get(kind)
        if not isinstance(lhs, sympy.Symbol) or not rhs.is_number or not rhs.is_real or kind is None:
            return None
        part = {sympy.StrictLessThan: lambda c: sympy.Interval.open(-sympy.oo, c),
                sympy.LessThan: lambda c: sympy.Interval(-sympy.oo, c),
                sympy.StrictGreaterThan: lambda c: sympy.Interval.open(c, sympy.oo),
                sympy.GreaterThan: lambda c: sympy.Interval(c, sympy.oo),
                sympy.Eq: lambda c: sympy.FiniteSet(c)}.get(kind)
        if part is None:
            return None
        result = sympy.Intersection(result, part(rhs))
    return result


def _linear_ratio(equation: Any) -> complex | None:
    """(lhs − rhs)(p₁) / (lhs − rhs)(p₂) for a linear equation, None otherwise."""
    import sympy

    difference = equation.lhs - equation.rhs
    symbols = sorted(difference.free_symbols, key=str)
    try:
        polynomial = sympy.Poly(difference, *symbols)
    except Exception:  # noqa: BLE001 — not a polynomial
        return None
    if not symbols or polynomial.total_degree() != 1:
        return None
    first = {s: _symbol_value(str(s)) for s in symbols}
    second = {s: 1.7 + _symbol_value(str(s)[::-1] + "#") for s in symbols}
    try:
        a, b = complex(difference.subs(first).evalf(30)), complex(difference.subs(second).evalf(30))
    except Exception:  # noqa: BLE001
        return None
    if abs(b) < 1e-9 or not (cmath.isfinite(a) and cmath.isfinite(b)):
        return None
    return a / b


def _element_values(element: Any, depth: int) -> list[float]:
    """The real values of a set's or tuple's element, [] when it has any other key (it then stays coarse)."""
    sub = _Found()
    if _expression_keys(element, sub, depth + 1) or sub.general_set or not sub.values:
        return []
    if any(tag[0] not in ("str", "symbol", "relation") for tag in sub.tags):
        return []
    if any(value.imag != 0 for value in sub.values):
        return []
    return [value.real for value in sub.values]


def _endpoint(value: Any) -> complex | None:
    """An interval end as a number (±∞ far out), or None."""
    import sympy

    if value == sympy.oo or value == -sympy.oo:
        return complex(_FAR if value == sympy.oo else -_FAR)
    values = _values(value)
    return values[0] if values else None


def _relations(expr: Any) -> list[Any]:
    """The relations of a relation or of an And/Or tree of them."""
    from sympy.core.relational import Relational

    if isinstance(expr, Relational):
        return [expr]
    return [r for arg in getattr(expr, "_unsorted_args", expr.args) for r in _relations(arg)]


def _percent_value(expr: Any) -> Any:
    import sympy

    if isinstance(expr, sympy.Mul) and len(expr.args) == 2 and expr.args[1] == sympy.UnevaluatedExpr(sympy.Rational(1, 100)):
        return expr.args[0]
    return None


def _values(expr: Any) -> list[complex]:
    """The numeric fingerprint of a scalar expression, or [] when it has no finite value."""
    import sympy

    try:
        # multi-letter names compare case-insensitively in math-verify (\text{Paris} = paris)
        point = {symbol: _symbol_value(str(symbol) if len(str(symbol)) == 1 else str(symbol).lower())
                 for symbol in expr.free_symbols}
        value = complex(sympy.sympify(expr).doit().subs(point).evalf(30))
    except Exception:  # noqa: BLE001 — an unevaluable expression just has no fingerprint (a wildcard)
        return []
    if not (cmath.isfinite(value)):
        return []
    return [value]
