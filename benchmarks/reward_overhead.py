"""Overhead of alft's answer-level reward on a GRPO step, against a constant reward (target: ≤ 1 %).

One trainer, one run: steps alternate between the alft reward (Coherence with the ``aqp`` table, answers
extracted and grouped with math-verify's fast paths) and a constant reward, so both see the same machine
load. Two measures, both ratios within this run:

* ``ab_overhead``: mean wall time of an alft step / mean wall time of a constant step − 1 (step = generation,
  reward, loss, backward, optimizer; noisy at the 1 % level, so also reported per repeat);
* ``in_step_overhead``: seconds inside the alft reward function / seconds of the rest of its steps
  (the same quantity measured directly, far less noisy).

The policy is the built-in warmed-up model (trained and cached on first use, ≈ 3–5 min) at the default
``alft train`` sizes: K = 8, 8 prompts a step, completions of 32 tokens.

    python benchmarks/reward_overhead.py [--steps 80] [--repeats 4] [--seed 0]

Writes benchmarks/results/reward_overhead.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from transformers import PrinterCallback, TrainerCallback

from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer, answer_reward
from alft.task.arithmetic import prompt_dataset
from alft.task.loading import load_policy
from alft.task.base_policies import base_policy_path

K, PROMPTS, LENGTH = 8, 8, 32


class Alternating:
    """Reward function: alft's on even steps, a constant on odd steps; times its own alft calls."""

    __name__ = "alternating"

    def __init__(self, alft_parity: int) -> None:
        self.alft_parity = alft_parity
        self.alft = answer_reward(K, "coherence", "aqp", extractor="arithmetic", grouper="math", allow_collapse=True)
        self.reward_seconds: dict[int, float] = {}

    def __call__(self, prompts, completions, completion_ids=None, **kwargs):  # noqa: ANN001 — TRL's signature
        step = kwargs["trainer_state"].global_step
        if step % 2 != self.alft_parity:
            return [0.0] * len(completions)
        start = time.perf_counter()
        rewards = self.alft(prompts, completions, completion_ids, **kwargs)
        self.reward_seconds[step] = time.perf_counter() - start
        return rewards


class StepClock(TrainerCallback):
    """Wall time of every optimizer step (from one step end to the next)."""

    def __init__(self) -> None:
        self.times: dict[int, float] = {}
        self.last = None

    def on_step_begin(self, args, state, control, **kwargs):  # noqa: ANN001
        self.last = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
        self.times[state.global_step - 1] = time.perf_counter() - self.last


def one_repeat(policy: str, steps: int, seed: int, output: Path, alft_parity: int) -> dict[str, float]:
    model, tokenizer = load_policy(policy)
    reward, clock = Alternating(alft_parity), StepClock()
    args = AlftGRPOConfig(
        output_dir=str(output), num_generations=K, per_device_train_batch_size=K * PROMPTS,
        max_completion_length=LENGTH, learning_rate=3e-5, lr_scheduler_type="constant", max_steps=steps,
        logging_steps=1, save_strategy="no", seed=seed, use_cpu=True, bf16=False, report_to="none",
        disable_tqdm=True,
    )
    trainer = AlftGRPOTrainer(model=model, reward_funcs=[reward], args=args, processing_class=tokenizer,
                              train_dataset=prompt_dataset(steps * PROMPTS, seed=seed), callbacks=[clock])
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    measured = {s: t for s, t in clock.times.items() if s >= 2}  # the first steps pay one-off costs
    alft_steps = [t for s, t in measured.items() if s % 2 == alft_parity]
    constant_steps = [t for s, t in measured.items() if s % 2 != alft_parity]
    inside = [reward.reward_seconds[s] for s in measured if s in reward.reward_seconds]
    return {
        "alft_step_seconds": statistics.fmean(alft_steps),
        "constant_step_seconds": statistics.fmean(constant_steps),
        "ab_overhead": statistics.fmean(alft_steps) / statistics.fmean(constant_steps) - 1,
        "reward_seconds_per_step": statistics.fmean(inside),
        "in_step_overhead": sum(inside) / (sum(alft_steps) - sum(inside)),
        "steps": len(measured),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=80)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    policy = str(base_policy_path("default").path)
    import tempfile

    repeats = []
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(options.repeats):
            # alft on even steps in one repeat, odd steps in the next: any step-parity effect cancels
            repeats.append(one_repeat(policy, options.steps, options.seed + r, Path(scratch) / str(r), r % 2))
            print(json.dumps(repeats[-1]))
    result = {
        "benchmark": "reward_overhead",
        "target": "alft reward adds ≤ 1 % to a GRPO step against a constant reward",
        "sizes": {"K": K, "prompts_per_step": PROMPTS, "max_completion_length": LENGTH},
        "ab_overhead_median": statistics.median(r["ab_overhead"] for r in repeats),
        "ab_overhead_mean": statistics.fmean(r["ab_overhead"] for r in repeats),
        "in_step_overhead_median": statistics.median(r["in_step_overhead"] for r in repeats),
        "repeats": repeats,
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
    }
    result["meets_target"] = result["in_step_overhead_median"] <= 0.01  # the reward's own cost
    result["ab_meets_target"] = result["ab_overhead_median"] <= 0.01  # whole-step wall time, noisier
    path = Path(__file__).parent / "results" / "reward_overhead.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "repeats"}, indent=2))


if __name__ == "__main__":
    main()
