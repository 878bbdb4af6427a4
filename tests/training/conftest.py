"""Run the CLI in-process on the tiny preset."""

import json

import pytest
import typer
from typer.testing import CliRunner

from alft.cli import train as train_cli


@pytest.fixture(scope="session")
def cli():
    app = typer.Typer()
    train_cli.register(app)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args))

    return invoke


@pytest.fixture(scope="session")
def summary_metrics():
    return _summary_metrics


def _summary_metrics(folder):
    """summary.json without wall-clock fields (what must be identical for the same seed)."""
    summary = json.loads((folder / "summary.json").read_text())
    for part in ("before", "after"):
        for key in ("seconds", "equivalence_seconds"):
            (summary[part] or {}).pop(key, None)
    summary["training"] = {k: v for k, v in summary["training"].items() if "seconds" not in k and "step_time" not in k}
    summary.pop("seconds")
    return summary


@pytest.fixture(scope="session")
def tiny_policy_dir(tmp_path_factory):
    """A tiny model folder saved by the test itself (the "real model" path, no hub)."""
    from alft.task.model import ModelConfig, build_model, save_policy
    from alft.task.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(model_max_length=64)
    config = ModelConfig(n_layers=1, hidden_size=32, n_heads=2, intermediate_size=64, max_positions=64)
    return save_policy(build_model(tokenizer, config, seed=0), tokenizer, tmp_path_factory.mktemp("user_model"))
