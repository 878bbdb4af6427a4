"""Candidate keys: which answers math-verify could call equal, found without a pairwise call (SPEC §6).

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
* **exact tags**: sets, intervals, tuples, inequalities and equations share the tag ``setlike`` (math-verify
  compares them with each other in several ways); a singleton set also carries its element's keys; matrices
  share ``matrix``; a symbol or a product of symbols carries its lower-cased name (``\\text{Paris}`` = ``paris``);
  the string math-verify extracted carries ``str`` (it compares extracted strings too); ±∞ carry their sign.
* **wildcard**: anything else (an unevaluable expression, a function, nan) may equal anything: it is verified
  against every answer of its group.

No sympy import at module level: the parent process of :mod:`alft.answers.judge` never loads it.
"""

from __future__ import annotations

import cmath
import zlib
from dataclasses import dataclass
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
    """

    tags: frozenset = frozenset()
    values: tuple[complex, ...] = ()
    wildcard: bool = False

    def may_equal(self, other: AnswerKey) -> bool:
        """True unless math-verify certainly says "not equal"."""
        if self.wildcard or other.wildcard or not self.tags.isdisjoint(other.tags):
            return True
        return any(_close(a, b) for a in self.values for b in other.values)


UNPARSED = AnswerKey()
"""The key of an answer math-verify could not parse (or that exceeded the time bound): it matches nothing, so
only identical canonical strings are one answer (math-verify's own verdict on an empty parse is "not equal")."""


def _close(a: complex, b: complex) -> bool:
    return abs(a - b) <= RELATIVE_TOLERANCE * max(1.0, abs(a), abs(b))


def number_key(text: str, value: Fraction) -> AnswerKey:
    """The key of a plain number (``alft.answers.canonical.as_number``), computed without math-verify."""
    return AnswerKey(frozenset({("str", text)}), (complex(float(value)),))


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
    tags: set = set()
    values: list[complex] = []
    wildcard = False
    for item in parsed:
        if isinstance(item, str):
            if item.strip():
                tags.add(("str", item.strip()))
            continue
        wildcard |= _expression_keys(item, tags, values, depth=0)
    if not tags and not values and not wildcard:
        return UNPARSED
    return AnswerKey(frozenset(tags), tuple(values), wildcard)


def _expression_keys(expr: Any, tags: set, values: list[complex], depth: int) -> bool:
    """Add the tags and values of one sympy object; True if it must be a wildcard."""
    import sympy
    from sympy.core.relational import Relational

    if depth > 4:
        return True
    if isinstance(expr, (sympy.MatrixBase, sympy.MatrixExpr)):
        tags.add(("matrix",))
        return False
    if isinstance(expr, (Relational, sympy.And, sympy.Or)):
        tags.add(("setlike",))
        # math-verify unwraps an equation (chain) to the right-hand side of its last relation: every Eq's rhs
        # is a candidate value (a coarser key than "the last one", which needs latex2sympy's argument order)
        wildcard = False
        for relation in _relations(expr):
            if isinstance(relation, sympy.Eq):
                wildcard |= _expression_keys(relation.rhs, tags, values, depth + 1)
        return wildcard
    if isinstance(expr, (sympy.Set, sympy.Tuple)):
        tags.add(("setlike",))
        elements = expr.args if isinstance(expr, (sympy.FiniteSet, sympy.Tuple)) else ()
        if len(elements) == 1:  # math-verify compares a scalar with a set as the singleton {scalar}
            return _expression_keys(elements[0], tags, values, depth + 1)
        return False
    if not isinstance(expr, sympy.Basic):
        return True
    if expr in (sympy.oo, -sympy.oo):
        tags.add(("infinity", expr == sympy.oo))
        return False
    if isinstance(expr, sympy.Symbol):
        name = expr.name
        tags.add(("symbol", name.lower() if len(name) > 1 else name))
        if name.lower() == "e":  # math-verify equates a symbol e with Euler's number
            values.append(complex(cmath.e))
    elif isinstance(expr, sympy.Mul) and all(a == sympy.E or isinstance(a, sympy.Symbol) for a in expr.args):
        # math-verify reads a product of symbols as a word: a*b*c = \text{abc}
        tags.add(("symbol", "".join(a.name if isinstance(a, sympy.Symbol) else "e" for a in expr.args).lower()))
    percent = _percent_value(expr)
    if percent is not None:  # math-verify equates 9% with 9 and with 0.09
        values.extend(_values(percent))
    found = _values(expr)
    values.extend(found)
    return not found and not tags


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
        point = {symbol: _symbol_value(str(symbol)) for symbol in expr.free_symbols}
        value = complex(sympy.sympify(expr).doit().subs(point).evalf(30))
    except Exception:  # noqa: BLE001 — an unevaluable expression just has no fingerprint (a wildcard)
        return []
    if not (cmath.isfinite(value)):
        return []
    return [value]
