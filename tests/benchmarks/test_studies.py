"""The evidence studies' runner (benchmarks/studies.py) on the tiny preset: a study writes its results with
paired statistics, shares a seed's base evaluation, and a re-run after a kill resumes and reuses finished runs."""

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import studies  # noqa: E402

ARGS = ["estimators", "--preset", "tiny", "--seeds", "0", "1"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("studies")
    result = studies.main([*ARGS, "--runs", str(root / "runs"), "--results", str(root / "results")])
    return root, result


def test_a_study_writes_rows_statistics_and_a_figure(finished):
    root, result = finished
    assert (root / "results" / "study_estimators.json").exists() and (root / "results" / "study_estimators.png").exists()
    assert len(result["rows"]) == 6 and {r["seed"] for r in result["rows"]} == {0, 1}
    comparison = result["comparisons"][0]
    assert comparison["a"] == "anchored-s3:aqp" and comparison["seeds"] == [0, 1]
    assert comparison["sample_accuracy_bootstrap"]["problems"] == 12  # the tiny preset's held-out problems


def test_runs_of_a_seed_share_the_base_evaluation(finished):
    root, _ = finished
    folders = sorted((root / "runs" / "estimators").glob("*-seed0"))
    before = {(f / "eval_before_problems.jsonl").read_text() for f in folders}
    assert len(folders) == 3 and len(before) == 1


def test_a_killed_study_resumes_and_reuses_finished_runs(finished, tmp_path):
    root, result = finished
    runs = tmp_path / "runs"
    shutil.copytree(root / "runs", runs)
    # a kill during one run: its summary and final policy are missing, its checkpoints remain
    cut = runs / "estimators" / "anchored-s3-plugin-seed1"
    (cut / "summary.json").unlink()
    shutil.rmtree(cut / "policy")
    again = studies.main([*ARGS, "--runs", str(runs), "--results", str(tmp_path / "results")])
    assert again["rows"] == result["rows"]  # the resumed run ends where the uninterrupted one did
    trained = [json.loads(line)["step"] for line in (cut / "metrics.jsonl").read_text().splitlines()]
    assert trained == sorted(set(trained))  # no step logged twice

    written = {path: path.stat().st_mtime_ns for path in runs.rglob("*") if path.is_file()}
    assert studies.main([*ARGS, "--runs", str(runs), "--results", str(tmp_path / "results")])["rows"] == result["rows"]
    assert {path: path.stat().st_mtime_ns for path in runs.rglob("*") if path.is_file()} == written  # all reused


def test_bad_method_names_are_refused():
    with pytest.raises(SystemExit):
        studies.main(["estimators", "--methods", "nope"])
    with pytest.raises(ValueError, match="method"):
        studies.reward_for("sharpened")
