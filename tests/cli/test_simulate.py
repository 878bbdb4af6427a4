"""``alft simulate`` (src/alft/cli/simulate.py): JSON contract, plot, seeds, estimator parameters, the
anchored game, clear errors."""

import json

import typer
from typer.testing import CliRunner

from alft.cli import simulate
from alft.games import Dynamics
from alft.games.simulation import simulate as summarise

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


def test_cli_json_is_the_library_summary():
    """The CLI only parses and prints: its JSON is alft.games.simulation.simulate's, key for key."""
    args = ("--K", "4", "--steps", "20", "--groups", "50", "--estimators", "plugin,aqp:kappa=2", "--json", "--out", "")
    cli = json.loads(_invoke(*args).stdout)
    library = summarise("0.5*coherence", 4, ["plugin", "aqp:kappa=2"], Dynamics(steps=20, groups=50), seeds=[0])
    assert cli == json.loads(json.dumps(library))


def test_estimator_parameters_reach_the_tables():
    result = _invoke("--K", "8", "--steps", "20", "--groups", "50", "--estimators", "plugin,aqp,aqp:kappa=4,aqp-floor",
                     "--param", "kappa=1.25", "--param", "c=0.5", "--json", "--out", "")
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["results"]
    assert list(results) == ["exact", "plugin", "aqp:kappa=1.25", "aqp:kappa=4", "aqp-floor:c=0.5"]
    assert results["aqp:kappa=1.25"]["params"] == {"kappa": 1.25}
    # κ = 1.25 moves the fixed point much closer than κ = 4 on this game (bias-only, exact)
    assert results["aqp:kappa=1.25"]["bias_only_tv"] < results["aqp:kappa=4"]["bias_only_tv"] / 2
    assert results["aqp:kappa=1.25"]["bias_only_ratio_to_plugin"] < 0.1
    assert "deprecated" in result.stderr and "aqp:kappa=4" in result.stderr  # --param names what replaced it


def test_anchored_game_from_the_cli():
    result = _invoke("--objective", "anchored", "--exponent", "2", "--reference-draws", "32", "--K", "8", "--steps", "40",
                     "--groups", "50", "--estimators", "digamma", "--seeds", "2", "--json", "--out", "")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["anchor"]["gamma"] == 0.5 and report["anchor"]["reference_draws"] == 32
    exact = report["results"]["exact"]
    assert len(exact["final_tv_seeds"]) == 2 and exact["final_tv_seeds"][0] != exact["final_tv_seeds"][1]  # draws per seed
    assert exact["final_tv"] > 1e-3  # 32 reference answers move the fixed point away from p*
    exact_reference = json.loads(_invoke("--objective", "anchored", "--gamma", "0.5", "--K", "8", "--steps", "300",
                                         "--estimators", "plugin", "--groups", "20", "--json", "--out", "").stdout)
    assert exact_reference["results"]["exact"]["final_tv"] < 1e-6


def test_the_simulator_plays_the_objective_training_plays():
    """'sharpened:2' (the spelling alft train takes) and the older 'anchored --exponent 2' are one game."""
    common = ("--reference-draws", "16", "--K", "8", "--steps", "30", "--groups", "20", "--estimators", "aqp",
              "--seeds", "1", "--json", "--out", "")
    new = json.loads(_invoke("--objective", "sharpened:2", *common).stdout)
    old = json.loads(_invoke("--objective", "anchored", "--exponent", "2", *common).stdout)
    assert new["results"] == old["results"] and new["anchor"] == old["anchor"]


def test_bad_input_is_a_clear_error():
    for args, field in [(("--estimators", "mle"), "--estimators"), (("--objective", "entropy"), "objective"),
                        (("--objective", "1.5*coherence"), "beta"), (("--K", "1"), "K"),
                        (("--param", "kappa"), "--param"), (("--param", "kappa=4", "--estimators", "plugin"), "param"),
                        (("--estimators", "aqp:kappa=0.5"), "kappa"), (("--exponent", "2"), "objective"),
                        (("--objective", "anchored"), "exponent"), (("--objective", "anchored", "--exponent", "1"), "exponent"),
                        (("--objective", "anchored", "--exponent", "2", "--gamma", "0.5"), "exponent"),
                        (("--objective", "anchored", "--exponent", "2", "--reference-draws", "1"), "reference_draws"),
                        (("--objective", "anchored+coherence", "--exponent", "2"), "objective")]:
        result = _invoke(*args, "--steps", "5", "--out", "")
        assert result.exit_code == 2 and field in result.output, (args, result.output)
