"""Determinism (issue 7, item 3): two runs of ``alft train --steps 5`` and of ``alft simulate`` with the same seed,
each in its own fresh process, give identical summaries; a different seed gives a different one.

Excluded from the comparison, because they measure wall-clock time rather than results: every field named
``seconds`` (the summary's timing block, each evaluation's ``seconds``), ``equivalence_seconds``,
``extract_seconds``, ``estimator_seconds`` and ``step_time`` (also as ``*_first``/``*_last`` means), see
:func:`reliability_helpers.comparable_summary`. ``alft simulate --json`` has no time field: it is compared whole.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from reliability_helpers import TINY, comparable_summary, run_alft


def _parallel(*commands, cache_dir):
    with ThreadPoolExecutor(len(commands)) as pool:
        results = list(pool.map(lambda args: run_alft(*args, cache_dir=cache_dir), commands))
    for result in results:
        assert result.returncode == 0, result.stderr[-3000:]
    return [json.loads(result.stdout) for result in results]


@pytest.mark.slow  # three tiny training runs in fresh processes
def test_alft_train_same_seed_same_summary_different_seed_different(tmp_path):
    cache = tmp_path / "cache"
    # the first run trains the tiny warm-up into the shared cache; later runs read it (as a user's would)
    base = ["train", *TINY, "--steps", "5", "--eval-problems", "6", "--json"]
    (first,) = _parallel([*base, "--seed", "7", "--output-dir", str(tmp_path / "a")], cache_dir=cache)
    second, other = _parallel([*base, "--seed", "7", "--output-dir", str(tmp_path / "b")],
                              [*base, "--seed", "8", "--output-dir", str(tmp_path / "c")], cache_dir=cache)
    assert first["seconds"]["warmup_cached"] is False and second["seconds"]["warmup_cached"] is True
    assert comparable_summary(first) == comparable_summary(second)
    assert json.loads((tmp_path / "a" / "summary.json").read_text())["training"] == first["training"]
    assert comparable_summary(other)["training"] != comparable_summary(first)["training"]
    lines = [(tmp_path / name / "metrics.jsonl").read_text().splitlines() for name in "ab"]
    assert [comparable_summary(json.loads(x)) for x in lines[0]] == [comparable_summary(json.loads(x)) for x in lines[1]]


def test_alft_simulate_same_seed_same_json_different_seed_different(tmp_path):
    base = ["simulate", "--K", "6", "--steps", "40", "--groups", "30", "--estimators", "plugin,digamma",
            "--objective", "0.5*coherence", "--out", "", "--json"]
    a, b, c = _parallel([*base, "--seed", "3"], [*base, "--seed", "3"], [*base, "--seed", "4"], cache_dir=tmp_path)
    assert a == b
    assert a["results"]["exact"] == c["results"]["exact"]  # the exact-gradient control has no randomness
    assert a["results"]["plugin"]["final_tv_seeds"] != c["results"]["plugin"]["final_tv_seeds"]
