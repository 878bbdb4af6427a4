"""Final-answer extraction: from a completion's text to the answer it commits to (SPEC §1: z = canon(extract(y))).

An extractor is any callable ``str -> str | None``; ``None`` means "no answer found" (an unextractable
completion). Named extractors live in :data:`EXTRACTORS`; :func:`get_extractor` accepts a name or a callable,
so users plug in their own rule without touching alft.

Rules of the ``"auto"`` extractor, first match wins (each rule takes its *last* occurrence in the text,
because models restate and correct themselves and the final statement is the committed one):

1. ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced, nesting allowed:
   ``\\boxed{\\frac{1}{2}}`` → ``\\frac{1}{2}``.
2. ``#### X`` (GSM8K style), X up to the end of the line.
3. ``Final answer: X`` / ``final answer is X`` (any case), X up to the end of the line.
4. ``the answer is X`` (any case), X up to the end of the line or of the sentence.
5. ``Answer: X`` at the start of a line (any case), X up to the end of the line.
6. ``= N`` ending the text (``3+8-5=11-5=6`` → ``6``), N a number (a final full stop allowed).
7. The whole text is one number (``" 42."`` → ``42``).

Text with none of these markers has no answer: ``auto`` never guesses one from a stray number
(``"u)B6}Ui"`` → ``None``). The ``"auto-last-number"`` extractor opts into that guess: the ``auto`` rules,
then the last number of the text (integer, decimal or simple fraction a/b, optional sign, thousands commas
allowed) — for datasets whose completions state bare answers in prose.

The ``"arithmetic"`` extractor is the built-in task's rule: the text after the last ``=`` must be an integer
(``3+8-5=11-5=6`` → ``6``); a trace cut before its last reduction (``…=11-``) has no answer.

Safety limits (adversarial or runaway completions must never be slow or crash):
* only the last :data:`MAX_SCAN_CHARS` characters are scanned (answers sit at the end);
* an extracted answer longer than :data:`MAX_ANSWER_CHARS` is refused (``None``): it is not an answer;
* all patterns are linear-time (no nested quantifiers) and use ASCII digits only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TypeAlias

from alft.errors import AlftInputError

AnswerExtractor: TypeAlias = Callable[[str], "str | None"]
"""Any callable that maps a completion's text to its answer string, or ``None`` when it has none."""

MAX_SCAN_CHARS = 20_000
"""Only this many trailing characters of a completion are scanned."""

MAX_ANSWER_CHARS = 512
"""Extracted answers longer than this are refused (returned as ``None``)."""

# The look-behind keeps a subtraction's minus out of the number ("5-3" ends in 3, not -3).
_NUMBER = r"(?<![0-9])-?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?(?:/[0-9]+)?)"
_NUMBER_RE = re.compile(_NUMBER)
_HASHES_RE = re.compile(r"####")
_FINAL_RE = re.compile(r"final answer\s*(?::|is\b)", re.IGNORECASE)
_ANSWER_IS_RE = re.compile(r"the answer is\b:?", re.IGNORECASE)
_ANSWER_LINE_RE = re.compile(r"^[ \t]*answer[ \t]*:", re.IGNORECASE | re.MULTILINE)
_SENTENCE_END_RE = re.compile(r"\.(?:\s|$)")
_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*\{")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+")
_BRACE_RE = re.compile(r"[{}]")


def _prepare(text: str) -> str:
    """Keep the scanned tail and fold unicode look-alikes (fullwidth digits, the minus sign U+2212) to ASCII."""
    if not isinstance(text, str):
        raise AlftInputError(f"completion: got {type(text).__name__} {text!r:.80}, expected a str")
    tail = text[-MAX_SCAN_CHARS:]
    return unicodedata.normalize("NFKC", tail).replace("\u2212", "-")


def _accept(answer: str | None) -> str | None:
    """Strip an extracted answer; empty or over-long answers are no answer."""
    if answer is None:
        return None
    answer = answer.strip()
    if not answer or len(answer) > MAX_ANSWER_CHARS:
        return None
    return answer


def _matching_braces(text: str) -> dict[int, int]:
    """Map each ``{`` position to its matching ``}`` position, in one linear pass (unmatched ones are absent)."""
    matches, stack = {}, []
    for brace in _BRACE_RE.finditer(text):
        if brace.group() == "{":
            stack.append(brace.start())
        elif stack:
            matches[stack.pop()] = brace.start()
    return matches


def _last_boxed(text: str) -> str | None:
    """Content of the last complete ``\\boxed{...}`` / ``\\fbox{...}`` (one pass: adversarial input stays linear)."""
    starts = [match.end() - 1 for match in _BOXED_RE.finditer(text)]  # positions of their "{"
    if not starts:
        return None
    closing = _matching_braces(text)
    for start in reversed(starts):
        if start in closing:
            return text[start + 1 : closing[start]]
    return None


