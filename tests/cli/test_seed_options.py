"""`--seed` where nothing is random: hidden, does nothing, and says so (old command lines still run)."""

import json

from typer.testing import CliRunner

from alft.cli import app

runner = CliRunner()


def test_tables_seed_is_deprecated_and_changes_nothing():
    plain = runner.invoke(app, ["tables", "show", "digamma", "--K", "4", "--json"])
    seeded = runner.invoke(app, ["tables", "show", "digamma", "--K", "4", "--json", "--seed", "3"])
    assert plain.exit_code == 0 and seeded.exit_code == 0, seeded.output
    assert json.loads(seeded.stdout) == json.loads(plain.stdout)
    assert "--seed does nothing" in seeded.stderr and "--seed" not in plain.stderr


def test_tables_help_does_not_offer_seed():
    for command in ("show", "frontier", "report"):
        result = runner.invoke(app, ["tables", command, "--help"])
        assert result.exit_code == 0 and "--seed" not in result.output, command


def test_bon_plot_seed_is_deprecated(tmp_path):
    out = tmp_path / "bon.png"
    result = runner.invoke(app, ["bon", "plot", "--dist", "ties-demo", "--n", "1,2", "--out", str(out), "--seed", "1"])
    assert result.exit_code == 0, result.output
    assert out.exists() and "--seed does nothing" in result.stderr
    assert "--seed" not in runner.invoke(app, ["bon", "plot", "--help"]).output


def test_bon_table_keeps_its_working_seed():
    assert "--seed" in runner.invoke(app, ["bon", "--help"]).output
