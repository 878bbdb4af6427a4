"""The sizes of an ``alft train`` run on the built-in task, by preset (docs/concepts/builtin-task.md, measured on
2 CPU cores):

* ``default`` — the shipped 0.53 M-parameter Qwen2 base policy, then the anchored game with K = 8, 8 prompts a
  step, lr 3e-5 (on this task, lr ≥ 1e-4 hacked the reward), evaluated on 1000 held-out problems (greedy + K
  samples) before and after. Whole run ≈ 2 minutes (100 s measured from a fresh install).
* ``tiny`` — a few-step warm-up of a 1-layer, 32-wide model and a handful of GRPO steps: seconds, for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True)
class Preset:
    """Sizes of a run on the built-in task (every field can be overridden by an option).

    Attributes:
        name: preset name, also the built-in base policy's (:func:`alft.task.base_policy_path`).
        num_generations: K.
        prompts_per_step: prompts per optimizer step (the batch is prompts × K completions).
        steps: GRPO optimizer steps.
        learning_rate: GRPO learning rate.
        max_completion_length: tokens per completion.
        train_prompts: distinct training prompts.
        eval_problems: held-out problems evaluated before and after.
        save_steps: checkpoint every this many steps.
        reference_draws: M, answers drawn once per training prompt from the base policy (anchored games).
        probe_prompts: training prompts on which the distance to the predicted equilibrium p* is measured.
        probe_samples: answers sampled per probe prompt for that measurement (before and after training).
        temperature: sampling temperature of GRPO, the reference answers and evaluation.
    """

    name: str
    num_generations: int
    prompts_per_step: int
    steps: int
    learning_rate: float
    max_completion_length: int
    train_prompts: int
    eval_problems: int
    save_steps: int
    reference_draws: int
    probe_prompts: int
    probe_samples: int
    temperature: float


# The default game is the anchored one (docs/concepts/game.md#the-anchor), p* ∝ p_ref^2: s = 2 and M = 64 follow the prototype in
# docs/concepts/builtin-task.md (s = 2 was its best-fitting exponent; with M = 32, 18–27 % of samples fell on unseen answers).
# 256 training prompts, each seen ≈ 6 times in 200 steps, keep the one-off reference sampling near 40 s.
# Temperature 0.7: the shipped base policy's majority-of-8 beats its greedy answer by 6 points there (+3.9 at
# T = 1; benchmarks/results/task_premise.json), the premise of self-consistency (docs/concepts/builtin-task.md).
PRESETS = MappingProxyType(
    {
        "default": Preset("default", num_generations=8, prompts_per_step=8, steps=200, learning_rate=3e-5,
                          max_completion_length=32, train_prompts=256, eval_problems=1000, save_steps=50,
                          reference_draws=64, probe_prompts=64, probe_samples=64, temperature=0.7),
        "tiny": Preset("tiny", num_generations=4, prompts_per_step=2, steps=4, learning_rate=1e-4,
                       max_completion_length=12, train_prompts=32, eval_problems=12, save_steps=2,
                       reference_draws=8, probe_prompts=4, probe_samples=8, temperature=1.0),
    }
)


# A user's --model (not the 0.53 M built-in one) costs far more per completion: the one-off stages keep to these
# sizes unless given. SmolLM2-135M on one CPU core: 0.5–0.9 s per chat completion of 32 tokens, so the built-in
# probe's 64 prompts × 64 samples alone took 13.5 min before and again after training. The probe is off (give
# --probe-prompts to measure the distance to p*); M = 8 draws per training prompt; 4 prompts × K a step.
USER_MODEL_SIZES = MappingProxyType({"eval_problems": 32, "reference_draws": 8, "probe_prompts": 0,
                                     "probe_samples": 16, "prompts_per_step": 4})


def default_size(preset: str, name: str, user_model: bool) -> Any:
    """A size not given explicitly: the preset's, at most :data:`USER_MODEL_SIZES` for a user's model."""
    value = getattr(PRESETS[preset], name)
    return min(value, USER_MODEL_SIZES[name]) if user_model and name in USER_MODEL_SIZES else value


def preset_help(name: str) -> str:
    """``Default: 8 (preset default), 4 (preset tiny).`` — the help text of a size that comes from the preset."""
    cap = USER_MODEL_SIZES.get(name)
    cap = "" if cap is None else f" With --model: at most {cap}." if cap else " With --model: 0 (off) unless given."
    sizes = ", ".join(f"{getattr(preset, name):g} (preset {key})" for key, preset in PRESETS.items())
    return f"Default: {sizes}.{cap}"
