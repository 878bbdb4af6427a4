"""``alft simulate`` (src/alft/cli/simulate.py): JSON contract, plot, seeds, clear errors."""

import json

import typer
from typer.testing import CliRunner

from alft.cli import simulate

APP = typer.Typer()
simulate.register(APP)
APP.command("noop", hidden=True)(lambda: None)  # keep typer in multi-command mode: `simulate` is a sub-command


def _invoke(*args):
    return CliRunner().invoke(APP, ["simulate", *args])


def test_json_report_and_plot(tmp_path):
    png = tmp_path / "tv.png"
    result = _invoke("--K", "4", "--steps", "60", "--groups", "300", "--estimators", "plugin,digamma",
                     "--json", "--out", str(png), "--seeds", "2")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"objective", "K", "equilibrium", "results"} <= set(report)
    assert report["K"] == 4 and set(report["results"]) == {"exact", "plugin", "digamma"}
    plugin = report["results"]["plugin"]
    assert len(plugin["final_tv_seeds"]) == 2 and len(plugin["tv_curve"]) == len(report["steps"])
    assert plugin["final_tv"] > 5 * report["results"]["exact"]["final_tv"]  # the plug-in's shift shows
    assert png.stat().st_size > 1000


def test_same_seed_same_numbers():
    args = ("--K", "4", "--steps", "30", "--groups", "100", "--estimators", "aqp", "--json", "--out", "", "--seed", "3")
    assert json.loads(_invoke(*args).stdout)["results"] == json.loads(_invoke(*args).stdout)["results"]


def test_bad_input_is_a_clear_error():
    for args, field in [(("--estimators", "mle"), "--estimators"), (("--objective", "entropy"), "objective"),
                        (("--objective", "1.5*coherence"), "beta"), (("--K", "1"), "K")]:
        result = _invoke(*args, "--steps", "5", "--out", "")
        assert result.exit_code == 2 and field in result.output, (args, result.output)
