"""``alft bon`` and ``alft bon plot`` through typer's CliRunner."""

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from alft.bon import bon_report, builtin_reference, kl_exact, kl_formula, monte_carlo_summaries, win_rate
from alft.cli import bon as bon_cli

KEYS = {"n", "kl_exact", "kl_formula", "kl_estimator", "win_rate", "win_bound"}


@pytest.fixture(scope="module")
def app():
    # A fresh app with only this command group, as alft.cli registers it.
    main = typer.Typer()
    main.command("noop")(lambda: None)
    bon_cli.register(main)
    return main


runner = CliRunner()


def test_json_is_one_object_with_aligned_lists(app):
    result = runner.invoke(app, ["bon", "--dist", "ties-demo", "--n", "1,2,4,64", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # the whole stdout is exactly one JSON document
    assert set(report) == KEYS
    assert report["n"] == [1, 2, 4, 64]
    assert all(len(report[k]) == 4 for k in KEYS)
    ref = builtin_reference("ties-demo")
    assert report["kl_exact"][2] == pytest.approx(kl_exact(ref, 4))
    assert report["kl_formula"][3] == pytest.approx(kl_formula(64))
    assert report["win_rate"][1] == pytest.approx(win_rate(ref, 2))
    assert all(e <= f for e, f in zip(report["kl_exact"], report["kl_formula"]))


def test_json_file_input_and_seeded_draws(app, tmp_path):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps({"probs": [0.5, 0.3, 0.2], "rewards": [0, 1, 2]}))
    args = ["bon", "--input", str(path), "--n", "3", "--draws", "2000", "--json"]
    first = json.loads(runner.invoke(app, [*args, "--seed", "1"]).stdout)
    again = json.loads(runner.invoke(app, [*args, "--seed", "1"]).stdout)
    other = json.loads(runner.invoke(app, [*args, "--seed", "2"]).stdout)
    assert first == again and first["kl_estimator_mc"] != other["kl_estimator_mc"]
    assert abs(first["kl_estimator_mc"][0] - first["kl_estimator"][0]) <= 4 * first["kl_estimator_mc_stderr"][0]


def test_table(app):
    result = runner.invoke(app, ["bon", "--dist", "verifier-0.2", "--n", "1,8"])
    assert result.exit_code == 0
    assert "verifier-0.2" in result.stdout and "E[d_n]" in result.stdout and "1.6094" in result.stdout


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        ({"probs": [0.5, 0.4], "rewards": [0, 1]}, [], ["probs", "off by -0.1"]),
        ({"probs": [0.5, -0.5, 1.0], "rewards": [0, 1, 2]}, [], ["probs", "-0.5", "non-negative"]),
        ({"probs": [0.5, 0.5], "rewards": [0]}, [], ["rewards", "1 rewards for 2 probabilities"]),
        ({"probs": [], "rewards": []}, [], ["probs", "empty"]),
        ({"p": [1.0]}, [], ["--input", "keys"]),
        ({"probs": [1.0], "rewards": [0]}, ["--n", "4,0"], ["--n", "'0'", "n ≥ 1"]),
        ({"probs": [1.0], "rewards": [0]}, ["--dist", "ties-demo"], ["--input/--dist", "one of them"]),
    ],
)
def test_bad_input_exits_with_named_field(app, tmp_path, content, args, words):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps(content))
    result = runner.invoke(app, ["bon", "--input", str(path), *args, "--json"])
    assert result.exit_code == 2
    assert result.stdout == ""  # nothing on stdout when --json fails
    for word in words:
        assert word in result.stderr


def test_nan_in_json_and_unknown_dist(app, tmp_path):
    path = tmp_path / "ref.json"
    path.write_text('{"probs": [0.5, NaN, 0.5], "rewards": [0, 1, 2]}')
    result = runner.invoke(app, ["bon", "--input", str(path)])
    assert result.exit_code == 2 and "probs" in result.stderr and "nan" in result.stderr
    result = runner.invoke(app, ["bon", "--dist", "nope"])
    assert result.exit_code == 2 and "ties-demo" in result.stderr


def test_plot_writes_png(app, tmp_path):
    out = tmp_path / "bon.png"
    result = runner.invoke(app, ["bon", "plot", "--dist", "ties-demo", "--n", "1,2,4,16", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(app, ["bon", "plot", "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and "--out" in bad.stderr


def test_help_lists_builtins(app):
    result = runner.invoke(app, ["bon", "--help"])
    assert result.exit_code == 0
    for name in ("uniform-100", "zipf-1000", "ties-demo", "continuous-approx"):
        assert name in result.stdout


def test_json_with_draws_is_the_library_report(app):
    # The CLI prints alft.bon's report unchanged: the benchmarks record the same keys and numbers.
    result = runner.invoke(app, ["bon", "--dist", "ties-demo", "--n", "2,8", "--draws", "300", "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    ref = builtin_reference("ties-demo")
    expected = bon_report(ref, [2, 8], monte_carlo_summaries(ref, [2, 8], 300, np.random.default_rng(4)))
    assert json.loads(result.stdout) == expected
    assert {"kl_exact_mc", "win_rate_mc", "kl_estimator_mc_stderr"} <= set(expected)


def test_negative_draws_names_the_option(app):
    result = runner.invoke(app, ["bon", "--draws", "-1"])
    assert result.exit_code == 2 and "--draws: got -1" in result.stderr
