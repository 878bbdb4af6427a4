"""The answer-equivalence corpus: answer strings in the forms models write, and their all-pairs math-verify classes.

Two sources, each named in the JSON:

* ``math-verify``: the short (gold, prediction) cases of math-verify's own test suite
  (``tests/answers/data/math_verify_cases.json``, with the commit they come from);
* ``MATH-formats``: families written here in the final-answer formats of the MATH dataset
  (hendrycks/competition_math: ``\\frac``/``\\dfrac`` fractions, ``a\\sqrt{b}``, ``\\pi`` multiples, intervals,
  ordered pairs, sets, degrees, ``\\text{}`` answers and choices, percentages, dollars, thousands separators,
  units, equations and expressions), each value in several spellings plus near misses (``0.33`` for 1/3,
  ``\\sqrt{13}`` beside ``\\sqrt{12}``).

The oracle is what the issue asks to match: **all-pairs math-verify with union** — parse every string of a group
as ``$s$``, verify every pair (earlier string as gold), join verified pairs — computed per family and per mixed
group (the corpus shuffled with a fixed seed into groups of 16, so unrelated answers meet too). alft's classes are
compared with it in ``tests/answers/test_equivalence_corpus.py``; this script lists every disagreement.

    python benchmarks/equivalence_corpus.py [--compare-only]

Writes tests/answers/data/equivalence_corpus.json (the oracle) and benchmarks/results/equivalence_corpus.json
(agreement of alft's grouping with it).
"""

from __future__ import annotations

import itertools
import json
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "answers" / "data" / "math_verify_cases.json"
CORPUS = ROOT / "tests" / "answers" / "data" / "equivalence_corpus.json"
RESULT = Path(__file__).parent / "results" / "equivalence_corpus.json"
MIXED_GROUP_SIZE = 16
SEED = 0

