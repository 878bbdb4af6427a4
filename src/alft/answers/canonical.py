"""The plain normaliser: one canonical string per answer, and exact values for plain numbers.

This is the fallback equivalence (docs/concepts/answers.md#equivalence): answers with the same canonical string are the same answer.
It also gives the fast path of :mod:`alft.answers.equivalence`: integers, decimals and simple fractions are
compared as exact rationals, with no math-verify call.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction

from alft.errors import require

_WRAPPERS_RE = re.compile(r"^\\(?:boxed|text|textbf|mathrm|fbox)\{(.*)\}$", re.DOTALL)
_WHITESPACE_RE = re.compile(r"\s+")
_BRACE_RE = re.compile(r"[{}]")
_THOUSANDS_RE = re.compile(r"^[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3})+(?:\.[0-9]+)?$")  # "0,111" is a decimal comma
_DECIMAL_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_FRACTION_RE = re.compile(r"^([+-]?[0-9]+)/([0-9]+)$")
_LATEX_FRACTION_RE = re.compile(r"^([+-]?)\\[dt]?frac\{([0-9]+)\}\{([0-9]+)\}$")
_EQUALS_RE = re.compile(r"(?<![<>!=\\])=(?!=)")
_ARITHMETIC_RE = re.compile(r"^[0-9\s.,+\-*/×·÷()^=]+$")  # a calculation: numbers and operators only
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # one unknown: x, n, total
_UNIT_WORDS_RE = re.compile(r"^(\S+?)(?:\s+[A-Za-z]{2,})+$")
_MAX_UNWRAP = 8
CANONICAL_NUMBER = re.compile(r"-?[0-9]+(?:/[0-9]+)?")
"""``canonicalize``'s form of every plain number: two different ones are different values (math-verify adds
nothing), so the equivalence fast paths compare such answers as strings."""
_MAX_NUMBER_DIGITS = 100  # longer digit strings are left to string equality: exact rationals that big are slow


def _balanced(text: str) -> bool:
    """True if the braces of ``text`` pair up (no ``}`` closes a brace opened outside it)."""
    depth = 0
    for brace in _BRACE_RE.findall(text):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _strip_wrappers(answer: str) -> str:
    """Remove surrounding ``$…$``, ``\\(…\\)``, ``\\boxed{…}``, ``\\text{…}`` and a final full stop, repeatedly.

    At most :data:`_MAX_UNWRAP` layers, so a deeply nested adversarial string stays linear-time.
    """
    for _ in range(_MAX_UNWRAP):
        before = answer
        answer = answer.strip().rstrip(".").strip()
        if len(answer) >= 2 and answer[0] == answer[-1] == "$":
            answer = answer.strip("$")
        elif answer.startswith("\\(") and answer.endswith("\\)"):
            answer = answer[2:-2]
        elif (match := _WRAPPERS_RE.match(answer)) is not None and _balanced(match.group(1)):
            answer = match.group(1)  # only a true wrapper: "\\boxed{a}+\\boxed{b}" is left alone
        if answer == before:
            break
    return answer


def as_number(answer: str) -> Fraction | None:
    """The exact value of a plain number, or ``None`` when ``answer`` is not one.

    Plain numbers are integers (``-3``, ``1,000``), decimals (``2.50``, ``.5``) and simple fractions
    (``3/4``, ``\\frac{3}{4}``), each with an optional sign.

    Args:
        answer: a canonical answer string (see :func:`canonicalize`).

    Returns:
        The value as a :class:`fractions.Fraction`, or ``None``.
    """
    if len(answer) > _MAX_NUMBER_DIGITS:
        return None
    if _THOUSANDS_RE.match(answer):
        answer = answer.replace(",", "")
    if _DECIMAL_RE.match(answer):
        return Fraction(answer)
    if (match := _FRACTION_RE.match(answer)) is not None:
        numerator, denominator = int(match.group(1)), int(match.group(2))
        return None if denominator == 0 else Fraction(numerator, denominator)
    if (match := _LATEX_FRACTION_RE.match(answer)) is not None:
        sign, numerator, denominator = match.groups()
        return None if int(denominator) == 0 else Fraction(int(sign + numerator), int(denominator))
    return None


def _format_number(value: Fraction) -> str:
    """``5`` for integers, ``p/q`` in lowest terms otherwise."""
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def canonicalize(answer: str | None) -> str | None:
    """The canonical form of an extracted answer: equal canonical strings mean the same answer.

    Steps: unicode NFKC (fullwidth digits → ASCII), the minus sign U+2212 → ``-``; surrounding ``$``,
    ``\\boxed{}``, ``\\text{}`` and a final full stop removed; runs of whitespace collapsed to one space;
    plain numbers written one way (``5.0`` → ``5``, ``1,000`` → ``1000``, ``0.50`` and ``2/4`` → ``1/2``,
    ``+3`` → ``3``); a calculation or equation ending in a plain number is that number (``20 - 9 = 11`` →
    ``11``), and so is a plain number followed by words (``11 pencils`` → ``11``). Case is kept (``X`` and
    ``x`` differ in mathematics).

    Args:
        answer: an extracted answer, or ``None``.

    Returns:
        The canonical string, or ``None`` for ``None`` and for answers that are empty once normalised.
    """
    if answer is None:
        return None
    require(isinstance(answer, str), "answer", answer, "an answer string or None")
    text = unicodedata.normalize("NFKC", answer).replace("\u2212", "-")
    text = _WHITESPACE_RE.sub(" ", _strip_wrappers(text)).strip()
    if not text:
        return None
    text = _stated_number(text)
    value = as_number(text)
    return text if value is None else _format_number(value)


def _stated_number(text: str) -> str:
    """The plain number that an answer states, when it is one with words or a calculation around it.

    ``20 - 9 = 11`` and ``x = 11`` → ``11`` (the right-hand side of the last ``=``, when the left is a
    calculation or one unknown: an equation such as ``2x + z = 1`` is an answer in itself and stays whole);
    ``11 pencils`` → ``11`` (a plain number followed by words only). Without this the grouper (math-verify, whose verify is not
    symmetric in gold and target) could put ``20 - 9 = 11`` and ``11`` in one class or two depending on their
    order, while the reference check scores both equal to 11. Anything else is returned unchanged.
    """
    if "=" in text:
        *lefts, right = _EQUALS_RE.split(text)
        left, right = "=".join(lefts).strip(), right.strip()
        stated = _ARITHMETIC_RE.match(left) is not None or _NAME_RE.match(left) is not None
        if lefts and stated and as_number(right) is not None:
            return right
    if (match := _UNIT_WORDS_RE.match(text)) is not None and as_number(match.group(1)) is not None:
        return match.group(1)
    return text
