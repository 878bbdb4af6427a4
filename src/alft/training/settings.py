"""What one ``alft train`` run does: a frozen :class:`TrainSettings`, filled from a preset and options.

Presets size the built-in task (docs/concepts/builtin-task.md, measured on 2 CPU cores):

* ``default`` — the shipped 0.53 M-parameter Qwen2 base policy, then the anchored game with K = 8, 8 prompts a
  step, lr 3e-5 (on this task, lr ≥ 1e-4 hacked the reward), evaluated on 1000 held-out problems (greedy + K
  samples) before and after. Whole run ≈ 2 minutes (100 s measured from a fresh install).
* ``tiny`` — a few-step warm-up of a 1-layer, 32-wide model and a handful of GRPO steps: seconds, for tests.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from alft.errors import require
from alft.estimators.counts import check_group_size
from alft.games import Reward
from alft.games.objectives import Objective, sharpened

SCALE_REWARDS = ("group", "batch", "none")
DEVICES = ("auto", "cpu", "cuda", "mps")
VLLM_MODES = ("colocate", "server")  # TRL's GRPOConfig.vllm_mode
# Settings that do not change a run's numbers: a resumed run may change them (config.json check).
NOT_COMPARED = ("report_to", "log_completions", "eval_steps")


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


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a run's numbers (written to the run folder's config.json). Sizes left None come
    from the preset, capped by :data:`USER_MODEL_SIZES` when ``model`` is given.

    Attributes:
        preset: name in :data:`PRESETS` (sizes not given explicitly come from it).
        reward: the answer-level reward (:class:`alft.games.Reward`: objective or peer, estimator and its
            parameters, unanswered policy, extractor, grouper, constraints); None for the default reward
            with the extractor of the task (:func:`task_extractor`).
        num_generations: K, completions per prompt (≥ 2).
        steps: GRPO optimizer steps.
        seed: seeds GRPO sampling, data order and evaluation sampling.
        learning_rate: GRPO learning rate.
        beta: KL weight to the base policy (TRL's ``beta``).
        scale_rewards: TRL's advantage scaling, ``group``, ``batch`` or ``none`` (docs/concepts/estimators.md#grpo-caveats).
        prompts_per_step: prompts per optimizer step.
        max_completion_length: tokens per completion.
        temperature: sampling temperature, for training and for evaluation samples.
        train_prompts: distinct training prompts (built-in task).
        eval_problems: evaluation problems (0 skips evaluation).
        eval_steps: also evaluate on the held-out problems every N steps (0: before and after only), appended to
            the run folder's evaluation.jsonl; sampling is forked, so the run's numbers do not change.
        save_steps: checkpoint interval.
        model: a local folder or hub id; None for the built-in warmed-up model.
        dataset: a JSONL file or a ``datasets`` name with a ``prompt`` column; None for the built-in task.
        dataset_split: split of a named dataset.
        prompt_column: the dataset's prompt column.
        answer_column: the dataset's reference-answer column ("" for none: no accuracy, agreement only).
        lora: train a LoRA adapter (PEFT) instead of all weights.
        lora_rank: LoRA rank r.
        lora_alpha: LoRA scaling α (None: 2 × rank).
        lora_target_modules: PEFT's ``target_modules``: ``all-linear`` or comma-separated module names.
        gradient_accumulation_steps: micro-batches per optimizer step (TRL's name); the per-device batch is
            ``prompts_per_step × K / (processes × gradient_accumulation_steps)`` completions.
        device: ``auto`` (CUDA, else MPS, else CPU, as ``accelerate`` picks; the built-in model stays on CPU),
            ``cpu``, ``cuda`` or ``mps``. bf16 mixed precision on CUDA devices that support it, fp32 elsewhere.
        report_to: TRL/transformers trackers, comma-separated (``none``, ``tensorboard``, ``wandb``, ``trackio``…).
        use_vllm: generate completions with vLLM (TRL's ``use_vllm``; vLLM must be installed).
        vllm_mode: TRL's ``vllm_mode``: ``colocate`` (in the training process) or ``server`` (``trl vllm-serve``).
        vllm_server_base_url: the vLLM server's URL in server mode (None: TRL's default host and port).
        log_completions: write every step's prompts, completions and rewards (TRL's ``log_completions``: Parquet
            files under checkpoints/completions/).
        warmup_seed: seed of the built-in warm-up (shared by runs that differ only in ``seed``).
        reference_draws: M, reference answers per training prompt (anchored objectives). None with a dataset
            unless given: M is then its ``reference_answers`` column's, or the preset's when they are drawn.
        probe_prompts: prompts of the equilibrium measurement (0: none).
        probe_samples: samples per probe prompt.
    """

    preset: str = "default"
    reward: Reward | None = None
    num_generations: int | None = None
    steps: int | None = None
    seed: int = 0
    learning_rate: float | None = None
    beta: float = 0.0
    scale_rewards: str = "group"
    prompts_per_step: int | None = None
    max_completion_length: int | None = None
    temperature: float | None = None
    train_prompts: int | None = None
    eval_problems: int | None = None
    eval_steps: int = 0
    save_steps: int | None = None
    model: str | None = None
    dataset: str | None = None
    dataset_split: str = "train"
    prompt_column: str = "prompt"
    answer_column: str = "answer"
    lora: bool = False
    lora_rank: int = 8
    lora_alpha: float | None = None
    lora_target_modules: str = "all-linear"
    gradient_accumulation_steps: int = 1
    device: str = "auto"
    report_to: str = "none"
    use_vllm: bool = False
    vllm_mode: str = "colocate"
    vllm_server_base_url: str | None = None
    log_completions: bool = False
    warmup_seed: int = 0
    reference_draws: int | None = None
    probe_prompts: int | None = None
    probe_samples: int | None = None

    def __post_init__(self) -> None:
        require(self.preset in PRESETS, "--preset", self.preset, f"one of {sorted(PRESETS)}")
        for name in ("num_generations", "steps", "learning_rate", "prompts_per_step", "max_completion_length",
                     "train_prompts", "eval_problems", "save_steps", "reference_draws", "probe_prompts",
                     "probe_samples", "temperature"):
            # a dataset's own reference_answers column sets M; drawn, it is the default size (draws_to_make)
            keep_unset = name == "reference_draws" and self.dataset is not None
            if getattr(self, name) is None and not keep_unset:
                object.__setattr__(self, name, default_size(self.preset, name, self.model is not None))
        if self.lora_alpha is None:
            object.__setattr__(self, "lora_alpha", 2.0 * self.lora_rank)
        for name in ("model", "dataset"):  # a local path is one setting however it is spelled
            object.__setattr__(self, name, resolved_path(getattr(self, name)))
        if self.reward is None:
            object.__setattr__(self, "reward", Reward(extractor=task_extractor(self.dataset)))
        require(isinstance(self.reward, Reward), "reward", self.reward, "an alft.games.Reward")
        self._validate()
        self.reward.prepare(self.num_generations, "--num-generations")  # tables solvable and trainable at this K

    def _validate(self) -> None:
        K = self.num_generations
        check_group_size(K, "--num-generations")
        require(self.steps >= 1, "--steps", self.steps, "an integer ≥ 1")
        require(math.isfinite(self.learning_rate) and self.learning_rate > 0, "--lr", self.learning_rate, "a number > 0")
        require(math.isfinite(self.beta) and self.beta >= 0, "--beta", self.beta, "a number ≥ 0")
        require(self.scale_rewards in SCALE_REWARDS, "--scale-rewards", self.scale_rewards, f"one of {SCALE_REWARDS}")
        require(self.prompts_per_step >= 1, "--prompts-per-step", self.prompts_per_step, "an integer ≥ 1")
        require(self.max_completion_length >= 1, "--max-completion-length", self.max_completion_length, "≥ 1")
        require(math.isfinite(self.temperature) and self.temperature > 0, "--temperature", self.temperature, "> 0")
        require(self.train_prompts >= 1, "--train-prompts", self.train_prompts, "an integer ≥ 1")
        require(self.eval_problems >= 0, "--eval-problems", self.eval_problems, "an integer ≥ 0")
        require(self.eval_steps >= 0, "--eval-steps", self.eval_steps, "an integer ≥ 0 (0: before and after only)")
        require(self.save_steps >= 1, "--save-steps", self.save_steps, "an integer ≥ 1")
        require(self.lora_rank >= 1, "--lora-rank", self.lora_rank, "an integer ≥ 1")
        require(math.isfinite(self.lora_alpha) and self.lora_alpha > 0, "--lora-alpha", self.lora_alpha, "a number > 0")
        require(self.lora_target_modules.strip() != "", "--lora-target-modules", self.lora_target_modules,
                "all-linear or comma-separated module names")
        require(self.gradient_accumulation_steps >= 1, "--gradient-accumulation-steps",
                self.gradient_accumulation_steps, "an integer ≥ 1")
        require(self.device in DEVICES, "--device", self.device, f"one of {DEVICES}")
        require(self.vllm_mode in VLLM_MODES, "--vllm-mode", self.vllm_mode, f"one of {VLLM_MODES}")
        require(self.dataset is None or self.model is not None, "--dataset", self.dataset,
                "a --model beside it (the built-in model's tokenizer knows only digits and arithmetic signs)")
        require(self.probe_prompts >= 0, "--probe-prompts", self.probe_prompts, "an integer ≥ 0")
        require(self.probe_samples >= 2, "--probe-samples", self.probe_samples, "an integer ≥ 2")
        if self.reward.uses_reference and self.reference_draws is not None:
            check_group_size(self.reference_draws + 1, "--reference-draws + 1")

    @property
    def sharpening(self) -> float | None:
        """The exponent s of the predicted equilibrium p* ∝ p_ref^s (None unless the game is anchored)."""
        return None if self.reward.peer is not None else self.reward.objective.sharpening

    @property
    def draws_to_make(self) -> int:
        """M when the reference answers are drawn: as given, else the default size (a dataset run leaves
        ``reference_draws`` unset, for its own column to set it)."""
        return self.reference_draws or default_size(self.preset, "reference_draws", self.model is not None)

    @property
    def builtin_task(self) -> bool:
        """True when prompts come from the built-in arithmetic task."""
        return self.dataset is None

    @property
    def label(self) -> str:
        """The run's short name: the peer, the estimator for coherence, else ``objective:estimator``."""
        reward = self.reward
        if reward.peer is not None:
            return reward.peer.name
        name, s = reward.objective.name, reward.objective.sharpening
        if s is not None and name == sharpened(s).name:
            return f"anchored-s{s:g}:{reward.estimator}"
        return reward.estimator if name == "coherence" else f"{name}:{reward.estimator}"

    @property
    def lora_targets(self) -> str | list[str]:
        """PEFT's ``target_modules``: ``"all-linear"`` or the list of module names."""
        names = [n.strip() for n in self.lora_target_modules.split(",") if n.strip()]
        return "all-linear" if names == ["all-linear"] else names

    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["reward"] = self.reward.to_json()
        return out

    def replace(self, **changes: Any) -> TrainSettings:
        return dataclasses.replace(self, **changes)


def task_extractor(dataset: str | None, extractor: str | None = None) -> str:
    """The run's answer extractor: the one given, else the task's (``arithmetic`` for the built-in task, whose
    traces end in ``= N``; ``auto`` for a user's dataset)."""
    if extractor is not None:
        return extractor
    return "arithmetic" if dataset is None else "auto"


def resolved_path(name: str | None) -> str | None:
    """An existing local path made absolute (``./m`` and ``/home/me/m`` are the same model); a hub id unchanged."""
    if name is None or not Path(name).exists():
        return name
    return str(Path(name).resolve())


def objective_for(objective: str | None, sharpening: float | None) -> Objective | str | None:
    """``--objective`` and ``--sharpening`` as one objective: the anchored game of exponent s, or the spec."""
    if sharpening is None:
        return objective
    require(objective is None, "--sharpening", sharpening, f"no --objective beside it (got {objective!r})")
    return sharpened(sharpening)
