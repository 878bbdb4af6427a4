"""The plain normaliser and exact plain numbers."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.answers import as_number, canonicalize


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("0.50", "1/2"),
        ("2/4", "1/2"),
        ("\\frac{1}{2}", "1/2"),
        ("$5.0$", "5"),
        ("\\boxed{1,000}", "1000"),
        ("+3", "3"),
        ("\u22123", "-3"),
        ("６", "6"),
        (" x  +\n1 ", "x + 1"),
        ("\\text{ Paris }.", "Paris"),
        ("\\boxed{a}+\\boxed{b}", "\\boxed{a}+\\boxed{b}"),
        ("X", "X"),
        ("20 - 9 = 11", "11"),  # a calculation ending in a plain number is that number
        ("x = 0.5", "1/2"),
        ("11 pencils", "11"),  # a plain number followed by words only
        ("1,000 dollars", "1000"),
        ("y = 2x + 3", "y = 2x + 3"),  # an equation whose right-hand side is not a plain number stays whole
        ("x <= 11", "x <= 11"),
        ("12 and 13", "12 and 13"),
        ("3 x", "3 x"),
        ("$$", None),
        ("   ", None),
        (None, None),
    ],
)
def test_canonicalize(answer, expected):
    assert canonicalize(answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("-3", Fraction(-3)), (".5", Fraction(1, 2)), ("12,345", Fraction(12345)), ("-\\frac{3}{4}", Fraction(-3, 4))],
)
def test_plain_numbers(answer, expected):
    assert as_number(answer) == expected


@pytest.mark.parametrize("answer", ["1/0", "\\frac{1}{0}", "x", "1e5", "2\\sqrt{3}", "9" * 200])
def test_not_plain_numbers(answer):
    assert as_number(answer) is None


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_canonicalize_is_idempotent_and_never_empty(text):
    once = canonicalize(text)
    assert once is None or (once != "" and canonicalize(once) == once)


@settings(max_examples=100, deadline=None)
@given(st.fractions(max_denominator=1000))
def test_equal_numbers_have_one_canonical_form(value):
    assert canonicalize(f"{value.numerator}/{value.denominator}") == canonicalize(
        f"{2 * value.numerator}/{2 * value.denominator}"
    )
