"""A tiny model saved to a folder by the tests themselves (no hub download), and a tiny prompt dataset."""

from pathlib import Path

import pytest


def save_tiny_policy(folder: Path, seed: int = 0) -> Path:
    """A 1-layer, 32-wide Qwen2 with the built-in character tokenizer, saved to ``folder``."""
    from alft.task.model import ModelConfig, build_model, save_policy
    from alft.task.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(model_max_length=64)
    config = ModelConfig(n_layers=1, hidden_size=32, n_heads=2, intermediate_size=64, max_positions=64)
    return save_policy(build_model(tokenizer, config, seed=seed), tokenizer, folder)


@pytest.fixture(scope="session")
def tiny_policy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_policy(tmp_path_factory.mktemp("tiny_policy"))
