"""Candidate keys (alft.answers.fingerprint): necessary for math-verify's equality, and the direct reading of
simple inequalities equal to sympy's as_set()."""

import itertools
import logging

import math_verify
import pytest

from alft.answers.fingerprint import _simple_solution_set, key_of

logging.getLogger("math_verify").setLevel(logging.ERROR)

INEQUALITIES = ["1 < x \\le 2", "x \\ge 2", "2 \\le x", "x = 3", "-2 \\le x \\le 7", "x < 3", "x > -\\frac{1}{2}",
                "0 < y < \\sqrt{2}", "x \\leq 0.25", "3 \\geq y", "-9 < x \\le -7", "1 < x < 1"]


def parsed(text):
    return math_verify.parse(f"${text}$", parsing_timeout=None)


@pytest.mark.parametrize("text", INEQUALITIES)
def test_simple_reading_is_as_set(text):
    expr = parsed(text)[0]
    simple = _simple_solution_set(expr)
    assert simple is not None
    assert simple == expr.as_set()


def test_relations_sympy_cannot_read_simply_are_left_to_as_set():
    assert _simple_solution_set(parsed("x^2 < 4")[0]) is None
    assert _simple_solution_set(parsed("x < y")[0]) is None
    assert _simple_solution_set(parsed("-\\infty < x < 5")[0]) is None  # ∞ is not a real number to sympy


FAMILIES = [["(1,2]", "1 < x \\le 2", "x \\in (1,2]", "(1, 2]", "[1,2]", "(1,2)", "1 < x < 2"],
            ["(3,4)", "(3, 4)", "\\{3,4\\}", "3,4", "(4,3)", "x=3, y=4"],
            ["y = 2x + 3", "y - 3 = 2x", "2y = 4x + 6", "y = 3x + 2", "2x + 3"],
            ["\\frac{\\sqrt{2}}{2}", "\\frac{1}{\\sqrt{2}}", "0.707107", "\\sqrt{0.5}", "\\frac{\\sqrt{3}}{2}"],
            ["\\text{Paris}", "paris", "Paris", "\\text{London}"], ["9\\%", "9", "0.09", "\\frac{9}{100}", "90\\%"]]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f[0])
def test_keys_match_whenever_math_verify_says_equal(family):
    found = {text: (parsed(text), key_of(parsed(text))) for text in family}
    for a, b in itertools.permutations(family, 2):
        if math_verify.verify(found[a][0], found[b][0], timeout_seconds=None):
            assert found[a][1].may_equal(found[b][1]), (a, b)
