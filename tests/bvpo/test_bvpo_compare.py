"""``alft bvpo`` and alft.bvpo.compare on a tiny built-in comparison: the run folder, resuming, bad input."""

import json

import pytest

from alft.bvpo.compare import BVPOSettings, run_comparison, table_rows
from alft.bvpo.task import EMPTY_PATTERN, empty_answer_of, trace_length
from alft.errors import AlftInputError

TINY = dict(train_prompts=128, steps=2, batch_pairs=2, eval_problems=16, probe_prompts=24, probe_samples=8,
            hybrid_steps=20, length_every=1, variance_batch=2, variance_resamples=2)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bvpo") / "run"
    settings = BVPOSettings(methods=("alpha-hat", "dpo-trace-2x"), **TINY)
    return settings, folder, run_comparison(settings, folder)


def test_the_run_folder_holds_the_table_plot_and_every_method(tiny_run):
    settings, folder, summary = tiny_run
    assert {p.name for p in folder.iterdir()} >= {"config.json", "pairs.json", "base.json", "summary.json", "bvpo.png"}
    assert sorted(p.stem for p in (folder / "methods").iterdir()) == ["alpha-hat", "dpo-trace-2x"]
    hat = json.loads((folder / "methods" / "alpha-hat.json").read_text())
    assert len(hat["alpha_per_step"]) == settings.steps and all(0 <= a <= 1 for a in hat["alpha_per_step"])
    assert len(hat["gradient_statistics"]["var_trace"]) == settings.steps
    assert [step for step, _ in hat["trace_length_over_training"]] == [0, 1, 2]
    control = json.loads((folder / "methods" / "dpo-trace-2x.json").read_text())
    assert control["pairs_seen"] == hat["pairs_seen"] == settings.steps * settings.batch_pairs * 2  # budget-matched
    assert control["alpha_per_step"] == [1.0] * settings.steps
    header, rows = table_rows(summary)
    assert header == ["metric", "base", "alpha-hat", "dpo-trace-2x"] and len(rows) >= 6
    for name in ("alpha-hat", "dpo-trace-2x"):
        assert 0 <= summary["methods"][name]["accuracy_trace_greedy"] <= 1
    base_variance = summary["base_variance"]
    assert base_variance["0.0"]["var_mixed"] == pytest.approx(0.0, abs=1e-18)  # α = 0: no trace noise at all
    assert base_variance["0.5"]["var_mixed"] == pytest.approx(base_variance["0.5"]["alpha_sq_var_trace"], rel=1e-9)


def test_a_rerun_resumes_and_other_settings_are_refused(tiny_run):
    settings, folder, summary = tiny_run
    stamps = {p.name: p.stat().st_mtime_ns for p in (folder / "methods").iterdir()}
    lines = []
    again = run_comparison(settings, folder, log=lines.append)
    assert {p.name: p.stat().st_mtime_ns for p in (folder / "methods").iterdir()} == stamps
    assert sum("reused" in line for line in lines) == 2
    assert again["methods"] == summary["methods"]
    with pytest.raises(AlftInputError, match="--steps"):
        run_comparison(BVPOSettings(methods=settings.methods, **{**TINY, "steps": 3}), folder)


def test_empty_trace_completions_and_trace_lengths():
    assert empty_answer_of("=6") == "6" and empty_answer_of("=-24+2=-2") is None and empty_answer_of("=") is None
    assert EMPTY_PATTERN == r"=-?\d+"
    assert trace_length("3+8-5=11-5=6") == 11 and trace_length("=6") == 1
