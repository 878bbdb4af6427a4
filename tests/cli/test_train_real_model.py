"""``alft train`` as a TRL user runs it: a model folder, a chat JSONL and TensorBoard, all from one --config file."""

import json
import shutil

import pytest
import yaml

# The template renders the messages and, for generation, the "=" that opens the answer (the built-in
# tokenizer knows only digits and arithmetic signs).
CHAT_TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}={% endif %}"


@pytest.fixture(scope="module")
def chat_model_dir(tiny_policy_dir, tmp_path_factory):
    """The tiny model folder with a chat template in its tokenizer."""
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("chat_model")
    shutil.copytree(tiny_policy_dir, folder, dirs_exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


def _chat_jsonl(path):
    rows = [{"prompt": [{"role": "user", "content": f"{a}+{b}"}], "answer": str(a + b)}
            for a in range(1, 6) for b in range(1, 6)]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _scalar_tags(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    tags = {}
    for events in folder.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events))
        accumulator.Reload()
        tags.update({tag: [e.value for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]})
    return tags


def test_a_config_file_trains_a_model_folder_on_a_chat_jsonl_and_reports_to_tensorboard(cli, tmp_path, chat_model_dir):
    config = tmp_path / "run.yaml"
    config.write_text(yaml.safe_dump({
        "preset": "tiny", "model": str(chat_model_dir), "dataset": str(_chat_jsonl(tmp_path / "chat.jsonl")),
        "steps": 9, "num_generations": 2, "prompts_per_step": 2, "eval_problems": 5, "extractor": "last-number",
        "report_to": "tensorboard", "lora": True, "lora_rank": 2, "lora_alpha": 8, "lora_target_modules": "q_proj,v_proj",
        "gradient_accumulation_steps": 2, "probe_prompts": 2, "probe_samples": 4,
    }) + "lr: 1e-5\n")  # PyYAML reads 1e-5 (no dot) as text: still a number
    folder = tmp_path / "run"
    result = cli("train", "--config", str(config), "--steps", "3", "--output-dir", str(folder), "--json")  # CLI wins
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    settings = summary["settings"]
    assert settings["steps"] == 3 and settings["learning_rate"] == 1e-5 and settings["lora_alpha"] == 8 and settings["lora_target_modules"] == "q_proj,v_proj"
    assert settings["gradient_accumulation_steps"] == 2 and summary["hardware"] == {"device": "cpu", "bf16": False, "processes": 1}
    assert summary["before"]["n_prompts"] == summary["after"]["n_prompts"] == 5
    assert summary["seconds"]["warmup_cached"] is None  # a given model has no warm-up, cached or not
    tags = _scalar_tags(folder)
    assert len(tags["train/alft/answer_entropy"]) == 3 and len(tags["train/reward"]) == 3
    # the before/after evaluation and the distance to p* reach the tracker too, as in summary.json
    assert tags["train/alft_eval/before/greedy_accuracy"] == [pytest.approx(summary["before"]["greedy_accuracy"])]
    assert tags["train/alft_eval/after/greedy_accuracy"] == [pytest.approx(summary["after"]["greedy_accuracy"])]
    assert "train/alft_eval/change/majority_accuracy" in tags
    equilibrium = summary["equilibrium"]
    assert tags["train/alft_equilibrium/after/tv_to_p_star"] == [pytest.approx(equilibrium["after"]["tv_to_p_star"])]
    assert tags["train/alft_equilibrium/before/tv_to_p_star"] == [pytest.approx(equilibrium["before"]["tv_to_p_star"])]
    # the written options re-run the same settings: every key is an option, and the CLI override is kept
    written = yaml.safe_load((folder / "config.yaml").read_text())
    assert written["steps"] == 3 and written["model"] == str(chat_model_dir.resolve())
    assert "output_dir" not in written
    again = cli("train", "--config", str(folder / "config.yaml"), "--output-dir", str(folder), "--json")
    assert again.exit_code == 0, again.output  # same settings: the folder accepts it (a resume of a finished run)


def test_chat_prompts_go_through_the_tokenizer_chat_template(tmp_path, chat_model_dir):
    from alft.task.loading import load_prompts, load_tokenizer, prompt_texts

    data = load_prompts(str(_chat_jsonl(tmp_path / "chat.jsonl")))
    assert data[0]["prompt"] == [{"role": "user", "content": "1+1"}]
    assert prompt_texts(data, load_tokenizer(str(chat_model_dir)))[:2] == ["1+1=", "1+2="]


