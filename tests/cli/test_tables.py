"""`alft tables` through typer's runner."""

import json

import pytest
import typer
from typer.testing import CliRunner

from alft.cli import tables


@pytest.fixture(scope="module")
def invoke():
    app = typer.Typer()
    tables.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["tables", *args])


def test_show_json_is_exactly_one_object(invoke):
    result = invoke("show", "aqp:kappa=4", "--K", "8", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"estimator", "K", "target", "params", "table", "weighted_bias", "floor_bias", "max_variance"}
    assert data["params"]["kappa"] == 4.0 and len(data["table"]) == 8


def test_the_old_param_option_still_works_and_names_its_replacement(invoke):
    result = invoke("show", "aqp", "--K", "8", "--param", "kappa=4", "--json")
    assert result.exit_code == 0 and "aqp:kappa=4" in result.stderr and "deprecated" in result.stderr
    assert json.loads(result.stdout) == json.loads(invoke("show", "aqp:kappa=4", "--K", "8", "--json").stdout)


def test_show_prints_the_table(invoke):
    result = invoke("show", "digamma", "--K", "4")
    assert result.exit_code == 0
    assert "-1.83333" in result.stdout and "sup p·|bias|" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("show", "nope"), "NAME one of plugin"),
        (("show", "aqp", "--K", "1"), "K: got 1"),
        (("show", "aqp", "--param", "kappa"), "ESTIMATOR"),
        (("show", "aqp:kappa"), "ESTIMATOR"),
        (("show", "aqp:c=1"), "not a parameter of 'aqp'"),
        (("show", "ustat", "--target", "tsallis:6", "--K", "3"), "no unbiased estimator exists for degree 5"),
    ],
)
def test_bad_input_exits_2_with_the_reason(invoke, args, message):
    result = invoke(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_frontier_draws_and_reports_dominance(invoke, tmp_path):
    out = tmp_path / "f.png"
    result = invoke("frontier", "--K", "8", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert out.stat().st_size > 1000
    (frontier,) = data["frontiers"]
    biases = [row["weighted_bias"] for row in frontier["sweep"]]
    assert biases == sorted(biases)  # κ ascending: bias budget grows
    assert set(frontier["dominates"]) >= {"plugin", "digamma", "aqp"}


def test_report_writes_json_and_png(invoke, tmp_path):
    result = invoke("report", "--K", "4", "--K", "8", "--out-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["K"] == [4, 8] and "aqp" in report["estimators"]
    assert (tmp_path / "report.png").stat().st_size > 1000
