"""SmolLM2-135M-Instruct (a GGUF file) through every user path on CPU: loading, ``alft references``, two GRPO
steps of ``alft train`` on chat prompts, plain-text prompts warned of before training, and a TRL script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from alft.cli import app

from llm_helpers import write_jsonl

pytestmark = pytest.mark.slow
SMALL = ("--max-completion-length", "16", "--seed", "0")


def alft(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def references_file(gguf_model, chat_problems, tmp_path_factory):
    output = tmp_path_factory.mktemp("references") / "with_refs.jsonl"
    result = alft("references", "--model", str(gguf_model), "--dataset", str(chat_problems), "-m", "2", *SMALL,
                  "--device", "cpu", "-o", str(output), "--json")
    assert result.exit_code == 0, result.output
    return output, json.loads(result.stdout), result.stderr


def test_the_gguf_loads_as_a_chat_causal_lm_converted_once_to_a_cached_folder(gguf_model):
    from alft.task.loading import load_policy, loadable_model

    model, tokenizer = load_policy(str(gguf_model))
    assert type(model).__name__ == "LlamaForCausalLM" and 130e6 < model.num_parameters() < 140e6
    assert tokenizer.chat_template is not None and tokenizer.padding_side == "left"
    folder = Path(loadable_model(str(gguf_model)))
    assert folder.name.startswith("SmolLM2-135M-Instruct.Q4_1-") and (folder / "model.safetensors").is_file()
    stamp = (folder / "config.json").stat().st_mtime_ns
    assert loadable_model(str(gguf_model.parent)) == str(folder)  # the folder holding the file: the same model
    assert (folder / "config.json").stat().st_mtime_ns == stamp  # read from the cache, not converted again


def test_alft_references_draws_from_the_gguf_on_chat_prompts(references_file):
    output, summary, log = references_file
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == summary["prompts"] == 10 and summary["draws"] == 2
    assert all(len(json.loads(row["reference_answers"])) == 2 for row in rows)
    assert summary["unanswered_rate"] < 1.0  # the chat template applied: the model answers
    assert "Converting" not in log and "Loading weights" not in log


def test_two_grpo_steps_of_alft_train_on_chat_prompts(gguf_model, chat_problems, tmp_path):
    folder = tmp_path / "run"
    result = alft("train", "--model", str(gguf_model), "--dataset", str(chat_problems), "--device", "cpu",
                  "--steps", "2", "--prompts-per-step", "2", "-k", "4", "--reference-draws", "2",
                  "--probe-prompts", "2", "--probe-samples", "2", *SMALL, "-o", str(folder), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["training"]["steps_logged"] == 2
    assert summary["before"]["n_prompts"] == summary["after"]["n_prompts"] == 2  # 10 rows: 1/5 held out
    equilibrium = summary["equilibrium"]  # the probe ran before and after at the size asked for (a prompt counts
    assert equilibrium["before"]["samples_per_prompt"] == equilibrium["after"]["samples_per_prompt"] == 2
    assert equilibrium["after"]["n_prompts"] <= 2  # when one of its M = 2 reference answers was readable)
    assert summary["settings"]["model"] == str(gguf_model)  # the user's file, not the cache folder
    assert "plain text" not in result.stderr  # chat prompts: no format warning
    for cost in ("training prompts: 4 of the dataset's 8", "4 training prompts × 2 draws = 8 completions",
                 "2 problems × (1 greedy + 4 samples) = 10",
                 "GRPO: 2 steps × 2 prompts × K=4 = 16 completions"):
        assert cost in result.stderr
    from transformers import AutoModelForCausalLM

    assert type(AutoModelForCausalLM.from_pretrained(folder / "policy")).__name__ == "LlamaForCausalLM"


def test_plain_text_prompts_to_the_chat_model_are_warned_of_before_the_first_step(gguf_model, tmp_path):
    rows = [{"prompt": f"What is {a} plus {b}?", "answer": str(a + b)} for a in range(2, 6) for b in range(3, 5)]
    data = write_jsonl(tmp_path / "plain.jsonl", rows)
    result = alft("train", "--model", str(gguf_model), "--dataset", str(data), "--device", "cpu", "--peer", "ttrl",
                  "--steps", "1", "--prompts-per-step", "2", "-k", "2", "--eval-problems", "0",
                  "--max-completion-length", "8", "-o", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output
    log = result.stderr
    warning = log.find("column holds plain text, but")
    assert 0 <= warning < log.find("GRPO:"), log  # before training starts
    assert "chat template" in log[warning:warning + 300]


def test_a_trl_script_trains_the_gguf_on_the_written_references(gguf_model, references_file, tmp_path, capsys):
    from trl_script import main  # examples/gguf_chat/trl_script.py

    output, _, _ = references_file
    main(["--model", str(gguf_model), "--dataset", str(output), "--output-dir", str(tmp_path / "trl"), "--steps", "2",
          "--num-generations", "2", "--prompts-per-step", "2", "--max-completion-length", "12"])
    printed = capsys.readouterr().out
    assert "step 1: reward" in printed and "step 2: reward" in printed
    assert (tmp_path / "trl" / "model.safetensors").is_file()