# name -> spellings (equal values first, near misses after "|" in the name's comment); all in MATH's formats
MATH_FORMATS: dict[str, list[str]] = {
    "one half": ["\\frac{1}{2}", "0.5", "1/2", "\\dfrac12", "\\dfrac{1}{2}", "\\tfrac{1}{2}", ".5", "0.50", "\\frac{2}{4}",
                 "50\\%", "\\boxed{\\frac{1}{2}}", "$\\frac12$", "\\left(\\frac{1}{2}\\right)"],
    "one third": ["\\frac{1}{3}", "1/3", "0.\\overline{3}", "0.333333", "0.33", "0.3333", "\\frac{2}{6}", "\\dfrac13"],
    "three quarters": ["\\frac{3}{4}", "0.75", "3/4", "75\\%", "\\frac{6}{8}", "\\dfrac{3}{4}", "0.7500", "\\frac{3}{5}"],
    "minus two thirds": ["-\\frac{2}{3}", "\\frac{-2}{3}", "-2/3", "\\frac{2}{-3}", "-0.666667", "-\\dfrac{2}{3}",
                         "\\frac{2}{3}"],
    "seven fifths": ["\\frac{7}{5}", "1.4", "1\\frac{2}{5}", "7/5", "\\dfrac{14}{10}", "1.40", "\\frac{5}{7}"],
    "root twelve": ["2\\sqrt{3}", "\\sqrt{12}", "2 \\sqrt 3", "\\sqrt{3}\\cdot 2", "2\\sqrt3", "\\sqrt{13}", "3\\sqrt{2}",
                    "\\frac{6}{\\sqrt{3}}", "\\frac{12}{\\sqrt{12}}"],
    "root eighteen": ["3\\sqrt{2}", "\\sqrt{18}", "3 \\sqrt{2}", "\\frac{6}{\\sqrt{2}}", "\\sqrt{2}\\cdot3", "2\\sqrt{3}",
                      "3\\sqrt{3}", "\\sqrt{17}"],
    "root over two": ["\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", "\\dfrac{\\sqrt2}{2}", "\\sqrt{\\frac{1}{2}}",
                      "\\frac{\\sqrt{3}}{2}", "0.707107", "\\frac{\\sqrt{2}}{3}"],
    "five root three over two": ["\\frac{5\\sqrt{3}}{2}", "\\frac{5}{2}\\sqrt{3}", "2.5\\sqrt{3}", "\\frac{5\\sqrt3}2",
                                 "\\frac{\\sqrt{75}}{2}", "\\frac{5\\sqrt{2}}{2}"],
    "pi multiples": ["2\\pi", "2 \\pi", "\\pi \\cdot 2", "6.283185", "\\frac{4\\pi}{2}", "\\pi", "3\\pi", "6.28"],
    "three pi over four": ["\\frac{3\\pi}{4}", "\\frac{3}{4}\\pi", "3\\pi/4", "0.75\\pi", "\\dfrac{3\\pi}{4}", "135^\\circ",
                           "\\frac{\\pi}{4}", "\\frac{3\\pi}{2}"],
    "pi area": ["16\\pi", "16 \\pi", "\\pi \\cdot 16", "16\\pi \\text{ square units}", "50.265482", "4\\pi", "8\\pi"],
    "degrees": ["90^\\circ", "90", "90^{\\circ}", "90 \\text{ degrees}", "\\frac{\\pi}{2}", "45^\\circ", "180^\\circ", "30"],
    "intervals": ["(1,2]", "(1, 2]", "\\left(1,2\\right]", "1 < x \\le 2", "x \\in (1,2]", "[1,2]", "(1,2)", "[1,2)"],
    "unbounded interval": ["(-\\infty, 3)", "(-\\infty,3)", "x < 3", "\\left(-\\infty, 3\\right)", "(-\\infty, 3]",
                           "(3, \\infty)", "x > 3", "x \\le 3"],
    "union of intervals": ["(-\\infty,-1)\\cup(1,\\infty)", "(-\\infty, -1) \\cup (1, \\infty)", "|x| > 1",
                           "(-1,1)", "[-1,1]", "(-\\infty,-1]\\cup[1,\\infty)"],
    "ordered pairs": ["(3,4)", "(3, 4)", "\\left(3, 4\\right)", "(4,3)", "(3,-4)", "(\\frac{6}{2}, 4)", "(3.0, 4)"],
    "polar point": ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", "(3, \\pi/2)", "(3, \\pi)",
                    "(3, 90^\\circ)", "\\left(3, \\frac{3\\pi}{2}\\right)"],
    "sets": ["\\{1,2,3\\}", "\\{3,2,1\\}", "\\{1, 2, 3\\}", "1,2,3", "\\{1,2\\}", "\\{1,2,3,4\\}", "1, 2, 3"],
    "roots of a quadratic": ["2, -3", "-3, 2", "x=2, x=-3", "\\{2,-3\\}", "2,3", "x = 2 \\text{ or } x = -3", "-2, 3"],
    "plus minus": ["\\pm 2", "2, -2", "-2,2", "\\{-2, 2\\}", "2", "\\pm 3"],
    "expressions": ["x+1", "1+x", "x + 1", "(x+1)", "x+2", "x-1", "2x+2", "\\frac{2x+2}{2}"],
    "factored": ["x^2-1", "(x-1)(x+1)", "(x+1)(x-1)", "x^2 - 1", "x^2+1", "(x-1)^2", "x^{2}-1"],
    "quadratic": ["x^2+2x+1", "(x+1)^2", "x^2 + 2x + 1", "(1+x)^2", "x^2+2x-1", "(x-1)^2", "x^2+x+1"],
    "rational function": ["\\frac{1}{x+1}", "\\frac{1}{1+x}", "(x+1)^{-1}", "1/(x+1)", "\\frac{1}{x-1}", "\\frac{x}{x+1}"],
    "two variables": ["2a+3b", "3b+2a", "a+a+3b", "2a + 3b", "3a+2b", "2a+3"],
    "equations": ["y = 2x + 3", "y=2x+3", "y = 3 + 2x", "2x+3", "y = 2x - 3", "y = 3x + 2"],
    "line equations": ["2x + 3y = 6", "3y + 2x = 6", "4x + 6y = 12", "2x+3y=6", "2x + 3y = 5", "y = -\\frac{2}{3}x + 2"],
    "exponentials": ["e^{2}", "e^2", "\\exp(2)", "7.389056", "e^{3}", "2e", "e^{2x}"],
    "logarithms": ["\\log_2 8", "3", "\\log_{2}8", "\\ln 8 / \\ln 2", "\\log_2 9", "\\log 8"],
    "trig": ["\\sin^2 x + \\cos^2 x", "1", "\\sin(x)^2+\\cos(x)^2", "\\tan x", "\\frac{\\sin x}{\\cos x}", "\\cos 2x"],
    "text answers": ["\\text{Evelyn}", "Evelyn", "\\textbf{Evelyn}", "\\text{evelyn}", "\\text{Briana}", "\\mathrm{Evelyn}"],
    "multiple choice": ["\\text{(A)}", "(A)", "A", "\\textbf{(A)}", "\\text{(B)}", "B", "\\text{A}"],
    "yes no": ["\\text{yes}", "yes", "\\text{Yes}", "\\text{no}", "No", "\\text{YES}"],
    "days": ["\\text{Tuesday}", "Tuesday", "\\text{tuesday}", "\\text{Wednesday}", "\\text{Tue}"],
    "percentages": ["28\\%", "28", "0.28", "28 \\%", "\\frac{28}{100}", "28.0\\%", "72\\%", "2.8\\%"],
    "dollars": ["\\$5.40", "5.40", "\\$5.4", "5.4", "5.40\\text{ dollars}", "\\$5.04", "540", "\\$ 5.40"],
    "thousands": ["7,425,000", "7425000", "7\\,425\\,000", "7{,}425{,}000", "7.425 \\times 10^6", "742500", "7425001"],
    "large numbers": ["1,000,000", "10^6", "1000000", "10^{6}", "1e6", "100000", "10^7"],
    "units": ["5\\text{ cm}", "5", "5 \\text{cm}", "5\\,\\mathrm{cm}", "5 \\text{ centimeters}", "50\\text{ mm}", "6\\text{ cm}"],
    "square units": ["24\\text{ square units}", "24", "24 \\text{ units}^2", "24\\text{ sq units}", "25"],
    "negative numbers": ["-5", "-5.0", "- 5", "(-5)", "-\\frac{10}{2}", "5", "-\\left(5\\right)"],
    "decimals": ["0.4", ".4", "0.40", "\\frac{2}{5}", "2/5", "0.04", "4"],
    "mixed numbers": ["2\\frac{1}{2}", "\\frac{5}{2}", "2.5", "5/2", "2 \\frac{1}{2}", "2\\tfrac12", "\\frac{2}{5}"],
    "complex numbers": ["3+4i", "4i+3", "3 + 4i", "3-4i", "4+3i", "\\sqrt{-16}+3"],
    "matrices": ["\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix}1\\\\2\\end{pmatrix}",
                 "\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}",
                 "\\begin{pmatrix} 0.5 \\\\ 1 \\end{pmatrix}"],
    "infinity": ["\\infty", "+\\infty", "-\\infty", "\\text{infinity}", "\\infty \\text{ solutions}"],
    "functions": ["f(x) = x^2", "x^2", "f(x)=x^{2}", "g(x) = x^2", "f(x) = x^3"],
    "inequalities": ["x \\ge 2", "2 \\le x", "x \\geq 2", "[2, \\infty)", "x > 2", "x \\le 2"],
    "big and nested": ["\\frac{\\frac{1}{2}}{\\frac{3}{4}}", "\\frac{2}{3}", "\\sqrt{\\sqrt{16}}", "2",
                       "\\left(\\left(\\left(1\\right)\\right)\\right)", "1", "\\frac{1+\\frac{1}{2}}{3}"],
    "binomial": ["\\binom{5}{2}", "10", "\\dbinom{5}{2}", "C(5,2)", "\\binom{5}{3}", "\\binom{6}{2}"],
    "factorial": ["5!", "120", "5 \\cdot 4 \\cdot 3 \\cdot 2", "4!", "24", "6!"],
}


