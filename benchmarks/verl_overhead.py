"""Cost of the verl plugin's advantage step: 1024 uid groups × K = 16 with answers (target: ≤ 20 ms, one core).

The step timed is what verl runs: the registered estimator ``alft_coherence`` (aqp table) called with verl's
arguments inside the answer hand-off, on torch tensors of shape (rows, response length). Answers are
canonical strings as compute_score leaves them: per prompt a few candidate numbers, 5 % unanswered, rows of
one uid scattered over the batch. Reported apart, from the same calls:

* ``equivalence``: finding answer classes (string equality; math-verify only for non-numeric answers);
* ``game_layer``: the adapter's call into ``alft.games`` plus the baseline and scaling;
* ``plugin_own``: everything else (uid grouping, metrics, tensors).

The process is pinned to one core and torch to one thread. ``total_cpu`` is this thread's CPU time (the cost
on one core); the splits are wall times.

With verl installed (its own environment) the same batch also goes through verl's ``compute_advantage`` and,
for scale, verl's built-in ``grpo`` estimator on the same rows; the JSON gives grpo's CPU time over the
plugin's (how many plugin steps fit in one of verl's own GRPO steps).

    python benchmarks/verl_overhead.py [--groups 1024] [--k 16] [--length 256] [--repeats 30] [--seed 0]

Writes benchmarks/results/verl_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from alft.integrations.verl import answers_for_batch
from alft.integrations.verl.estimator import ESTIMATOR_FUNCTIONS
from one_core import pin_to_one_core

TARGET_MS = 20.0
NAME = "alft_coherence"


def make_batch(groups: int, K: int, length: int, seed: int) -> dict:
    """A verl-shaped batch: uids scattered, canonical answers, response masks of random lengths."""
    rng = np.random.default_rng(seed)
    candidates = rng.integers(0, 10_000, size=(groups, 4))
    answers = [
        "" if rng.random() < 0.05 else str(candidates[g, rng.integers(0, 4)]) for g in range(groups) for _ in range(K)
    ]
    uids = [f"uid-{g}" for g in range(groups) for _ in range(K)]
    order = rng.permutation(groups * K)
    lengths = torch.as_tensor(rng.integers(1, length + 1, size=groups * K))
    mask = (torch.arange(length)[None, :] < lengths[:, None]).float()
    scores = torch.zeros(groups * K, length)
    return {
        "answers": [answers[i] for i in order],
        "uids": np.array([uids[i] for i in order], dtype=object),
        "references": [str(candidates[int(uids[i][4:]), 0]) for i in order],
        "token_level_rewards": scores,
        "response_mask": mask,
        "config": {"adv_estimator": NAME, "norm_adv_by_std_in_grpo": True},
    }


def one_step(batch: dict) -> dict[str, float]:
    """One estimator call as verl makes it: wall and CPU seconds of the whole call, and the plugin's split.

    CPU time (this thread's) is the cost on one core; wall time also counts waiting for a core on a loaded
    machine (the JSON records the load average)."""
    cpu = time.thread_time()
    start = time.perf_counter()
    with answers_for_batch(batch["uids"], batch["answers"], batch["references"]) as handed:
        ESTIMATOR_FUNCTIONS[NAME](
            token_level_rewards=batch["token_level_rewards"], response_mask=batch["response_mask"],
            config=batch["config"], index=batch["uids"],
        )
    total, total_cpu = time.perf_counter() - start, time.thread_time() - cpu
    game, equivalence = handed.metrics["alft/estimator_seconds"], handed.metrics["alft/equivalence_seconds"]
    return {"total_cpu": total_cpu, "total": total, "equivalence": equivalence, "game_layer": game,
            "plugin_own": total - game - equivalence}


def verl_steps(batch: dict, repeats: int) -> dict[str, dict[str, float]] | None:
    """CPU and wall ms (min, median) of the same step through verl's compute_advantage, and of verl's own
    GRPO estimator on the same rows; None without verl."""
    try:
        from omegaconf import OmegaConf
        from verl import DataProto
        from verl.trainer.ppo.ray_trainer import compute_advantage
    except ImportError:
        return None
    data = DataProto.from_dict(
        tensors={"token_level_rewards": batch["token_level_rewards"], "response_mask": batch["response_mask"]},
        non_tensors={"uid": batch["uids"], "alft_answer": np.array(batch["answers"], dtype=object)},
    )
    out = {}
    for name in (NAME, "grpo"):
        config = OmegaConf.create({"adv_estimator": name, "norm_adv_by_std_in_grpo": True})
        steps = []
        for _ in range(repeats + 1):  # the first call warms
            cpu, start = time.thread_time(), time.perf_counter()
            with answers_for_batch(batch["uids"], batch["answers"]):
                compute_advantage(data, adv_estimator=name, config=config)
            steps.append({"cpu": time.thread_time() - cpu, "wall": time.perf_counter() - start})
        out[f"compute_advantage_{name}"] = _summary(steps[1:])
    return out


def _summary(steps: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """min and median ms of each timed key."""
    return {key: {"min": 1e3 * min(s[key] for s in steps), "median": 1e3 * statistics.median(s[key] for s in steps)}
            for key in steps[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=1024)
    parser.add_argument("--k", type=int, default=16)
    parser.add_argument("--length", type=int, default=256, help="response length (tokens) of the tensors")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "verl_overhead.json")
    args = parser.parse_args()
    core = pin_to_one_core()
    torch.set_num_threads(1)
    batch = make_batch(args.groups, args.k, args.length, args.seed)
    one_step(batch)  # warm: tables solved and cached, imports done
    ms = _summary([one_step(batch) for _ in range(args.repeats)])
    verl = verl_steps(batch, max(3, args.repeats // 3))
    result = {
        "benchmark": "verl_overhead",
        "target": f"plugin estimator step for {args.groups} groups x K = {args.k} with answers <= {TARGET_MS} ms, one core",
        "sizes": {"groups": args.groups, "K": args.k, "rows": args.groups * args.k, "response_length": args.length},
        "estimator": NAME,
        "step_ms": ms,
        "meets_target_cpu_min": ms["total_cpu"]["min"] <= TARGET_MS,
        "meets_target_cpu_median": ms["total_cpu"]["median"] <= TARGET_MS,
        "meets_target_wall_median": ms["total"]["median"] <= TARGET_MS,
        "game_layer_share_of_wall_min": ms["game_layer"]["min"] / ms["total"]["min"],
        "verl_ms": verl,
        "verl_grpo_over_plugin_step_cpu_median": None if verl is None
        else verl["compute_advantage_grpo"]["cpu"]["median"] / ms["total_cpu"]["median"],
        "verl_grpo_over_alft_compute_advantage_cpu_median": None if verl is None
        else verl["compute_advantage_grpo"]["cpu"]["median"] / verl[f"compute_advantage_{NAME}"]["cpu"]["median"],
        "repeats": args.repeats,
        "seed": args.seed,
        "machine": {"python": platform.python_version(), "cores": os.cpu_count(), "pinned_core": core,
                    "load_average_1min": os.getloadavg()[0], "torch_threads": torch.get_num_threads()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
