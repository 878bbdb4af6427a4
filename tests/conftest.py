"""Repo-wide: solved tables and warm-ups go to a per-session temporary cache, never the user's; the CLI run
in-process; a tiny model folder written by the test session itself."""

import json
import os

import pytest
import typer
from hypothesis import settings
from typer.testing import CliRunner

from alft.cli import train as train_cli

# CI shares 2 cores with xdist workers: no per-example deadline, and a fixed example sequence so a red run
# reproduces exactly.
settings.register_profile("alft", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("alft")


@pytest.fixture(autouse=True, scope="session")
def _alft_cache(tmp_path_factory):
    previous = os.environ.get("ALFT_CACHE_DIR")
    os.environ["ALFT_CACHE_DIR"] = str(tmp_path_factory.mktemp("alft-cache"))
    yield
    if previous is None:
        del os.environ["ALFT_CACHE_DIR"]
    else:
        os.environ["ALFT_CACHE_DIR"] = previous


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