def load_math_verify_cases() -> list[dict]:
    return json.loads(CASES.read_text())["pairs"]


def families() -> list[dict]:
    """Every group of related strings: one per math-verify case pair, one per MATH-format family."""
    cases = load_math_verify_cases()
    out = [{"name": f"math-verify {c['file']} #{i}", "source": "math-verify", "answers": [c["gold"], c["prediction"]]}
           for i, c in enumerate(cases)]
    out += [{"name": name, "source": "MATH-formats", "answers": answers} for name, answers in MATH_FORMATS.items()]
    return out


def mixed_groups(strings: list[str]) -> list[list[str]]:
    """All strings shuffled with a fixed seed into groups of 16: unrelated answers meet."""
    shuffled = strings[:]
    random.Random(SEED).shuffle(shuffled)
    return [shuffled[i : i + MIXED_GROUP_SIZE] for i in range(0, len(shuffled), MIXED_GROUP_SIZE)]


def all_pairs_classes(answers: list[str]) -> list[int]:
    """The oracle: parse each string as ``$s$``, verify every pair (earlier = gold), union; ids by first appearance.

    Identical strings are one answer."""
    import math_verify

    distinct = list(dict.fromkeys(answers))
    parsed = [math_verify.parse(f"${a}$", parsing_timeout=None) for a in distinct]
    parent = list(range(len(distinct)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(len(distinct)), 2):
        if math_verify.verify(parsed[i], parsed[j], timeout_seconds=None):
            parent[root(j)] = root(i)
    first: dict[int, int] = {}
    ids = {a: first.setdefault(root(i), len(first)) for i, a in enumerate(distinct)}
    return [ids[a] for a in answers]


def disagreements(answers: list[str], expected: list[int], got: list[int | None]) -> list[dict]:
    """Pairs that one partition joins and the other does not."""
    out = []
    for i, j in itertools.combinations(range(len(answers)), 2):
        oracle, ours = expected[i] == expected[j], got[i] is not None and got[i] == got[j]
        if oracle != ours and answers[i] != answers[j]:
            out.append({"a": answers[i], "b": answers[j], "all_pairs_math_verify": oracle, "alft": ours})
    return out


def build() -> dict:
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    groups = families()
    strings = list(dict.fromkeys(a for g in groups for a in g["answers"]))
    mixed = [{"name": f"mixed #{i}", "source": "shuffled corpus", "answers": g} for i, g in enumerate(mixed_groups(strings))]
    start = time.perf_counter()
    for group in groups + mixed:
        group["all_pairs_classes"] = all_pairs_classes(group["answers"])
    import math_verify

    return {
        "about": __doc__.split("\n\n")[0],
        "sources": {
            "math-verify": json.loads(CASES.read_text())["source"],
            "MATH-formats": "written for alft in the final-answer formats of the MATH dataset (hendrycks/competition_math)"
                            ": benchmarks/equivalence_corpus.py MATH_FORMATS",
        },
        "oracle": "all-pairs math-verify with union: parse(f'${s}$'), verify(earlier, later) on every pair, default "
                  f"settings, math-verify {math_verify.__version__ if hasattr(math_verify, '__version__') else '0.9'}",
        "distinct_strings": len(strings),
        "oracle_seconds": time.perf_counter() - start,
        "groups": groups,
        "mixed_groups": mixed,
    }


def compare(corpus: dict) -> dict:
    """alft's classes against the oracle on every group; the disagreements listed."""
    from alft.answers import AnswerEquivalence, clear_caches

    clear_caches()
    grouper = AnswerEquivalence()
    found = []
    n_groups = 0
    for group in corpus["groups"] + corpus["mixed_groups"]:
        got = grouper(group["answers"])
        n_groups += 1
        for item in disagreements(group["answers"], group["all_pairs_classes"], got):
            found.append({"group": group["name"], **item})
    return {"benchmark": "equivalence_corpus", "distinct_strings": corpus["distinct_strings"], "groups": n_groups,
            "disagreeing_pairs": len(found), "disagreements": found}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare-only", action="store_true", help="reuse the stored oracle, only rerun alft")
    args = parser.parse_args()
    if args.compare_only:
        corpus = json.loads(CORPUS.read_text())
    else:
        corpus = build()
        CORPUS.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n")
    result = compare(corpus)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "disagreements"}, indent=2))
    for item in result["disagreements"]:
        print(item)


if __name__ == "__main__":
    main()
