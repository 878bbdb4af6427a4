"""``alft references``: a dataset written back with M reference answers per prompt (JSONL, Parquet or verl's
layout), the same file after a kill and a re-run, another model's answers never reused, bad input refused
before anything is written, and the written file is a dataset ``alft train`` reads without drawing."""

import importlib.util
import json

import pytest
import typer
from typer.testing import CliRunner

from alft.cli import references as references_cli
from alft.cli import train as train_cli

DRAW = ("--extractor", "last-number", "-m", "4", "--max-completion-length", "4", "--temperature", "1.0")


@pytest.fixture(scope="module")
def cli():
    app = typer.Typer()
    references_cli.register(app)
    train_cli.register(app)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))


def _model(folder, seed):
    from alft.task.model import ModelConfig, build_model, save_policy
    from alft.task.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(model_max_length=64)
    config = ModelConfig(n_layers=1, hidden_size=32, n_heads=2, intermediate_size=64, max_positions=64)
    return save_policy(build_model(tokenizer, config, seed=seed), tokenizer, folder)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Two tiny models (other weights), saved by the test (no hub)."""
    return [_model(tmp_path_factory.mktemp(f"model{seed}"), seed) for seed in (0, 1)]


@pytest.fixture
def data(tmp_path):
    """20 prompts (3 chunks of the cache) in a column named "question", with answers."""
    rows = [{"question": f"{a}+{b}=", "answer": str(a + b), "id": i} for i, (a, b) in
            enumerate((a, b) for a in range(1, 6) for b in range(1, 5))]
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _references(cli, model, data, output, *extra):
    result = cli("references", "--model", model, "--dataset", data, "--prompt-column", "question", *DRAW,
                 "-o", output, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _rows(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_dataset_is_written_back_with_a_reference_column(cli, models, data, tmp_path):
    summary = _references(cli, models[0], data, tmp_path / "out.jsonl")
    rows = _rows(tmp_path / "out.jsonl")
    assert summary["prompts"] == len(rows) == 20 and summary["draws"] == 4 and summary["layout"] == "dataset"
    assert [r["question"] for r in rows] == [r["question"] for r in _rows(data)]  # the user's columns, unchanged
    assert set(rows[0]) == {"question", "answer", "id", "reference_answers"}
    answers = [json.loads(r["reference_answers"]) for r in rows]
    assert all(len(a) == 4 and all(x is None or isinstance(x, str) for x in a) for a in answers)
    assert summary["unanswered_rate"] == sum(x is None for a in answers for x in a) / 80
    again = _references(cli, models[0], tmp_path / "out.jsonl", tmp_path / "again.jsonl")  # its column replaced
    assert again["drawn_now"] == 0 and (tmp_path / "again.jsonl").read_bytes() == (tmp_path / "out.jsonl").read_bytes()


def test_a_killed_run_re_run_writes_the_same_file_as_an_uninterrupted_one(cli, models, data, tmp_path, monkeypatch):
    import alft.task.evaluate

    sample, calls = alft.task.evaluate.sample_answers, []

    def killed_after_one_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise KeyboardInterrupt
        return sample(*args, **kwargs)

    output = tmp_path / "out.jsonl"
    with monkeypatch.context() as patch:
        patch.setattr(alft.task.evaluate, "sample_answers", killed_after_one_chunk)
        killed = cli("references", "--model", models[0], "--dataset", data, "--prompt-column", "question", *DRAW,
                     "-o", output)
    assert killed.exit_code == 130 and "run the same command again" in killed.stderr
    assert not output.exists() and list(tmp_path.glob(".out.jsonl*")) == []
    resumed = _references(cli, models[0], data, output)
    assert resumed["drawn_now"] == 12  # the first chunk (8 prompts) came from the cache
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "fresh-cache"))
    uninterrupted = _references(cli, models[0], data, tmp_path / "uninterrupted.jsonl")
    assert uninterrupted["drawn_now"] == 20
    assert output.read_bytes() == (tmp_path / "uninterrupted.jsonl").read_bytes()


def test_an_output_of_another_model_is_redrawn_not_reused(cli, models, data, tmp_path):
    output = tmp_path / "out.jsonl"
    first = _references(cli, models[0], data, output)
    from_first = output.read_bytes()
    second = _references(cli, models[1], data, output)
    assert second["file"] != first["file"] and second["drawn_now"] == 20
    assert output.read_bytes() != from_first
    _references(cli, models[1], data, tmp_path / "other.jsonl")
    assert output.read_bytes() == (tmp_path / "other.jsonl").read_bytes()


def test_parquet_and_verl_layouts_hold_the_same_answers(cli, models, data, tmp_path):
    import pandas

    _references(cli, models[0], data, tmp_path / "out.jsonl")
    summary = _references(cli, models[0], data, tmp_path / "out.parquet")
    assert summary["drawn_now"] == 0  # the same set, from the cache
    verl = _references(cli, models[0], data, tmp_path / "verl.parquet", "--verl")
    assert verl["layout"] == "verl"
    expected = [json.loads(r["reference_answers"]) for r in _rows(tmp_path / "out.jsonl")]
    table = pandas.read_parquet(tmp_path / "out.parquet")
    assert [json.loads(r) for r in table["reference_answers"]] == expected
    rows = pandas.read_parquet(tmp_path / "verl.parquet").to_dict("records")
    assert list(rows[0]) == ["data_source", "prompt", "ability", "reward_model", "extra_info"]
    assert rows[3]["data_source"] == "data" and list(rows[3]["prompt"]) == [{"role": "user", "content": "1+4="}]
    assert rows[3]["reward_model"] == {"style": "rule", "ground_truth": "5"}
    assert [r["extra_info"]["index"] for r in rows] == list(range(20))
    assert [list(r["extra_info"]["reference_answers"]) for r in rows] == [
        ["" if a is None else a for a in row] for row in expected]


def test_the_plain_summary_says_where_it_wrote_and_what(cli, models, data, tmp_path):
    result = cli("references", "--model", models[0], "--dataset", data, "--prompt-column", "question", *DRAW,
                 "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert f"wrote {tmp_path / 'out.jsonl'}" in text and "20 prompts × M = 4 reference answers" in text
    assert "unanswered" in text and "20 prompts drawn now" in text


@pytest.mark.slow
def test_the_built_in_task_s_file_is_a_dataset_alft_train_reads_without_drawing(cli, tmp_path, monkeypatch):
    output = tmp_path / "tiny.jsonl"
    result = cli("references", "--preset", "tiny", "-o", output, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["prompts"] == 32 and summary["draws"] == 8  # the tiny run's training prompts and M
    monkeypatch.setattr("alft.task.evaluate.sample_answers", lambda *a, **k: pytest.fail("drew references"))
    trained = cli("train", "--preset", "tiny", "--model", summary["model"], "--dataset", output, "--extractor",
                  "arithmetic", "--steps", "1", "--eval-problems", "0", "--output-dir", tmp_path / "run", "--json")
    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["references"]["source"] == "dataset column reference_answers"


@pytest.mark.parametrize("options, words", [
    (("--prompt-column", "prompt"), ["prompt_column", "'prompt'", "'question'"]),
    (("--prompt-column", "question", "-m", "0"), ["--reference-draws", "got 1"]),
    (("--prompt-column", "question", "-m", "256"), ["--reference-draws", "got 257", "2..256"]),
    (("--prompt-column", "question", "-o", "out.csv"), ["--output", "out.csv", ".jsonl or .parquet"]),
    (("--prompt-column", "question", "--verl", "-o", "out.jsonl"), ["--output", "verl's RL layout is Parquet"]),
    (("--prompt-column", "question", "--temperature", "0"), ["--temperature"]),
])
def test_bad_input_is_one_clear_error_and_nothing_is_written(cli, models, data, tmp_path, monkeypatch, options, words):
    monkeypatch.chdir(tmp_path)
    result = cli("references", "--model", models[0], "--dataset", data, "-o", "out.jsonl", *options)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1, result.output
    assert all(word in result.stderr for word in words), result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "cache") == ["data.jsonl"]  # no output, no partial
    assert not (tmp_path / "cache" / "references").exists() and "Traceback" not in result.output


def test_vllm_asked_for_where_it_is_not_installed_is_refused(cli, models, data, tmp_path):
    if importlib.util.find_spec("vllm") is not None:
        pytest.skip("vLLM is installed here")
    result = cli("references", "--model", models[0], "--dataset", data, "--prompt-column", "question", "--use-vllm",
                 "-o", tmp_path / "out.jsonl")
    assert result.exit_code == 2 and "--use-vllm" in result.stderr and "not installed" in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.slow
def test_two_processes_write_the_file_one_process_writes(cli, models, data, tmp_path):
    """torchrun (what accelerate launch runs; gloo on CPU): the chunks are split between the processes and
    seeded by their index, so the answers, the cache file and the output are those of one process."""
    import os
    import socket
    import subprocess
    import sys

    single = _references(cli, models[0], data, tmp_path / "one.jsonl")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "ACCELERATE_USE_CPU": "true",
           "ALFT_CACHE_DIR": str(tmp_path / "two-cache")}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", port,
               "-m", "alft.cli", "references", "--model", str(models[0]), "--dataset", str(data), "--prompt-column",
               "question", *DRAW, "-o", str(tmp_path / "two.jsonl"), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["drawn_now"] == 20 and done.stdout.count("{") == 1  # the main process reports
    assert (tmp_path / "two.jsonl").read_bytes() == (tmp_path / "one.jsonl").read_bytes()
    cache = tmp_path / "two-cache" / "references" / single["file"]
    assert cache.read_bytes() == (tmp_path / "cache" / "references" / single["file"]).read_bytes()
