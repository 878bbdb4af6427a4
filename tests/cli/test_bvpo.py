"""``alft bvpo`` through typer's CliRunner: JSON output, the exact report, bad input."""

import json

import pytest
import typer
from typer.testing import CliRunner

from alft.cli import bvpo

# the sizes of tests/bvpo/test_bvpo_compare.py's tiny comparison
TINY = dict(train_prompts=128, steps=2, batch_pairs=2, eval_problems=16, probe_prompts=24, probe_samples=8,
            hybrid_steps=20, length_every=1, variance_batch=2, variance_resamples=2)
APP = typer.Typer()
bvpo.register(APP)
APP.command("noop", hidden=True)(lambda: None)  # keep typer in multi-command mode


@pytest.mark.parametrize("args,message", [
    (["--methods", "alpha=2"], "methods"),
    (["--batch-pairs", "1"], "at least 2 pairs"),
    (["--beta", "0"], "beta"),
])
def test_bad_input_is_one_error_line_and_nothing_written(tmp_path, args, message):
    folder = tmp_path / "run"
    result = CliRunner().invoke(APP, ["bvpo", *args, "--output-dir", str(folder)])
    assert result.exit_code == 2 and "error:" in result.output and message in result.output
    assert not folder.exists()


def test_cli_json_on_a_tiny_run(tmp_path):
    args = ["bvpo", "--methods", "dpo-trace", "--json", "--output-dir", str(tmp_path / "run")]
    for key in ("train_prompts", "steps", "batch_pairs", "eval_problems", "probe_prompts", "probe_samples", "hybrid_steps"):
        args += [f"--{key.replace('_', '-')}", str(TINY[key])]
    result = CliRunner().invoke(APP, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert list(summary["methods"]) == ["dpo-trace"] and summary["settings"]["seed"] == 0


def test_cli_exact_report_is_the_library_report(tmp_path):
    from alft.bvpo.report import exact_report

    result = CliRunner().invoke(APP, ["bvpo", "--exact", "--games", "2", "--batches", "20", "--json", "--seed", "3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == json.loads(json.dumps(exact_report(2, batches=20, seed=3)))
    assert report["checks"]["closed_form_vs_grid_max_gap"] <= 1e-6
    table = CliRunner().invoke(APP, ["bvpo", "--exact", "--games", "2", "--batches", "20"])
    assert table.exit_code == 0 and "relative MSE regret vs α*" in table.output
    bad = CliRunner().invoke(APP, ["bvpo", "--exact", "--batches", "1"])
    assert bad.exit_code == 2 and "--batches" in bad.output
