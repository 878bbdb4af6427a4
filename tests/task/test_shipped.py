"""The shipped base policy: checksummed, made by the default recipe, loadable, refused when corrupted."""

import dataclasses
import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

import alft.task.warmup as warmup
from alft.answers import extract_arithmetic
from alft.errors import AlftInputError
from alft.task import base_policy_path
from alft.task.arithmetic import generate_problems
from alft.task.shipped import CHECKSUMS, SHIPPED_DIR, SHIPPED_SEED, verify_checksums


def test_shipped_files_match_their_recorded_checksums():
    assert verify_checksums() == SHIPPED_DIR
    listed = {line.split()[1] for line in (SHIPPED_DIR / CHECKSUMS).read_text().splitlines()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "alft_warmup.json"} <= listed
    assert listed == {p.name for p in SHIPPED_DIR.iterdir()} - {CHECKSUMS}  # nothing unlisted ships


def test_shipped_policy_was_made_by_the_default_recipe():
    record = json.loads((SHIPPED_DIR / "alft_warmup.json").read_text())
    assert record["config"] == dataclasses.asdict(warmup.WarmupConfig()) and record["seed"] == SHIPPED_SEED


def test_default_preset_uses_the_shipped_weights_without_warming_up():
    located = base_policy_path("default")
    assert located.path == SHIPPED_DIR and located.cached and located.seconds == 0.0


def test_shipped_policy_loads_with_from_pretrained_and_answers():
    model = AutoModelForCausalLM.from_pretrained(SHIPPED_DIR)
    tokenizer = AutoTokenizer.from_pretrained(SHIPPED_DIR)
    assert model.config._name_or_path == str(SHIPPED_DIR)  # TRL reloads the reference model from here
    prompts = [p.prompt for p in generate_problems(16, split="eval", seed=0, unique=True)]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left")
    with torch.inference_mode():
        output = model.generate(**batch, max_new_tokens=32, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    texts = tokenizer.batch_decode(output[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    assert sum(extract_arithmetic(text) is not None for text in texts) >= 15  # it finishes its traces


def corrupt_copy(tmp_path):
    copy = tmp_path / "base_policy"
    shutil.copytree(SHIPPED_DIR, copy)
    return copy


def test_a_corrupted_copy_is_refused(tmp_path):
    copy = corrupt_copy(tmp_path)
    weights = bytearray((copy / "model.safetensors").read_bytes())
    weights[-1] ^= 1  # one flipped bit in the last weight
    (copy / "model.safetensors").write_bytes(bytes(weights))
    with pytest.raises(AlftInputError, match="model.safetensors: got sha256 .* expected"):
        verify_checksums(copy)


def test_a_copy_missing_a_file_or_its_checksums_is_refused(tmp_path):
    copy = corrupt_copy(tmp_path)
    (copy / "tokenizer.json").unlink()
    with pytest.raises(AlftInputError, match="tokenizer.json"):
        verify_checksums(copy)
    (copy / CHECKSUMS).unlink()
    with pytest.raises(AlftInputError, match=CHECKSUMS):
        verify_checksums(copy)


def test_tiny_preset_is_the_tiny_warm_up(tiny_warmup, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tiny_warmup.path.parent.parent))
    located = base_policy_path("tiny")
    assert located.path == tiny_warmup.path and located.cached and located.seconds == 0.0


def test_rebuild_writes_a_verified_folder(tiny_warmup, tmp_path, monkeypatch):
    # the recipe is swapped for the tiny one (already warmed up): the real rebuild takes minutes
    tiny = warmup.WarmupConfig.tiny()
    monkeypatch.setattr(warmup, "WarmupConfig", lambda: tiny)
    folder = warmup.rebuild_base_policy(tmp_path / "rebuilt", cache_dir=tiny_warmup.path.parent.parent)
    assert verify_checksums(folder) == folder
    record = json.loads((folder / "alft_warmup.json").read_text())
    assert record["config"] == dataclasses.asdict(tiny) and record["seed"] == SHIPPED_SEED
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert model.config.hidden_size == tiny.model.hidden_size
    for a, b in zip(model.parameters(), AutoModelForCausalLM.from_pretrained(tiny_warmup.path).parameters()):
        assert torch.equal(a, b)


def test_bad_preset_and_nothing_to_do():
    with pytest.raises(AlftInputError, match="preset"):
        base_policy_path("huge")
    with pytest.raises(SystemExit):
        warmup.main([])
