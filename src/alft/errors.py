"""The library's error types: every bad input raises one of these, naming the field and what was expected."""

import math


class AlftInputError(ValueError):
    """An argument or data field is outside what alft accepts.

    The message names the field, the value received and what would be accepted.
    """


class AlftNumericalError(ArithmeticError):
    """A computation cannot be carried out reliably in float64 (e.g. an infeasible solve); the message
    says which setting would work."""


def require(condition: bool, field: str, value: object, expected: str) -> None:
    """Raise :class:`AlftInputError` unless ``condition`` holds.

    Args:
        condition: what must be true.
        field: the name of the argument or data field, as the user wrote it.
        value: the value received.
        expected: what would be accepted, in words.
    """
    if not condition:
        raise AlftInputError(f"{field}: got {value!r}, expected {expected}")


def is_finite_number(value: object) -> bool:
    """True for a finite int or float (numpy scalars included); False for bool, NaN, ±inf and anything else."""
    try:
        return not isinstance(value, bool) and float(value) == value and math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
