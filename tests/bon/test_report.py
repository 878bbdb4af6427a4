"""The best-of-n report shared by ``alft bon --json`` and the benchmarks, and its frontier curves."""

import numpy as np
import pytest

from alft.bon import (
    MONTE_CARLO_COLUMNS,
    bon_report,
    builtin_reference,
    expected_kl_estimator,
    frontier_curves,
    kl_exact,
    monte_carlo_summaries,
    win_bound,
    win_rate,
)
from alft.errors import AlftInputError

EXACT_KEYS = {"n", "kl_exact", "kl_formula", "kl_estimator", "win_rate", "win_bound"}


def test_exact_columns_are_aligned_with_n():
    ref = builtin_reference("verifier-0.2")
    report = bon_report(ref, [1, 3, 9])
    assert set(report) == EXACT_KEYS
    assert report["n"] == [1, 3, 9]
    assert report["kl_exact"] == [kl_exact(ref, n) for n in (1, 3, 9)]
    assert report["kl_estimator"][1] == expected_kl_estimator(ref, 3)
    assert report["win_rate"][2] == win_rate(ref, 9) and report["win_bound"][2] == win_bound(9)


def test_monte_carlo_columns_estimate_their_exact_column():
    ref = builtin_reference("ties-demo")
    ns = [2, 8]
    simulations = monte_carlo_summaries(ref, ns, 20_000, np.random.default_rng(3))
    report = bon_report(ref, ns, simulations)
    mc_keys = {f"{key}{suffix}" for key in MONTE_CARLO_COLUMNS for suffix in ("_mc", "_mc_stderr")}
    assert set(report) == EXACT_KEYS | mc_keys
    assert report["kl_exact_mc"] == [s.kl.mean for s in simulations]
    assert report["win_rate_mc_stderr"] == [s.win_rate.stderr for s in simulations]
    for key in MONTE_CARLO_COLUMNS:
        for exact, mc, stderr in zip(report[key], report[f"{key}_mc"], report[f"{key}_mc_stderr"]):
            assert 0 < stderr and abs(mc - exact) <= 4 * stderr, key


def test_same_seed_same_simulations_and_none_for_zero_draws():
    ref = builtin_reference("ties-demo")
    first = monte_carlo_summaries(ref, [4], 500, np.random.default_rng(7))
    again = monte_carlo_summaries(ref, [4], 500, np.random.default_rng(7))
    assert first[0].kl_estimator == again[0].kl_estimator
    assert monte_carlo_summaries(ref, [4], 0, np.random.default_rng(7)) == []


def test_bad_draws_ns_and_simulations_are_named():
    ref = builtin_reference("ties-demo")
    with pytest.raises(AlftInputError, match="draws: got -1"):
        monte_carlo_summaries(ref, [4], -1, np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="n: got 0"):
        bon_report(ref, [2, 0])
    simulations = monte_carlo_summaries(ref, [4], 10, np.random.default_rng(0))
    with pytest.raises(AlftInputError, match=r"simulations: got \[4\], expected one summary per n = \[2\]"):
        bon_report(ref, [2], simulations)


def test_frontier_curves_start_at_the_reference_and_reach_the_top_level():
    ref = builtin_reference("ties-demo")
    tilt_kl, tilt_win, rew_kl, rew_win = frontier_curves(ref)
    assert tilt_kl[0] == pytest.approx(0, abs=1e-12) and tilt_win[0] == pytest.approx(0.5)
    assert rew_kl[0] == pytest.approx(0, abs=1e-12) and rew_win[0] == pytest.approx(0.5)
    saturation = -np.log(ref.levels.top_mass)
    assert tilt_kl[-1] == pytest.approx(saturation, rel=1e-3) and rew_kl[-1] == pytest.approx(saturation, rel=1e-3)
    assert np.all(np.diff(tilt_kl) >= -1e-12) and np.all(np.diff(rew_kl) >= -1e-12)
