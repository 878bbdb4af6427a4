"""The warm-up: runs, caches, reloads, and (slow test) teaches the policy to stop with <eos>."""

import json

import pytest
import torch

from alft.errors import AlftInputError
from alft.task.arithmetic import ArithmeticConfig
from alft.task.model import ModelConfig
from alft.task.warmup import WarmupConfig, cache_key, warm_up


def test_tiny_warmup_writes_a_loadable_policy(tiny_warmup, tiny_policy):
    model, tokenizer = tiny_policy
    assert not tiny_warmup.cached and tiny_warmup.seconds > 0 and tiny_warmup.final_loss > 0
    assert model.config._name_or_path == str(tiny_warmup.path)
    saved = json.loads((tiny_warmup.path / "config.json").read_text())
    assert saved.get("_name_or_path", str(tiny_warmup.path)) == str(tiny_warmup.path)  # never the staging folder
    assert tokenizer.eos_token == "<eos>" and model.config.hidden_size == WarmupConfig.tiny().model.hidden_size
    assert not (tiny_warmup.path / "trainer").exists()
    assert not list(tiny_warmup.path.parent.glob("*.tmp-*"))  # the staging folder was renamed away


def test_second_call_is_served_from_the_cache(tiny_warmup):
    again = warm_up(WarmupConfig.tiny(), seed=0, cache_dir=tiny_warmup.path.parent.parent, progress=False)
    assert again.cached and again.path == tiny_warmup.path and again.final_loss == tiny_warmup.final_loss


def test_cache_key_depends_on_config_and_seed():
    tiny = WarmupConfig.tiny()
    assert cache_key(tiny, 0) == cache_key(WarmupConfig.tiny(), 0)
    assert cache_key(tiny, 0) != cache_key(tiny, 1)
    assert cache_key(tiny, 0) != cache_key(WarmupConfig(steps=5, batch_size=8, model=tiny.model), 0)


def test_same_seed_same_weights(tmp_path, tiny_policy):
    again = warm_up(WarmupConfig.tiny(), seed=0, cache_dir=tmp_path, progress=False, num_threads=1)
    assert not again.cached
    from alft.task.loading import load_policy

    model, _ = load_policy(str(again.path))
    for a, b in zip(model.parameters(), tiny_policy[0].parameters()):
        assert torch.allclose(a, b, atol=1e-6)


def test_bad_recipe():
    with pytest.raises(AlftInputError, match="steps"):
        WarmupConfig(steps=0)
    with pytest.raises(AlftInputError, match="learning_rate"):
        WarmupConfig(learning_rate=2.0)


@pytest.mark.slow
def test_warmup_teaches_eos(tmp_path):
    config = WarmupConfig(
        steps=150,
        batch_size=32,
        learning_rate=5e-3,
        warmup_steps=10,
        model=ModelConfig(n_layers=1, hidden_size=64, n_heads=2, intermediate_size=128, max_positions=64),
        # the sizes this test was calibrated on (2–4 operations): where a trace ends varies, so <eos> must be learned
        task=ArithmeticConfig(min_ops=2, max_ops=4, max_products=4),
    )
    result = warm_up(config, seed=0, cache_dir=tmp_path, progress=False, num_threads=1)
    from alft.task.arithmetic import generate_problems
    from alft.task.loading import load_policy

    model, tokenizer = load_policy(str(result.path))
    problems = [p for p in generate_problems(64, split="eval", seed=0, unique=True, config=config.task)]

    def eos_probability(texts):
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        with torch.no_grad():
            logits = model(**batch).logits[:, -1]  # left padding: the last position is each text's end
        return torch.softmax(logits, dim=-1)[:, tokenizer.eos_token_id]

    finished = eos_probability([p.prompt + p.completion for p in problems])
    unfinished = eos_probability([p.prompt + p.completion.split("=")[0] + "=" for p in problems])
    # after 150 tiny steps: ≈ 0.48 where a trace ends vs ≈ 0.001 after its first "=" (measured)
    assert finished.mean() > 0.3 and unfinished.mean() < 0.03
