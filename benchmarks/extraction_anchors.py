"""The answer-extraction rules of the anchors, re-implemented from their public descriptions and code.

Each is a function ``str -> str | None`` (``None``: the rule finds no answer), so the benchmark scores them
exactly as it scores alft's extractors. Written from reading the anchors, not copied from them:

* **lm-evaluation-harness, GSM8K** (``lm_eval/tasks/gsm8k/gsm8k*.yaml``): the ``strict-match`` filter is the
  regex ``#### (\\-?[0-9\\.\\,]+)``, first match; ``flexible-extract`` is the regex
  ``(-?[$0-9.,]{2,})|(-?[0-9]+)`` with ``group_select: -1`` (the last match), first filter output. The task's
  ``exact_match`` then ignores ``,``, ``$`` and a final ``.`` (``regexes_to_ignore``): applied here too.
* **math-verify** (``math_verify.parse`` with its default extraction config, LaTeX then plain expressions):
  the answer is the string of its extraction (``parse(text)[1]``), ``None`` when it extracts nothing.
* **Qwen2.5-Math** (``evaluation/parser.py``, ``extract_answer(pred, "gsm8k")``, the DeepSeek-Math and
  math-evaluation-harness scripts use the same dispatch): Minerva's ``final answer is $…$. I hope`` ; else the
  text after the *last* ``boxed`` (braces matched) ; else everything after the last ``he answer is`` ; else
  after the last ``final answer is`` ; else the last number (commas removed). Then newlines are dropped, a
  leading ``:`` and a final ``.`` or ``/`` cut, and ``strip_string`` normalises. Its ``strip_string`` is
  approximated by the steps that touch grade-school answers (``$``, ``\\text{}`` units, ``x=``-style short
  left-hand sides, percent signs, spaces, ``a.000`` → ``a``, ``a/b`` → ``\\frac{a}{b}``); its list of unit
  words is replaced by dropping any trailing words after a leading number — more lenient than the original,
  so the approximation can only flatter the anchor.
"""

from __future__ import annotations

import re

_STRICT_RE = re.compile(r"#### (\-?[0-9\.\,]+)")
_FLEXIBLE_RE = re.compile(r"(-?[$0-9.,]{2,})|(-?[0-9]+)")
_QWEN_NUMBER_RE = re.compile(r"-?\d*\.?\d+")


def _lm_eval_ignore(answer: str) -> str:
    """The GSM8K task's ``regexes_to_ignore``: ``,``, ``$`` and a final ``.``."""
    return re.sub(r"\.$", "", answer.replace(",", "").replace("$", "")).strip()


def lm_eval_strict(text: str) -> str | None:
    """lm-evaluation-harness GSM8K ``strict-match``: the first ``#### N``."""
    match = _STRICT_RE.search(text)
    return _lm_eval_ignore(match.group(1)) or None if match else None


def lm_eval_flexible(text: str) -> str | None:
    """lm-evaluation-harness GSM8K ``flexible-extract``: the last number-like run of the text."""
    matches = _FLEXIBLE_RE.findall(text)
    if not matches:
        return None
    groups = matches[-1]
    return _lm_eval_ignore(groups[0] or groups[1]) or None


def math_verify_parse(text: str) -> str | None:
    """math-verify's ``parse`` with its default extraction config; the extracted string, or None."""
    from math_verify import parse

    parsed = parse(text)  # its defaults, timeout included (the benchmark runs in the main thread)
    return str(parsed[1]) if len(parsed) >= 2 else None


def _qwen_after_last_boxed(text: str) -> str:
    rest = text.split("boxed")[-1]
    if not rest:
        return ""
    if rest[0] != "{":
        return rest.split("$")[0].strip()
    depth, out = 1, []
    for char in rest[1:]:
        depth += (char == "{") - (char == "}")
        if depth == 0:
            break
        out.append(char)
    return "".join(out)


def _qwen_strip(answer: str) -> str:
    """The parts of Qwen2.5-Math's ``strip_string`` that touch grade-school answers (module docstring)."""
    answer = answer.strip().replace("\n", "").rstrip(".").replace("\\!", "")
    unitless = re.sub(r"\\text\{.*?\}$", "", answer).strip()
    if unitless and unitless != answer:
        answer = unitless
    leading = re.match(r"^(-?[\d.]+)\s+[A-Za-z][A-Za-z\s]*$", answer)  # "20 pencils" → "20" (lenient)
    if leading:
        answer = leading.group(1)
    answer = answer.replace("^{\\circ}", "").replace("^\\circ", "")
    answer = answer.replace("\\$", "").replace("$", "").replace("\\(", "").replace("\\)", "")
    answer = re.sub(r"\\text\{(.*?)\}", r"\1", answer)
    for key in ("x=", "y=", "z="):
        answer = answer.replace(key, "")
    answer = answer.replace("\\%", "").replace("%", "")
    answer = answer.replace(" .", " 0.").replace("{.", "{0.")
    answer = answer.replace("and", "")
    answer = re.sub(r"(\d+)\.0*([^\d])", r"\1\2", answer)
    answer = re.sub(r"(\d+)\.0*$", r"\1", answer)
    if answer.startswith("."):
        answer = "0" + answer
    parts = answer.split("=")
    if len(parts) == 2 and len(parts[0]) <= 2:
        answer = parts[1]
    answer = answer.replace(" ", "")
    fraction = re.fullmatch(r"(-?\d+)/(\d+)", answer)
    if fraction:
        answer = f"\\frac{{{fraction.group(1)}}}{{{fraction.group(2)}}}"
    return answer


def qwen_math(text: str) -> str | None:
    """Qwen2.5-Math's ``extract_answer(text, "gsm8k")`` (module docstring); ``None`` for its empty answer."""
    text = text.replace("\u043a\u0438", "")
    if "final answer is $" in text and "$. I hope" in text:
        answer = text.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    elif "boxed" in text:
        answer = _qwen_after_last_boxed(text)
    elif "he answer is" in text:
        answer = text.split("he answer is")[-1].strip()
    elif "final answer is" in text:
        answer = text.split("final answer is")[-1].strip()
    else:
        numbers = _QWEN_NUMBER_RE.findall(text.replace(",", ""))
        answer = numbers[-1] if numbers else ""
    answer = re.sub(r"\n\s*", "", answer)
    if answer.startswith(":"):
        answer = answer[1:]
    if answer.endswith((".", "/")):
        answer = answer[:-1]
    return _qwen_strip(answer) or None


ANCHORS = {
    "lm-eval strict (#### N)": lm_eval_strict,
    "lm-eval flexible (last number)": lm_eval_flexible,
    "math-verify parse (default config)": math_verify_parse,
    "Qwen2.5-Math extract_answer": qwen_math,
}
