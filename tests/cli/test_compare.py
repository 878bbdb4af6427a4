"""``alft compare`` on the tiny preset: every method on the same seeds, one table, one plot, seed spread."""

import json

import pytest

from alft.training.compare import aggregate


@pytest.mark.slow
def test_compare_runs_every_method_on_every_seed(cli, tmp_path):
    folder = tmp_path / "cmp"
    result = cli("compare", "--preset", "tiny", "--steps", "2", "--seeds", "0,1", "--output-dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [entry["method"] for entry in out["aggregate"]] == ["plugin", "digamma", "aqp", "ttrl", "empo"]
    assert all(entry["seeds"] == 2 for entry in out["aggregate"])
    assert {(row["method"], row["seed"]) for row in out["rows"]} == {
        (m, s) for m in ("plugin", "digamma", "aqp", "ttrl", "empo") for s in (0, 1)
    }
    assert (folder / "comparison.png").stat().st_size > 0
    # a resumed comparison reads finished runs back instead of re-running them
    again = cli("compare", "--preset", "tiny", "--steps", "2", "--seeds", "0,1", "--output-dir", str(folder), "--json")
    assert json.loads(again.stdout)["rows"] == out["rows"]
    table = cli("compare", "--preset", "tiny", "--steps", "2", "--seeds", "0,1", "--output-dir", str(folder))
    assert "majority" in table.stdout and "±" in table.stdout and "empo" in table.stdout


def test_unknown_method_is_refused_before_any_run(cli, tmp_path):
    result = cli("compare", "--preset", "tiny", "--methods", "aqp,grpo", "--output-dir", str(tmp_path / "cmp"))
    assert result.exit_code == 2 and "--methods" in result.stderr
    assert not (tmp_path / "cmp" / "aqp-seed0").exists()


def test_aggregate_reports_mean_std_and_range_of_changes():
    rows = [{"method": "aqp", "seed": s, "majority_accuracy_before": 0.5, "majority_accuracy_after": 0.5 + d}
            for s, d in enumerate([0.1, 0.2, 0.3])]
    entry = aggregate(rows)[0]
    assert entry["seeds"] == 3
    assert abs(entry["majority_accuracy_delta_mean"] - 0.2) < 1e-12
    assert abs(entry["majority_accuracy_delta_std"] - 0.1) < 1e-12
    assert abs(entry["majority_accuracy_delta_min"] - 0.1) < 1e-12
    assert abs(entry["majority_accuracy_delta_max"] - 0.3) < 1e-12
