"""Every entry of the bad-input catalogue raises AlftInputError naming the bad field (issue 7, item 1)."""

import pytest
from reliability_catalogue import catalogue

from alft.errors import AlftInputError

CASES = catalogue()


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.kind}: {c.label}") for c in CASES])
def test_bad_input_is_a_typed_error_naming_the_field(case):
    with pytest.raises(AlftInputError) as error:
        _with_alarm(case.call)
    assert case.field in str(error.value), str(error.value)


def _with_alarm(call, seconds=5):
    """A hang (e.g. a polynomial with 10⁹ coefficients) is a failure, not a stuck suite."""
    import signal

    def _timeout(*_):
        raise TimeoutError(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(seconds)
    try:
        return call()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_the_catalogue_covers_every_layer():
    kinds = {case.kind for case in CASES}
    assert {"estimator", "group reward", "objective", "answer extraction", "answer equivalence", "best-of-n",
            "TRL reward", "training settings"} <= kinds
    assert len(CASES) >= 100
