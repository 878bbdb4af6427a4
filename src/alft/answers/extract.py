"""Final-answer extraction: from a completion's text to the answer it commits to (docs/concepts/answer-level.md: z = canon(extract(y))).

An extractor is any callable ``str -> str | None``; ``None`` means "no answer found" (an unextractable
completion). Named extractors live in :data:`EXTRACTORS`; :func:`get_extractor` accepts a name or a callable,
so users plug in their own rule without touching alft.

The ``"auto"`` extractor reads the answer a completion *commits to*, as a grader of GSM8K or MATH would:

1. **The last marked answer wins**, whatever its kind — models restate and correct themselves, so the final
   statement is the committed one (``\\boxed{6}`` … "the final answer is 9" → ``9``). Markers:
   ``\\boxed{…}`` / ``\\fbox{…}`` (braces balanced, nesting allowed); ``####``; "the answer is", "final answer
   is" / "Final answer:", "the correct answer is", "answer would be", "the solution is"; an ``Answer:`` label
   or an ``Answer`` heading over its value.
2. **The value stops where the answer stops**: at the end of its sentence or clause ("the answer is 10, but
   for a total of …" → ``10``), at the closing ``$``/``\\)``/``\\]`` of a math span; a number keeps no unit
   ("20 pencils", "$1,000", "4km" → the number); ``a = b`` gives its right-hand side ("12 + 84 = 208" →
   ``208``); an unfinished ``40 - 10 =`` and prose ("the answer is wrong") are no value.
3. **Placeholders are no answer**: ``\\boxed{N}`` and "The answer is N" echoed from the prompt are skipped, so
   an earlier real answer stands; a placeholder assigned a value (``\\boxed{N} = 4``) gives the value.
4. **Where the marker is missing**, the concluding sentence: a text that ends a sentence, whose last sentence
   states one value ("Anna has 20 pencils." → ``20``; the right-hand side of its last ``=``, or its last
   ``$…$`` span). A completion cut off at the length limit ends mid-sentence and so has no answer here. A
   concluding sentence that opens with "So," / "Therefore" / "Thus" after the last marker beats it ("The
   answer is 9. … So, the farmer has 2 animals." → ``2``).
5. An arithmetic trace with no prose (no word of three letters or more): the number after its last ``=``
   (``3+8-5=11-5=6`` → ``6``), or the text itself when it is one number (``" 42."`` → ``42``).

Text with none of these has no answer: ``auto`` never guesses from a stray number (``"u)B6}Ui"`` → ``None``).
The ``"auto-last-number"`` extractor opts into that guess: the ``auto`` rules, then the last number of the
text (integer, decimal or simple fraction a/b, optional sign, thousands commas allowed) — for datasets whose
completions state bare answers in prose. Accuracy of both against human-read labels of real completions, beside
the rules of lm-evaluation-harness, math-verify and Qwen2.5-Math: ``benchmarks/answer_extraction.py``.

The ``"arithmetic"`` extractor is the built-in task's rule: the text after the last ``=`` must be an integer
(``3+8-5=11-5=6`` → ``6``); a trace cut before its last reduction (``…=11-``) has no answer.

Safety limits (adversarial or runaway completions must never be slow or crash):
* only the last :data:`MAX_SCAN_CHARS` characters are scanned (answers sit at the end);
* an extracted answer longer than :data:`MAX_ANSWER_CHARS` is refused (``None``): it is not an answer;
* only the last :data:`MAX_MARKERS_READ` answer markers are read, each over a bounded window;
* all patterns are linear-time (no nested quantifiers) and use ASCII digits only.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable, Mapping, Sequence
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


# --- reading the committed final answer (the "auto" extractor) -------------------------------------------------

_ANSWER_MARKER_RE = re.compile(
    r"\banswer\b(?:\s*(?:is|would be|will be|should be|must be)\b|\s*(?:=|:))|\bsolution is\b|####",
    re.IGNORECASE)
_TENTATIVE_RE = re.compile(r"would|will|should|must", re.IGNORECASE)
# "N", "2N": the placeholder of prompts such as "End with 'The answer is N'", not a value (an answer that really
# is a multiple of a quantity named N is read as none: such answers are rare, echoed placeholders common)
_PLACEHOLDER_TERM_RE = re.compile(r"[0-9]*\s*\*?\s*N")
_NOT_BUT_RE = re.compile(r"^not (?:just |only )?[^,;]*?,? but (?:also )?", re.IGNORECASE)  # "not 3 but 52"
_FILLER_RE = re.compile(r"^(?:indeed|simply|just|exactly|actually|clearly|then|now|therefore|thus)\s+",
                        re.IGNORECASE)  # "the answer is indeed 13"
_FREE_NUMBER_RE = re.compile(_NUMBER + r"(?![A-Za-z0-9])")  # "20th" is an ordinal, not a value
_ASSIGNED_RE = re.compile(r"[ \t]*=")
_LIST_ITEM_RE = re.compile(r"[0-9]+[.)]\s+[^0-9\s]")  # "1. Anna has…": a list's numbering, not a value
_CUE_RE = re.compile(r"^(?:so|therefore|thus|hence|in total|altogether|finally)\b", re.IGNORECASE)
_PLACEHOLDER_LINE_RE = re.compile(  # a last line that only echoes the placeholder: "5. The answer is \\boxed{N}."
    r"\n[ \t*]*(?:[0-9]+[.)][ \t]*)?(?:(?:the |final )*answer(?: is)?:?[ \t]*)?"
    r"(?:\\boxed\{[ \t]*(?:N|X|n|x|\?)[ \t]*\}|N)[ \t]*\.?[ \t*]*$", re.IGNORECASE)
_ANSWER_HEADING_RE = re.compile(r"^[ \t#*]*(?:final[ \t]+)?answer[ \t*:]*$", re.IGNORECASE | re.MULTILINE)
_PLACEHOLDERS = frozenset({"n", "x", "?", "...", "\\ldots", "\\dots", "answer", "final answer", "your answer",
                           "the answer", "number", "\\text{answer}", "\\text{your answer}", "\\_", "_"})
_MATH_OPENERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("$", "$"))
# where a stated value stops: the end of its sentence (a full stop not inside a number), a clause break, a bracket
_VALUE_END_RE = re.compile(r"[.!?](?=\s|$|\*)|;|,(?=\s*[A-Za-z])|\s\(|\s+(?:because|since|which|but|so|as)\b"
                           r"|\*\*|\n")
_LEADING_NUMBER_RE = re.compile(  # a number, then the end, a space, punctuation or a glued unit ("4km")
    r"\\?\$?\s*(" + _NUMBER + r")(?:\s*(?:\\?%|percent\b))?(?=$|\s|[A-Za-z]{2}|[^\w.,/\\=+*^-])")
_WORD_RE = re.compile(r"(?<![\\A-Za-z])[A-Za-z]{2,}")
_UNIT_RE = re.compile(r"^(" + _NUMBER + r")\s*\\(?:text|mbox|textnormal|mathrm)\s*\{[^{}]*\}$")
_LAST_EQUALS_RE = re.compile(r"(?<![<>!=\\])=(?!=)")
_SENTENCE_RE = re.compile(r"[^.!?\n]*(?:[.!?](?![0-9])|\n|$)")
_LIST_NUMBER_RE = re.compile(r"\s*[0-9]+[.)]?\s*")  # "3." alone: a list's numbering, not a sentence
_CONCLUDING_END_RE = re.compile(r"[.!][\s*\"')]*$")
MAX_MARKERS_READ = 64
"""At most this many answer markers (the last ones) are read: a text repeating a marker stays linear-time."""
_VALUE_WINDOW = MAX_ANSWER_CHARS + 64
_MAX_PLACEHOLDER_LINES = 8
_PLACEHOLDER_SENTENCE_RE = re.compile(r"\\boxed\{\s*[NXnx]\s*\}|\banswer is:?\s+N\b")


def _top_level_rhs(value: str) -> str:
    """``a = b = c`` → ``c`` (an ``=`` inside braces, ``<=``, ``>=``, ``!=`` and ``==`` aside)."""
    depth, cut = 0, -1
    for index, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "=" and depth == 0 and _LAST_EQUALS_RE.match(value, index) and (
                index == 0 or value[index - 1] not in "<>!=\\"):
            cut = index
    return value if cut < 0 else value[cut + 1 :]


def _math_value(value: str) -> str | None:
    """A LaTeX or plain-math answer: its right-hand side, a number with a ``\\text{}`` unit reduced to the
    number; ``None`` for a placeholder (``N``, ``…``) or an unfinished ``a =``."""
    value = _top_level_rhs(value).strip().rstrip(".,").strip()
    if not value or value.lower() in _PLACEHOLDERS or _PLACEHOLDER_TERM_RE.fullmatch(value):
        return None
    if (unit := _UNIT_RE.match(value)) is not None:
        return unit.group(1)
    return value


def _prose_value(rest: str) -> str | None:
    """The value that a marker introduces, stopped where the answer stops.

    ``"is 10, but for a total of 40 - 10 ="`` → ``10``; ``": 12 + 8 = 20 pencils."`` → ``20``;
    ``"is $\\frac{1}{2}$."`` → ``\\frac{1}{2}``; ``"is wrong."`` and ``"is N"`` → ``None`` (no value);
    ``"is 40 - 10 ="`` → ``None`` (unfinished).
    """
    rest = _FILLER_RE.sub("", rest[:_VALUE_WINDOW].lstrip(" \t:*\"'`"), count=1)
    rest = _NOT_BUT_RE.sub("", rest, count=1)
    if rest.startswith("\n"):  # "The answer is:\n\n20" — the value on the next non-empty line
        rest = rest.lstrip(" \t\n*")
        if _LIST_ITEM_RE.match(rest):
            return None
    if rest.startswith(("\\boxed", "\\fbox")):
        return None  # the box itself is read (a later position than the marker), or is a placeholder
    for opener, closer in _MATH_OPENERS:
        if rest.startswith(opener):
            end = rest.find(closer, len(opener))
            if end < 0:
                return None
            return _math_value(rest[len(opener) : end])
    end = _VALUE_END_RE.search(rest)
    value = (rest if end is None else rest[: end.start()]).strip()
    if "=" in value:
        value = _top_level_rhs(value).strip()
        if not value:
            return None  # "40 - 10 =": an unfinished calculation
    if (number := _LEADING_NUMBER_RE.match(value)) is not None:
        return number.group(0).lstrip("\\$").strip()  # "20 pencils" → "20", "$1,000" → "1,000", "28%" kept
    if not value or _WORD_RE.search(value) or value.lower() in _PLACEHOLDERS:
        return None  # prose ("wrong", "as follows") or a placeholder is not a value
    return _math_value(value)


def _boxed_candidates(text: str, cut_off: bool) -> list[tuple[int, str | None]]:
    """(position, value) of every complete ``\\boxed{…}`` / ``\\fbox{…}`` (placeholders give ``None``, unless
    assigned a value: ``\\boxed{N} = 4``)."""
    starts = [match.end() - 1 for match in _BOXED_RE.finditer(text)]
    if not starts:
        return []
    closing = _matching_braces(text)
    candidates = []
    for start in starts:
        if start in closing:
            if closing[start] - start > MAX_ANSWER_CHARS + 1:
                candidates.append((start, None))  # refused anyway: not worth reading (keeps nesting linear)
                continue
            value = _math_value(text[start + 1 : closing[start]])
            # a placeholder: "\\boxed{N} = 4" still assigns it a value — in a text cut off at the length limit
            # only on its last line, like a final "The answer is 4" (a cut-off text's earlier ones were drafts)
            if value is None and (not cut_off or "\n" not in text[closing[start] :].rstrip()):
                assigned = _ASSIGNED_RE.match(text, closing[start] + 1)
                value = _prose_value(text[assigned.end() :]) if assigned else None
            candidates.append((start, value))
    return candidates


def _marker_candidates(text: str, cut_off: bool) -> list[tuple[int, str | None]]:
    """(position, value) of the last :data:`MAX_MARKERS_READ` answer markers ("the answer is", "final answer:",
    "####", "Answer:", an "Answer" heading over its value). In a text cut off mid-sentence, a tentative
    marker ("the answer will be …") is not a commitment and is left out."""
    found = [(match.start(), match.end()) for match in _ANSWER_MARKER_RE.finditer(text)
             if not (cut_off and _TENTATIVE_RE.search(match.group()))]
    found += [(match.start(), match.end()) for match in _ANSWER_HEADING_RE.finditer(text)]
    found.sort()
    return [(start, _prose_value(text[end:])) for start, end in found[-MAX_MARKERS_READ:]]


def _concluding_value(text: str) -> tuple[int, str | None, bool]:
    """The value of a finished text's last sentence, when it states one: (sentence position, value, whether the
    sentence opens with a conclusion cue such as "So," or "Therefore").

    "Anna has 20 pencils." → 20. The text must end a sentence (a completion cut off at the length limit does
    not; a trailing placeholder line such as ``\\boxed{N}`` is set aside first); the sentence's value is the
    right-hand side of its last ``=``, else its last ``$…$`` span, else its only number.
    """
    for _ in range(_MAX_PLACEHOLDER_LINES):
        placeholder = _PLACEHOLDER_LINE_RE.search(text, max(0, len(text) - _VALUE_WINDOW))
        if placeholder is None:
            break
        text = text[: placeholder.start()]
    stripped = text.rstrip()
    if not _CONCLUDING_END_RE.search(stripped):
        return -1, None, False
    window_start = max(0, len(stripped) - _VALUE_WINDOW * 2)
    sentences = [m for m in _SENTENCE_RE.finditer(stripped, window_start)
                 if m.group().strip() and not _LIST_NUMBER_RE.fullmatch(m.group())]
    if not sentences:
        return -1, None, False
    last = sentences[-1]
    if len(sentences) > 1 and _PLACEHOLDER_SENTENCE_RE.search(last.group()) and not _FREE_NUMBER_RE.search(
            last.group()):
        last = sentences[-2]  # "… = 8 eggs. So, the answer is \\boxed{N}, where N is the number."
    position = last.start()
    sentence = last.group().strip().rstrip(".!").strip()
    cue = _CUE_RE.match(sentence) is not None
    if sentence.endswith("?"):
        return position, None, cue
    if sentence.count("$") >= 2:
        spans = sentence.split("$")[1::2]
        return position, _math_value(spans[-1]) if spans and spans[-1].strip() else None, cue
    if "=" in sentence:
        return position, _prose_value(_top_level_rhs(sentence)), cue
    numbers = _FREE_NUMBER_RE.findall(sentence)
    # one number is the value; several are too, when a cue opens the sentence ("So, there are 67 boxes that
    # hold 63 oranges": the conclusion's subject comes first)
    return position, numbers[0] if len(numbers) == 1 or (numbers and cue) else None, cue


def _is_trace(text: str) -> bool:
    """Text with no word of three letters or more: an arithmetic trace such as ``3+8-5=11-5=6``, not prose."""
    return re.search(r"[A-Za-z]{3,}", text) is None


def _marked_answer(tail: str) -> str | None:
    """The ``auto`` rules on a prepared tail (module docstring)."""
    cut_off = _CONCLUDING_END_RE.search(tail.rstrip()) is None
    candidates = sorted(_boxed_candidates(tail, cut_off) + _marker_candidates(tail, cut_off),
                        key=lambda candidate: candidate[0], reverse=True)
    marked = next(((position, answer) for position, value in candidates
                   if (answer := _accept(value)) is not None), None)
    if marked is None and _is_trace(tail):
        return _accept(_after_last_equals(tail) or _whole_number(tail))
    position, concluded, cue = _concluding_value(tail)
    concluded = _accept(concluded)
    if marked is None:
        return concluded
    if concluded is not None and cue and position > marked[0]:
        return concluded  # "The answer is 9. … So, the farmer has 2 animals.": the closing conclusion
    return marked[1]


def extract_answer(text: str) -> str | None:
    """The ``"auto"`` extractor: the answer the completion commits to (module docstring's rules 1–5).

    Args:
        text: a completion (any length, any unicode; only the last :data:`MAX_SCAN_CHARS` characters are read).

    Returns:
        The answer string, stripped, or ``None`` if no rule finds one (empty text, text cut off mid-calculation
        and text with neither a marker nor a concluding sentence included: a stray number is not an answer here,
        see :func:`extract_answer_or_last_number`).
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


def extract_answers(completions: Sequence[object], extractor: str | AnswerExtractor = "auto") -> list[str | None]:
    """One answer per completion (``None`` where there is none), after checking the batch as a whole.

    Args:
        completions: completion texts.
        extractor: a name of :data:`EXTRACTORS` or a callable.

    Returns:
        The answers, in order: nothing is dropped, an empty completion gives ``None``.

    Raises:
        AlftInputError: a completion that is not a string, named by its index and type (a list of messages
            must be turned into its text first, e.g. ``alft.answers.groups.completion_text``).

    Warns:
        UserWarning: every completion is empty or whitespace — usually a generation or decoding fault
            (a wrong column, special tokens only), which would otherwise show up only as "no answers".
    """
    extract = get_extractor(extractor)
    texts = list(completions)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise AlftInputError(f"completions[{index}]: got {type(text).__name__} {text!r:.80}, expected a str "
                                 f"(the completion's text)")
    if texts and all(not text.strip() for text in texts):
        warnings.warn(f"completions: all {len(texts)} are empty or whitespace, so none has an answer; check "
                      "the generation (max_new_tokens, the decoded column, skip_special_tokens)", stacklevel=2)
    return [extract(text) for text in texts]


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
