"""``alft train`` on 2 CPU processes (torchrun, what ``accelerate launch`` runs; gloo): the rewards the trainer
used, with groups split between the processes, equal the single-process reward of the same completions exactly.

3 prompts × K = 4 are 12 completions a step, 6 per process: the middle group has 2 completions on each.
``--log-completions`` makes TRL write each step's prompts, completions and rewards (gathered from both
processes) to Parquet; the test recomputes the rewards here, in one process.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

ARGS = ("--preset", "tiny", "--objective", "coherence", "--allow-collapse", "--extractor", "last-number",
        "--grouper", "exact", "-k", "4", "--prompts-per-step", "3", "--steps", "2", "--eval-problems", "0",
        "--max-completion-length", "2",  # one or two characters: answers often agree, so rewards differ
        "--log-completions")


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


@pytest.mark.slow
def test_two_processes_give_the_single_process_rewards(tmp_path, tiny_policy_dir):
    import pandas
    import torch

    from alft.integrations.trl import answer_reward

    folder = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "ACCELERATE_USE_CPU": "true"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", _free_port(),
               "-m", "alft.cli", "train", *ARGS, "--model", str(tiny_policy_dir), "--output-dir", str(folder), "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["hardware"]["processes"] == 2
    assert [json.loads(line)["step"] for line in (folder / "metrics.jsonl").read_text().splitlines()] == [1, 2]
    steps = sorted((folder / "checkpoints" / "completions").glob("completions_*.parquet"))
    assert len(steps) == 2
    reference = answer_reward(4, "coherence", "aqp", extractor="last-number", grouper="exact", allow_collapse=True)
    for path in steps:
        table = pandas.read_parquet(path)
        assert len(table) == 12 and table["prompt"].nunique() == 3  # the whole global batch, from both processes
        expected = reference(prompts=list(table["prompt"]), completions=list(table["completion"]))
        assert list(table[reference.__name__]) == torch.tensor(expected, dtype=torch.float32).tolist()
        assert len(set(expected)) > 1  # a non-trivial batch: rewards differ within it
