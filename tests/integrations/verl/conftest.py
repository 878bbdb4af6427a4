"""verl tests: skipped where verl is not installed (the main environment), required where it is.

Modules that need verl start with ``pytest.importorskip("verl.protocol")``: a submodule, because when the
whole suite runs, ``tests/integrations`` is on ``sys.path`` and this folder imports as a namespace ``verl``.

CI runs this folder in verl's own environment with ALFT_REQUIRE_VERL=1: there a skipped test fails the run,
so "skipped because verl did not import" can never pass for green.
"""

import os

import pytest

REQUIRE_VERL = os.environ.get("ALFT_REQUIRE_VERL") == "1"
_skipped: list[str] = []


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_collectreport(report):
    if report.skipped:  # a module-level pytest.importorskip
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if REQUIRE_VERL and _skipped:
        print(f"\nALFT_REQUIRE_VERL=1 but {len(_skipped)} verl test(s) were skipped: {_skipped[:5]}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