def _after_last_marker(marker: re.Pattern[str], text: str) -> str | None:
    """The rest of the line after the last match of ``marker`` ("Final answer: the final answer is 5" → "5")."""
    last = None
    for last in marker.finditer(text):
        pass
    if last is None:
        return None
    return text[last.end() :].split("\n", 1)[0]


def _up_to_sentence_end(answer: str | None) -> str | None:
    """Cut "the answer is 42. Next I…" at the sentence's full stop (a decimal point is not followed by a space)."""
    if answer is None:
        return None
    end = _SENTENCE_END_RE.search(answer)
    return answer if end is None else answer[: end.start()]


def _strip_trailing_period(answer: str | None) -> str | None:
    return None if answer is None else answer.strip().rstrip(".")


def extract_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` in ``text`` (nested braces allowed), or ``None``."""
    return _accept(_last_boxed(_prepare(text)))


def extract_last_number(text: str) -> str | None:
    """The last number in ``text`` (``-3``, ``1,000``, ``2.5``, ``3/4``), or ``None``."""
    matches = _NUMBER_RE.findall(_prepare(text))
    return _accept(matches[-1]) if matches else None


def extract_arithmetic(text: str) -> str | None:
    """The built-in task's rule: the integer after the last ``=`` (the whole text if it has no ``=``).

    Args:
        text: a trace such as ``"3+8-5=11-5=6"``.

    Returns:
        ``"6"`` for that trace; ``None`` when what follows the last ``=`` is not a plain integer
        (an unfinished reduction such as ``"11-"`` or a stray character).
    """
    segment = _prepare(text).rsplit("=", 1)[-1].strip()
    return _accept(segment) if _INTEGER_RE.fullmatch(segment) else None


def _after_last_equals(text: str) -> str | None:
    """The number after the text's last ``=``, when nothing but a full stop follows it ("…=11-5=6" → "6")."""
    if "=" not in text:
        return None
    return _whole_number(text.rsplit("=", 1)[1])


def _whole_number(text: str) -> str | None:
    """``text`` itself when it is one number (surrounding spaces and a final full stop aside), else None."""
    candidate = text.strip().removesuffix(".").strip()
    return candidate if _NUMBER_RE.fullmatch(candidate) else None


def _marked_answer(tail: str) -> str | None:
    """The first ``auto`` rule that finds an answer in a prepared tail (module docstring's order)."""
    candidates = (
        lambda: _last_boxed(tail),
        lambda: _after_last_marker(_HASHES_RE, tail),
        lambda: _strip_trailing_period(_up_to_sentence_end(_after_last_marker(_FINAL_RE, tail))),
        lambda: _strip_trailing_period(_up_to_sentence_end(_after_last_marker(_ANSWER_IS_RE, tail))),
        lambda: _strip_trailing_period(_after_last_marker(_ANSWER_LINE_RE, tail)),
        lambda: _after_last_equals(tail),
        lambda: _whole_number(tail),
    )
    for candidate in candidates:
        answer = _accept(candidate())
        if answer is not None:
            return answer
    return None


def extract_answer(text: str) -> str | None:
    """The ``"auto"`` extractor: the first rule that matches, in the module docstring's order.

    Args:
        text: a completion (any length, any unicode; only the last :data:`MAX_SCAN_CHARS` characters are read).

    Returns:
        The answer string, stripped, or ``None`` if no rule finds one (empty text and text without an answer
        marker included: a stray number is not an answer here, see :func:`extract_answer_or_last_number`).
    """
    return _marked_answer(_prepare(text))


def extract_answer_or_last_number(text: str) -> str | None:
    """The ``"auto-last-number"`` extractor (opt-in): the ``auto`` rules, then the text's last number.

    Use it only for completions that state a bare answer in prose ("so she has 12 left"): on text with no
    answer at all it still returns a number (``"u)B6}Ui"`` → ``"6"``), which then counts as an answer.
    """
    tail = _prepare(text)
    answer = _marked_answer(tail)
    if answer is None:
        numbers = _NUMBER_RE.findall(tail)
        answer = _accept(numbers[-1]) if numbers else None
    return answer


EXTRACTORS: Mapping[str, AnswerExtractor] = MappingProxyType(
    {
        "auto": extract_answer,
        "auto-last-number": extract_answer_or_last_number,
        "boxed": extract_boxed,
        "last-number": extract_last_number,
        "arithmetic": extract_arithmetic,
    }
)
"""Named extractors (read-only); pass a callable to :func:`get_extractor` for anything else."""


def get_extractor(extractor: str | AnswerExtractor) -> AnswerExtractor:
    """Resolve an extractor given by name or as a callable.

    Args:
        extractor: a key of :data:`EXTRACTORS` or any callable ``str -> str | None``.

    Returns:
        The callable.

    Raises:
        AlftInputError: for an unknown name or a non-callable value.
    """
    if callable(extractor):
        return extractor
    if isinstance(extractor, str) and extractor in EXTRACTORS:
        return EXTRACTORS[extractor]
    raise AlftInputError(
        f"extractor: got {extractor!r}, expected one of {sorted(EXTRACTORS)} or a callable str -> str | None"
    )
