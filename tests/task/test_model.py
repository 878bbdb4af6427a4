"""The built-in model: size, seeding, saving with _name_or_path, reloading."""

import pytest
import torch
from transformers import AutoModelForCausalLM

from alft.errors import AlftInputError
from alft.task.model import ModelConfig, build_model, count_parameters, save_policy
from alft.task.tokenizer import build_tokenizer

TOKENIZER = build_tokenizer()


def test_default_size_is_about_half_a_million():
    model = build_model(TOKENIZER)
    assert 0.45e6 < count_parameters(model) < 0.6e6
    assert model.config.num_hidden_layers == 2 and model.config.hidden_size == 128
    assert model.generation_config.eos_token_id == TOKENIZER.eos_token_id


def test_seeded_weights_and_untouched_global_rng():
    small = ModelConfig(n_layers=1, hidden_size=16, n_heads=2, intermediate_size=32)
    state = torch.random.get_rng_state()
    a, b, c = (build_model(TOKENIZER, small, seed=seed) for seed in (1, 1, 2))
    assert torch.equal(torch.random.get_rng_state(), state)
    weights = lambda m: torch.cat([p.flatten() for p in m.parameters()])  # noqa: E731
    assert torch.equal(weights(a), weights(b)) and not torch.equal(weights(a), weights(c))


def test_save_points_name_or_path_at_the_folder_and_reloads(tmp_path):
    small = ModelConfig(n_layers=1, hidden_size=16, n_heads=2, intermediate_size=32)
    model = build_model(TOKENIZER, small)
    folder = save_policy(model, TOKENIZER, tmp_path / "policy")
    assert model.config._name_or_path == str(folder)
    reloaded = AutoModelForCausalLM.from_pretrained(folder)
    assert reloaded.config._name_or_path == str(folder)
    ids = torch.tensor([TOKENIZER("3+4=")["input_ids"]])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, reloaded(ids).logits)


def test_bad_sizes():
    with pytest.raises(AlftInputError, match="hidden_size"):
        ModelConfig(hidden_size=30, n_heads=4)
    with pytest.raises(AlftInputError, match="n_layers"):
        ModelConfig(n_layers=0)
