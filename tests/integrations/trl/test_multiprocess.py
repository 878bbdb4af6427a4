"""Two CPU processes (torch.distributed, gloo) with groups split between them: the rewards equal the single-process ones exactly.

The per-device batch is 6 completions and K = 4, so the global batch of 12 holds 3 groups and group 1 has
two completions on each process (docs/guides/trl.md). Each process records the gathered completions and the global
reward vector AlftGRPOTrainer used; the test recomputes them in this single process.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from alft.integrations.trl import answer_reward

from mp_helpers import mod3_length

WORKER = Path(__file__).with_name("mp_worker.py")


def _free_port() -> str:
    with socket.socket() as probe:  # port 0 is not accepted by torchrun's static rendezvous
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _launch(policy, out, objective, estimator, attempts=2):
    """Run the 2-process job. A launch that does not finish in time is retried once on a fresh port: one
    stalled once in a full parallel suite (cause not found; a race for the probed port is suspected). A
    second stall fails the test."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "ACCELERATE_USE_CPU": "true"}
    for attempt in range(attempts):
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port",
                   _free_port(), str(WORKER), str(policy), str(out), objective, estimator]
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=150, env=env)
        except subprocess.TimeoutExpired:
            if attempt == attempts - 1:
                raise


@pytest.mark.slow
@pytest.mark.parametrize("objective, estimator", [("coherence", "aqp")])
def test_two_processes_score_split_groups_like_one_process(tiny_policy, tmp_path, objective, estimator):
    # torchrun is what `accelerate launch --multi_cpu` runs underneath; accelerate picks gloo on CPU
    done = _launch(tiny_policy, tmp_path, objective, estimator)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert len(ranks[0]) == len(ranks[1]) == 2  # two GRPO steps on each process
    reference = answer_reward(4, objective, estimator, extractor=mod3_length, grouper="exact", allow_collapse=True)
    for step0, step1 in zip(*ranks):
        assert step0["local_size"] == step1["local_size"] == 6  # groups were split across processes
        assert step0["completions"] == step1["completions"] and step0["rewards"] == step1["rewards"]
        expected = reference(prompts=step0["prompts"], completions=step0["completions"])
        # the trainer's tensor is float32: compare with the single-process rewards rounded the same way
        import torch

        assert step0["rewards"] == torch.tensor(expected, dtype=torch.float32).tolist()
        assert len(set(expected)) > 1  # a non-trivial batch: rewards differ within it
