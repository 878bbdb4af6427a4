"""A TRL user's script: GRPOTrainer + answer_reward(8) on a dataset written by ``alft references`` trains the
anchored game; the same script with a collapsing objective and no switch raises before step 1."""

from __future__ import annotations

import json
import math

import pytest
from datasets import load_dataset
from transformers import AutoTokenizer, PrinterCallback
from trl import GRPOConfig, GRPOTrainer
from typer.testing import CliRunner

from alft.cli import app
from alft.errors import AlftInputError
from alft.integrations.trl import answer_reward

K = 8


@pytest.fixture
def dataset_with_references(tiny_policy, tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))
    rows = [{"prompt": f"{a}+{b}=", "answer": str(a + b)} for a in range(1, 4) for b in range(1, 4)]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = CliRunner().invoke(app, ["references", "--model", str(tiny_policy), "--dataset", str(tmp_path / "data.jsonl"),
                                      "--extractor", "last-number", "-m", "8", "--max-completion-length", "4",
                                      "-o", str(tmp_path / "with_refs.jsonl")])
    assert result.exit_code == 0, result.output
    return load_dataset("json", data_files=str(tmp_path / "with_refs.jsonl"), split="train")


def _args(tmp_path):
    return GRPOConfig(output_dir=str(tmp_path / "out"), num_generations=K, per_device_train_batch_size=K * 2,
                      max_completion_length=4, max_steps=2, learning_rate=1e-3, use_cpu=True, bf16=False,
                      report_to="none", save_strategy="no", logging_steps=1, disable_tqdm=True, seed=0)


def test_the_default_reward_trains_the_anchored_game_on_the_written_dataset(tiny_policy, tmp_path,
                                                                           dataset_with_references):
    reward = answer_reward(K, extractor="last-number")
    assert reward.reward.objective.sharpening == pytest.approx(2.0)  # the anchored game, p* ∝ p_ref^2
    trainer = GRPOTrainer(model=str(tiny_policy), reward_funcs=reward, args=_args(tmp_path),
                          train_dataset=dataset_with_references,
                          processing_class=AutoTokenizer.from_pretrained(tiny_policy))
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    logs = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(logs) == 2 and all(math.isfinite(entry["reward"]) for entry in logs)
    assert reward.last is not None and reward.last.game.rewards.size == 2 * K  # scored with its reference counts


def test_a_collapsing_objective_without_the_switch_raises_before_step_one():
    with pytest.raises(AlftInputError, match="allow_collapse=True"):
        answer_reward(K, "coherence")


def test_the_anchored_reward_without_the_column_names_the_command(tiny_policy, tmp_path):
    data = load_dataset("json", data_files=str(_plain_data(tmp_path)), split="train")
    trainer = GRPOTrainer(model=str(tiny_policy), reward_funcs=answer_reward(K, extractor="last-number"),
                          args=_args(tmp_path), train_dataset=data,
                          processing_class=AutoTokenizer.from_pretrained(tiny_policy))
    with pytest.raises(AlftInputError, match="reference_answers.*alft references"):
        trainer.train()


def _plain_data(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"{a}+1="}) + "\n" for a in range(4)))
    return path