def test_malformed_chat_messages_name_the_row(tmp_path):
    from alft.errors import AlftInputError
    from alft.task.loading import load_prompts

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"prompt": [{"role": "user"}], "answer": "1"}) + "\n")
    with pytest.raises(AlftInputError, match=r"prompt\[0\]"):
        load_prompts(str(bad))


def _refused(result, folder, *words):
    """One clear error line naming the problem, exit code 2, and nothing written."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1, result.output
    assert all(word in result.stderr for word in words), result.stderr
    assert "Traceback" not in result.output and not folder.exists()


@pytest.mark.parametrize(
    "content, words",
    [({"stpes": 3}, ["'stpes'", "did you mean 'steps'"]),
     ({"steps": "three"}, ["'steps'", "an integer"]),
     ({"lr": "fast"}, ["'lr'", "a number"]),
     ({"lora": "yes"}, ["'lora'", "true or false"]),
     ({"device": "tpu"}, ["'device'", "one of"]),
     ("- just a list", ["a YAML mapping"])],
)
def test_a_bad_config_file_is_one_clear_error_naming_the_key(cli, tmp_path, content, words):
    config = tmp_path / "bad.yaml"
    config.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    _refused(cli("train", "--config", str(config), "--output-dir", str(tmp_path / "run")), tmp_path / "run", *words)


def test_a_chat_dataset_needs_a_chat_template(cli, tmp_path, tiny_policy_dir):
    data = _chat_jsonl(tmp_path / "chat.jsonl")
    result = cli("train", "--preset", "tiny", "--model", str(tiny_policy_dir), "--dataset", str(data),
                 "--output-dir", str(tmp_path / "run"))
    _refused(result, tmp_path / "run", "chat template")


def test_vllm_requested_where_it_is_not_installed_is_refused(cli, tmp_path):
    import importlib.util

    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    _refused(cli("train", "--preset", "tiny", "--use-vllm", "--output-dir", str(tmp_path / "run")), tmp_path / "run",
             "--use-vllm", "not installed")


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_a_device_this_machine_does_not_have_is_refused(cli, tmp_path, tiny_policy_dir, device):
    import torch

    if {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}[device]:
        pytest.skip(f"this machine has {device}")
    _refused(cli("train", "--preset", "tiny", "--model", str(tiny_policy_dir), "--device", device,
                 "--output-dir", str(tmp_path / "run")), tmp_path / "run", "--device", device)


def test_an_unknown_or_missing_tracker_is_refused(cli, tmp_path):
    from transformers.integrations.integration_utils import get_available_reporting_integrations

    _refused(cli("train", "--preset", "tiny", "--report-to", "tensorbord", "--output-dir", str(tmp_path / "run")),
             tmp_path / "run", "--report-to", "tensorbord")
    missing = next(name for name in ("wandb", "trackio", "mlflow") if name not in get_available_reporting_integrations())
    _refused(cli("train", "--preset", "tiny", "--report-to", missing, "--output-dir", str(tmp_path / "run")),
             tmp_path / "run", "--report-to", "not installed")


def test_a_dataset_without_a_model_is_refused(cli, tmp_path):
    data = tmp_path / "train.jsonl"
    data.write_text(json.dumps({"prompt": "What is two plus two?", "answer": "4"}) + "\n")
    _refused(cli("train", "--preset", "tiny", "--dataset", str(data), "--output-dir", str(tmp_path / "run")),
             tmp_path / "run", "--dataset", "--model")


def test_a_bad_model_writes_nothing_so_the_corrected_command_runs(cli, tmp_path, tiny_policy_dir):
    folder = tmp_path / "run"
    _refused(cli("train", "--preset", "tiny", "--model", str(tmp_path / "no-such-model"), "--output-dir", str(folder)),
             folder, "model")
    result = cli("train", "--preset", "tiny", "--steps", "1", "--model", str(tiny_policy_dir), "--eval-problems", "0",
                 "--peer", "ttrl", "--extractor", "last-number", "--output-dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    from alft.cli.train import timing_line

    line = timing_line(json.loads(result.stdout))
    assert line.startswith("time: total") and "warm-up" not in line  # a given model has no warm-up to time

