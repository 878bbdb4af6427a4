"""``alft train`` end to end on the tiny preset: run folder, JSON output, determinism, resume, bad input."""

import json

import pytest

TINY = ("--preset", "tiny", "--steps", "4", "--save-steps", "2")


def test_train_writes_a_complete_run_folder_and_one_json_object(cli, tmp_path):
    result = cli("train", *TINY, "--output-dir", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)  # stdout holds exactly one JSON object
    folder = tmp_path / "run"
    for name in ("config.json", "metrics.jsonl", "summary.json", "reward.png", "entropy.png", "accuracy.png"):
        assert (folder / name).stat().st_size > 0
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3, 4]
    assert all("alft/answer_entropy" in line and line["estimator"] == "aqp" for line in lines)
    assert summary["before"]["n_prompts"] == summary["after"]["n_prompts"] == 12
    assert (folder / "policy" / "config.json").exists()


def test_table_output_shows_before_and_after(cli, tmp_path):
    result = cli("train", *TINY, "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    assert "greedy accuracy" in result.stdout and "majority-of-K accuracy" in result.stdout and "time:" in result.stdout


def test_same_seed_gives_identical_summary_metrics(cli, tmp_path, summary_metrics):
    for name in ("a", "b"):
        assert cli("train", *TINY, "--seed", "3", "--output-dir", str(tmp_path / name), "--json").exit_code == 0
    assert summary_metrics(tmp_path / "a") == summary_metrics(tmp_path / "b")
    assert cli("train", *TINY, "--seed", "4", "--output-dir", str(tmp_path / "c"), "--json").exit_code == 0
    assert summary_metrics(tmp_path / "c")["training"] != summary_metrics(tmp_path / "a")["training"]


def test_held_out_evaluation_during_training_leaves_the_run_unchanged(cli, tmp_path, summary_metrics):
    plain, probed = tmp_path / "plain", tmp_path / "probed"
    assert cli("train", *TINY, "--seed", "3", "--output-dir", str(plain), "--json").exit_code == 0
    assert cli("train", *TINY, "--seed", "3", "--eval-steps", "2", "--output-dir", str(probed), "--json").exit_code == 0
    during = [json.loads(line) for line in (probed / "evaluation.jsonl").read_text().splitlines()]
    assert [d["step"] for d in during] == [2, 4] and all(d["n_prompts"] == 12 for d in during)
    with_probe = summary_metrics(probed)
    assert [d["step"] for d in with_probe.pop("during")] == [2, 4] and summary_metrics(plain).pop("during") == []
    with_probe["settings"]["eval_steps"] = 0
    without = summary_metrics(plain)
    without.pop("during")
    assert with_probe == without  # forked sampling: the same training and the same final evaluation
    # the evaluation at the last step is the final policy's: the same numbers as "after"
    timing = ("seconds", "equivalence_seconds")
    assert {k: v for k, v in during[-1].items() if k not in timing + ("step",)} == with_probe["after"]


def test_per_problem_outputs_are_what_the_summary_was_computed_from(cli, tmp_path):
    folder = tmp_path / "run"
    summary = json.loads(cli("train", *TINY, "--output-dir", str(folder), "--json").stdout)
    for part in ("before", "after"):
        rows = [json.loads(line) for line in (folder / f"eval_{part}_problems.jsonl").read_text().splitlines()]
        assert len(rows) == summary[part]["n_prompts"] == 12
        assert sum(r["greedy_correct"] for r in rows) / 12 == summary[part]["greedy_accuracy"]
        assert sum(r["majority_correct"] for r in rows) / 12 == summary[part]["majority_accuracy"]
        assert all(len(r["samples"]) == len(r["samples_correct"]) == summary[part]["k"] for r in rows)


def test_interrupted_run_resumes_from_its_last_checkpoint_without_duplicate_steps(cli, tmp_path):
    import shutil

    folder = tmp_path / "run"
    assert cli("train", *TINY, "--output-dir", str(folder), "--json").exit_code == 0
    # the state an interruption during step 3–4 leaves: checkpoint-2 only, no summary, no final policy
    shutil.rmtree(folder / "checkpoints" / "checkpoint-4")
    shutil.rmtree(folder / "policy")
    (folder / "summary.json").unlink()
    lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    lines[0]["marker"] = True  # a line from before the checkpoint must survive the resume untouched
    (folder / "metrics.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines[:3]))
    assert cli("train", *TINY, "--output-dir", str(folder), "--json").exit_code == 0
    resumed = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in resumed] == [1, 2, 3, 4]
    assert resumed[0].get("marker") is True  # not rewritten: training continued from step 2
    assert (folder / "summary.json").exists()


def test_a_different_setting_on_an_existing_folder_is_refused(cli, tmp_path):
    assert cli("train", *TINY, "--output-dir", str(tmp_path / "run"), "--json").exit_code == 0
    result = cli("train", *TINY, "--seed", "9", "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 2 and "--seed" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (("--num-generations", "1"), "--num-generations"),
        (("--objective", "harmony"), "objective"),
        (("--estimator", "nope"), "estimator"),
        (("--lr", "-1"), "--lr"),
    ],
)
def test_bad_options_are_clear_errors(cli, tmp_path, args, message):
    result = cli("train", *TINY, *args, "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "run" / "checkpoints").exists()  # refused before any work


def test_empty_dataset_and_missing_prompt_column_are_clear_errors(cli, tmp_path, tiny_policy_dir):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    no_prompt = tmp_path / "no_prompt.jsonl"
    no_prompt.write_text('{"question": "1+1=", "answer": "2"}\n')
    for data in (empty, no_prompt):
        result = cli("train", *TINY, "--model", str(tiny_policy_dir), "--dataset", str(data),
                     "--output-dir", str(tmp_path / data.stem))
        assert result.exit_code == 2 and "error" in result.stderr, result.output


def test_real_model_folder_and_jsonl_dataset_with_lora(cli, tmp_path, tiny_policy_dir):
    from transformers import AutoModelForCausalLM

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps({"prompt": f"{a}+{b}=", "answer": str(a + b)}) + "\n"
                            for a in range(1, 6) for b in range(1, 6)))
    folder = tmp_path / "run"
    result = cli("train", "--preset", "tiny", "--steps", "2", "--model", str(tiny_policy_dir), "--dataset", str(data),
                 "--lora", "--lora-rank", "2", "--num-generations", "2", "--eval-problems", "5",
                 "--extractor", "last-number", "--output-dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["before"]["n_prompts"] == summary["after"]["n_prompts"] == 5
    assert summary["settings"]["lora"] is True
    AutoModelForCausalLM.from_pretrained(folder / "policy")  # merged LoRA weights reload as a plain model


def test_the_reward_is_validated_once_before_step_one_and_only_looked_up_per_step(cli, tmp_path, monkeypatch):
    """One Reward is built per entry point and carried: the CLI builds it, the settings, the TRL config and the
    reward function receive it unchanged; its K-dependent checks run once per group size (later calls are a
    cache lookup), so a step pays no validation."""
    from alft.games import reward as reward_module

    reward_module._prepared.cache_clear()  # what earlier tests in this process prepared
    built, checked = [], []
    post_init, trainable = reward_module.Reward.__post_init__, reward_module.check_trainable
    monkeypatch.setattr(reward_module.Reward, "__post_init__", lambda self: (built.append(1), post_init(self))[1])
    monkeypatch.setattr(reward_module, "check_trainable", lambda e: (checked.append(e.K), trainable(e))[1])
    result = cli("train", *TINY, "--output-dir", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output
    assert len(built) == 1  # the CLI's Reward, nowhere rebuilt
    assert checked == [4]  # the table's trainability at K = 4, once over 4 steps and the preflight


def test_probe_options_size_the_equilibrium_probe_and_zero_turns_it_off(cli, tmp_path):
    result = cli("train", *TINY, "--probe-prompts", "2", "--probe-samples", "3", "--output-dir", str(tmp_path / "a"), "--json")
    assert result.exit_code == 0, result.output
    after = json.loads(result.stdout)["equilibrium"]["after"]
    assert (after["n_prompts"], after["samples_per_prompt"]) == (2, 3)
    assert "equilibrium probe 2 prompts × 3 samples = 6 completions" in result.stderr  # the cost, before it runs
    off = cli("train", *TINY, "--probe-prompts", "0", "--output-dir", str(tmp_path / "b"), "--json")
    assert off.exit_code == 0, off.output
    assert json.loads(off.stdout)["equilibrium"] is None and not (tmp_path / "b" / "equilibrium_before.json").exists()


def test_every_stage_says_what_it_will_generate_before_it_starts(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))  # the tiny warm-up and the references made here
    result = cli("train", *TINY, "--output-dir", str(tmp_path / "run"), "--json")
    assert result.exit_code == 0, result.output
    log = result.stderr
    assert "reference answers: 32 training prompts × 8 draws = 256 completions" in log
    assert log.count("12 problems × (1 greedy + 4 samples) = 60 completions") == 2  # before and after
    assert "GRPO: 4 steps × 2 prompts × K=4 = 32 completions" in log
    assert "warm-up cached after the first run" not in log
    assert "Loading weights" not in log and "Writing model shards" not in log  # no library bars by default
    assert "it/s]" not in log  # nor the warm-up's tqdm bar, nor the bars it used to switch back on
    again = cli("train", *TINY, "--output-dir", str(tmp_path / "again"), "--json")
    assert "reference answers (all 32 prompts cached): 32/32 done" in again.stderr


def test_log_completions_writes_its_files_and_keeps_the_console_quiet(cli, tmp_path):
    folder = tmp_path / "run"
    result = cli("train", *TINY, "--log-completions", "--output-dir", str(folder), "--json")
    assert result.exit_code == 0, result.output
    assert len(list((folder / "checkpoints" / "completions").glob("*.parquet"))) == 4
    assert "Completion" in (folder / "completions.txt").read_text()  # TRL's table, one per step
    assert "Completion" not in result.output and len(result.stderr.splitlines()) < 40
