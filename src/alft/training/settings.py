"""What one ``alft train`` run does: a frozen :class:`TrainSettings` made of groups, as TRL groups them.

* :class:`TrainSettings` itself holds GRPO's hyperparameters (TRL's ``GRPOConfig``: K, steps, lr, β, lengths…),
* :class:`DataSettings` the prompts and the evaluation (TRL's ``ScriptArguments``),
* :class:`ModelSettings` the policy and its LoRA adapter (TRL's ``ModelConfig``),
* :class:`HardwareSettings` devices, vLLM and trackers,
* an :class:`alft.games.Reward` the answer-level reward, which :class:`RewardOptions` builds from the CLI's flags.

Every field a user sets carries its flag and help (:func:`option`); ``alft train``'s options and the keys of its
``--config`` YAML file are made from them (:mod:`alft.cli.options`, :mod:`alft.training.config_file`), so a flag's
value lands in the field of the same name and from there in the step (``settings.learning_rate`` →
``GRPOConfig.learning_rate``). Sizes left None come from the preset (:mod:`alft.training.presets`).
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from alft.errors import require
from alft.estimators.counts import check_group_size
from alft.games import Reward
from alft.games.objectives import Objective, sharpened
from alft.games.reward import REWARD_DEFAULTS, REWARD_HELP
from alft.training.option_fields import flag, option, option_fields
from alft.training.presets import PRESETS, default_size, preset_help

ScaleRewards = Literal["group", "batch", "none"]
Device = Literal["auto", "cpu", "cuda", "mps"]
VllmMode = Literal["colocate", "server"]  # TRL's GRPOConfig.vllm_mode
SCALE_REWARDS, DEVICES, VLLM_MODES = (typing.get_args(kind) for kind in (ScaleRewards, Device, VllmMode))
# Settings that do not change a run's numbers: a resumed run may change them (config.json check).
NOT_COMPARED = ("report_to", "log_completions", "eval_steps")
# config.json keys of earlier versions, by the name that replaced them (a run folder they wrote still resumes).
RENAMED_KEYS = {"warmup_seed": "task_seed"}


def _count(value: int | None, minimum: int, name: str, meaning: str = "") -> None:
    """An integer size ≥ minimum (None: from the preset, checked once filled in)."""
    if value is not None:
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
        require(ok, name, value, f"an integer ≥ {minimum}{meaning}")


def _positive(value: float | None, name: str, minimum: float = 0.0, strict: bool = True) -> None:
    if value is not None:
        ok = isinstance(value, (int, float)) and math.isfinite(value) and (value > minimum if strict else value >= minimum)
        require(ok, name, value, f"a number {'>' if strict else '≥'} {minimum:g}")


DATA, MODEL, HARDWARE, REWARD, GRPO = "Data and evaluation", "Model and LoRA", "Hardware, vLLM and logging", "Reward", "GRPO"


@dataclass(frozen=True)
class DataSettings:
    """The prompts a run trains on and the problems it is evaluated on (TRL's ``ScriptArguments``). Sizes left
    None come from the preset."""

    dataset: str | None = option(None, "--dataset", panel=DATA, help=(
        "A JSONL/JSON/CSV/Parquet file or a datasets name; its prompt column holds text or chat messages ([{role, "
        "content}], through the model's chat template). Needs --model. Default: the built-in arithmetic task."))
    dataset_split: str = option("train", "--dataset-split", panel=DATA, help="Split of a named dataset.")
    prompt_column: str = option("prompt", "--prompt-column", panel=DATA, help="The dataset's prompt column.")
    answer_column: str = option("answer", "--answer-column", panel=DATA, help=(
        "Gold-answer column ('' for none: no accuracy, agreement only)."))
    train_prompts: int | None = option(None, "--train-prompts", panel=DATA, help=(
        "Distinct training prompts of the built-in task (a --dataset trains on its rows but the evaluation ones, at "
        "most --steps × --prompts-per-step of them). " + preset_help("train_prompts")))
    eval_problems: int | None = option(None, "--eval-problems", panel=DATA, help=(
        "Held-out problems evaluated before and after (0: none; a dataset keeps at most 1/5 of its rows). "
        + preset_help("eval_problems")))
    eval_steps: int = option(0, "--eval-steps", panel=DATA, help=(
        "Also evaluate on the held-out problems every N steps, into the run folder's evaluation.jsonl (0: before "
        "and after only). Evaluation samples on a forked random stream: the run's numbers do not change."))
    reference_draws: int | None = option(None, "--reference-draws", panel=DATA, help=(
        "M, answers drawn once per training prompt from the base policy for the anchor (cached); a dataset's own "
        "reference_answers column (alft references) sets it and nothing is drawn. " + preset_help("reference_draws")))
    probe_prompts: int | None = option(None, "--probe-prompts", panel=DATA, help=(
        "Training prompts on which the distance to the predicted equilibrium p* is measured before and after "
        "training (anchored games; 0: no probe). " + preset_help("probe_prompts")))
    probe_samples: int | None = option(None, "--probe-samples", panel=DATA, help=(
        "Answers sampled per probe prompt (≥ 2). " + preset_help("probe_samples")))

    def __post_init__(self) -> None:
        object.__setattr__(self, "dataset", resolved_path(self.dataset))
        _count(self.train_prompts, 1, "--train-prompts")
        _count(self.eval_problems, 0, "--eval-problems")
        _count(self.eval_steps, 0, "--eval-steps", " (0: before and after only)")
        _count(self.probe_prompts, 0, "--probe-prompts")
        _count(self.probe_samples, 2, "--probe-samples")

    def with_sizes(self, preset: str, user_model: bool) -> DataSettings:
        """The sizes not given taken from the preset; a dataset leaves M unset, for its own column to set it."""
        sizes = {name: default_size(preset, name, user_model) for name in SIZES_OF_DATA
                 if getattr(self, name) is None and not (name == "reference_draws" and self.dataset is not None)}
        return dataclasses.replace(self, **sizes)


SIZES_OF_DATA = ("train_prompts", "eval_problems", "reference_draws", "probe_prompts", "probe_samples")


@dataclass(frozen=True)
class ModelSettings:
    """The policy trained (TRL's ``ModelConfig``): the built-in one or a user's, all weights or a LoRA adapter."""

    model: str | None = option(None, "--model", panel=MODEL, help=(
        "A local model folder (save_pretrained), a GGUF file (or a folder holding one; converted once to a cached "
        "safetensors folder) or a hub id instead of the built-in model. Default: the built-in model."))
    lora: bool = option(False, "--lora/--no-lora", panel=MODEL, help=(
        "Train a LoRA adapter (PEFT) instead of all weights; the saved policy has it merged."))
    lora_rank: int = option(8, "--lora-rank", panel=MODEL, help="LoRA rank r.")
    lora_alpha: float | None = option(None, "--lora-alpha", panel=MODEL, help="LoRA scaling alpha. Default: 2 × rank.")
    lora_target_modules: str = option("all-linear", "--lora-target-modules", panel=MODEL, help=(
        "Modules with a LoRA adapter: all-linear, or comma-separated names such as q_proj,v_proj."))

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", resolved_path(self.model))
        _count(self.lora_rank, 1, "--lora-rank")
        if self.lora_alpha is None:
            object.__setattr__(self, "lora_alpha", 2.0 * self.lora_rank)
        _positive(self.lora_alpha, "--lora-alpha")
        require(isinstance(self.lora_target_modules, str) and self.lora_target_modules.strip() != "",
                "--lora-target-modules", self.lora_target_modules, "all-linear or comma-separated module names")

    @property
    def lora_targets(self) -> str | list[str]:
        """PEFT's ``target_modules``: ``"all-linear"`` or the list of module names."""
        names = [n.strip() for n in self.lora_target_modules.split(",") if n.strip()]
        return "all-linear" if names == ["all-linear"] else names


@dataclass(frozen=True)
class HardwareSettings:
    """Where and how the run computes and what it reports; none of it changes what is trained towards."""

    device: Device = option("auto", "--device", panel=HARDWARE, help=(
        "auto: CUDA, else MPS, else CPU, as accelerate picks (the built-in model stays on CPU, where its numbers "
        "are reproducible). bf16 mixed precision on CUDA GPUs that support it, fp32 elsewhere."))
    gradient_accumulation_steps: int = option(1, "--gradient-accumulation-steps", panel=HARDWARE, help=(
        "Micro-batches per optimizer step (TRL's name): the same step in smaller pieces, for memory."))
    use_vllm: bool = option(False, "--use-vllm/--no-use-vllm", panel=HARDWARE, help=(
        "Generate completions with vLLM (TRL's use_vllm; needs `pip install vllm` and a GPU)."))
    vllm_mode: VllmMode = option("colocate", "--vllm-mode", panel=HARDWARE, help=(
        "TRL's vllm_mode: colocate (vLLM in the training processes) or server (a separate `trl vllm-serve`)."))
    vllm_server_base_url: str | None = option(None, "--vllm-server-base-url", panel=HARDWARE, help=(
        "The vLLM server's URL in server mode, e.g. http://localhost:8000. Default: TRL's (0.0.0.0:8000)."))
    report_to: str = option("none", "--report-to", panel=HARDWARE, help=(
        "Trackers, comma-separated (TRL/transformers' report_to): none, tensorboard (event files under "
        "<run folder>/checkpoints/runs), wandb, trackio, mlflow, … or all."))
    log_completions: bool = option(False, "--log-completions/--no-log-completions", panel=HARDWARE, help=(
        "Write every step's prompts, completions and rewards (TRL's log_completions: Parquet under "
        "<run folder>/checkpoints/completions)."))

    def __post_init__(self) -> None:
        require(self.device in DEVICES, "--device", self.device, f"one of {DEVICES}")
        _count(self.gradient_accumulation_steps, 1, "--gradient-accumulation-steps")
        require(self.vllm_mode in VLLM_MODES, "--vllm-mode", self.vllm_mode, f"one of {VLLM_MODES}")


@dataclass(frozen=True)
class RewardOptions:
    """The reward as ``alft train`` spells it (``--sharpening``, a repeated ``--constraint``): :meth:`reward`
    turns it into the :class:`alft.games.Reward` a run keeps."""

    objective: str | None = option(None, "--objective", panel=REWARD, help=REWARD_HELP["objective"])
    sharpening: float | None = option(None, "--sharpening", "-s", panel=REWARD, help=(
        "The anchored game's exponent s > 1: training aims at p* ∝ p_ref^s, the base policy's answer distribution "
        "sharpened. Default: 2, the game run when neither --objective nor --peer is given."))
    peer: Literal["ttrl", "empo"] | None = option(None, "--peer", panel=REWARD, help=REWARD_HELP["peer"])
    estimator: str = option(REWARD_DEFAULTS["estimator"], "--estimator", panel=REWARD, help=REWARD_HELP["estimator"])
    unextractable: str = option(REWARD_DEFAULTS["unextractable"], "--unextractable", panel=REWARD,
                                help=REWARD_HELP["unextractable"])
    penalty: float = option(REWARD_DEFAULTS["penalty"], "--penalty", panel=REWARD, help=REWARD_HELP["penalty"])
    extractor: str | None = option(None, "--extractor", panel=REWARD, help=(
        REWARD_HELP["extractor"] + " Default: arithmetic for the built-in task, auto otherwise."))
    grouper: str = option(REWARD_DEFAULTS["grouper"], "--grouper", panel=REWARD, help=REWARD_HELP["grouper"])
    constraint: list[str] | None = option(None, "--constraint", panel=REWARD, help=(
        REWARD_HELP["constraints"] + " Repeatable."))
    dual_step: float = option(REWARD_DEFAULTS["dual_step"], "--dual-step", panel=REWARD, help=REWARD_HELP["dual_step"])
    reference_estimator: str = option(REWARD_DEFAULTS["reference_estimator"], "--reference-estimator", panel=REWARD,
                                      help=REWARD_HELP["reference_estimator"])
    allow_collapse: bool = option(False, "--allow-collapse", panel=REWARD, help=(
        "Run a game whose optimum is one answer, right or wrong (e.g. plain coherence: γ ≥ β); refused otherwise."))

    def reward(self, dataset: str | None) -> Reward:
        """The run's Reward (the extractor defaults to the task's: :func:`task_extractor`)."""
        return Reward(
            objective=objective_for(self.objective, self.sharpening), peer=self.peer, estimator=self.estimator,
            unextractable=self.unextractable, penalty=self.penalty, extractor=task_extractor(dataset, self.extractor),
            grouper=self.grouper, constraints=tuple(self.constraint or ()), dual_step=self.dual_step,
            reference_estimator=self.reference_estimator, allow_collapse=self.allow_collapse,
        )


@dataclass(frozen=True)
class TrainSettings:
    """Everything that determines a run's numbers (written flat to the run folder's config.json): GRPO's
    hyperparameters here, the rest in groups. Sizes left None come from the preset, capped by
    :data:`alft.training.presets.USER_MODEL_SIZES` when a model is given.

    Attributes:
        preset: name in :data:`alft.training.presets.PRESETS` (sizes not given explicitly come from it).
        num_generations: K, completions per prompt (≥ 2).
        steps: GRPO optimizer steps.
        seed: seeds GRPO sampling, data order and evaluation sampling.
        learning_rate: GRPO learning rate (``--lr``).
        beta: KL weight to the base policy (TRL's ``beta``).
        scale_rewards: TRL's advantage scaling, ``group``, ``batch`` or ``none`` (docs/concepts/estimators.md#grpo-caveats).
        prompts_per_step: prompts per optimizer step, over all processes.
        max_completion_length: tokens per completion.
        temperature: sampling temperature, for training, the reference answers and evaluation.
        save_steps: checkpoint interval.
        reward: the answer-level reward; None for the default reward with the task's extractor.
        data: the prompts and evaluation (:class:`DataSettings`).
        policy: the model and LoRA (:class:`ModelSettings`).
        hardware: devices, vLLM, trackers (:class:`HardwareSettings`).
        task_seed: seed of what runs that differ only in ``seed`` share: the built-in base policy's warm-up, the
            training prompts of the built-in task and the reference answers drawn from the base policy.
    """

    preset: Literal["default", "tiny"] = option("default", "--preset", panel=GRPO, help=(
        "Sizes of the run: default (≈ 2 min on 2 cores) or tiny (seconds, for tests)."))
    num_generations: int | None = option(None, "--num-generations", "-k", panel=GRPO, help=(
        "K, completions per prompt (≥ 2). " + preset_help("num_generations")))
    steps: int | None = option(None, "--steps", panel=GRPO, help="GRPO optimizer steps. " + preset_help("steps"))
    seed: int = option(0, "--seed", panel=GRPO, help="Seeds GRPO sampling, data order and evaluation sampling.")
    learning_rate: float | None = option(None, "--lr", panel=GRPO, help=(
        "GRPO learning rate (TRL's learning_rate). " + preset_help("learning_rate")
        + " On the built-in task lr ≥ 1e-4 hacked the reward; tune it for your model."))
    beta: float = option(0.0, "--beta", panel=GRPO, help="KL weight to the base policy (TRL's beta).")
    scale_rewards: ScaleRewards = option("group", "--scale-rewards", panel=GRPO, help=(
        "TRL's advantage scaling: by the group's reward std, the batch's, or none."))
    prompts_per_step: int | None = option(None, "--prompts-per-step", panel=GRPO, help=(
        "Prompts per optimizer step, over all processes; each process gets prompts × K / (processes × gradient "
        "accumulation steps) completions a micro-batch (TRL's per_device_train_batch_size). "
        + preset_help("prompts_per_step")))
    max_completion_length: int | None = option(None, "--max-completion-length", panel=GRPO, help=(
        "Tokens per completion. " + preset_help("max_completion_length")))
    temperature: float | None = option(None, "--temperature", panel=GRPO, help=(
        "Sampling temperature (GRPO, reference answers, evaluation). " + preset_help("temperature")))
    save_steps: int | None = option(None, "--save-steps", panel=GRPO, help=(
        "Checkpoint every N steps. " + preset_help("save_steps")))
    reward: Reward | None = None
    data: DataSettings = field(default_factory=DataSettings)
    policy: ModelSettings = field(default_factory=ModelSettings)
    hardware: HardwareSettings = field(default_factory=HardwareSettings)
    task_seed: int = 0

    def __post_init__(self) -> None:
        require(self.preset in PRESETS, "--preset", self.preset, f"one of {sorted(PRESETS)}")
        for name, group in (("data", DataSettings), ("policy", ModelSettings), ("hardware", HardwareSettings)):
            require(isinstance(getattr(self, name), group), name, getattr(self, name), f"a {group.__name__}")
        user_model = self.policy.model is not None
        for name in SIZES_OF_GRPO:
            if getattr(self, name) is None:
                object.__setattr__(self, name, default_size(self.preset, name, user_model))
        object.__setattr__(self, "data", self.data.with_sizes(self.preset, user_model))
        if self.reward is None:
            object.__setattr__(self, "reward", Reward(extractor=task_extractor(self.data.dataset)))
        require(isinstance(self.reward, Reward), "reward", self.reward, "an alft.games.Reward")
        self._validate()
        self.reward.prepare(self.num_generations, "--num-generations")  # tables solvable and trainable at this K

    def _validate(self) -> None:
        check_group_size(self.num_generations, "--num-generations")
        _count(self.steps, 1, "--steps")
        _positive(self.learning_rate, "--lr")
        _positive(self.beta, "--beta", strict=False)
        require(self.scale_rewards in SCALE_REWARDS, "--scale-rewards", self.scale_rewards, f"one of {SCALE_REWARDS}")
        _count(self.prompts_per_step, 1, "--prompts-per-step")
        _count(self.max_completion_length, 1, "--max-completion-length")
        _positive(self.temperature, "--temperature")
        _count(self.save_steps, 1, "--save-steps")
        require(self.data.dataset is None or self.policy.model is not None, "--dataset", self.data.dataset,
                "a --model beside it (the built-in model's tokenizer knows only digits and arithmetic signs)")
        if self.reward.uses_reference and self.data.reference_draws is not None:
            check_group_size(self.data.reference_draws + 1, "--reference-draws + 1")

    @property
    def sharpening(self) -> float | None:
        """The exponent s of the predicted equilibrium p* ∝ p_ref^s (None unless the game is anchored)."""
        return None if self.reward.peer is not None else self.reward.objective.sharpening

    @property
    def draws_to_make(self) -> int:
        """M when the reference answers are drawn: as given, else the default size (a dataset run leaves
        ``reference_draws`` unset, for its own column to set it)."""
        return self.data.reference_draws or default_size(self.preset, "reference_draws", self.policy.model is not None)

    @property
    def builtin_task(self) -> bool:
        """True when prompts come from the built-in arithmetic task."""
        return self.data.dataset is None

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

    def to_json(self) -> dict[str, Any]:
        """One flat mapping (every field's name is unique across the groups): config.json and the summary."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in GROUPS}
        for name in GROUPS:
            group = getattr(self, name)
            out.update({f.name: getattr(group, f.name) for f in dataclasses.fields(group)})
        out["reward"] = self.reward.to_json()
        return out

    def replace(self, **changes: Any) -> TrainSettings:
        return dataclasses.replace(self, **changes)


SIZES_OF_GRPO = ("num_generations", "steps", "learning_rate", "prompts_per_step", "max_completion_length",
                 "temperature", "save_steps")
GROUPS = ("data", "policy", "hardware")
# The option groups of alft train, in the order its help shows them.
OPTION_GROUPS = (TrainSettings, RewardOptions, DataSettings, ModelSettings, HardwareSettings)


def setting_flags() -> dict[str, str]:
    """The flag of every option field by name (``learning_rate`` → ``--lr``), for messages about settings."""
    return {f.name: flag(group, f.name) for group in OPTION_GROUPS for f in option_fields(group)}


def train_settings(options: dict[str, Any]) -> TrainSettings:
    """The settings of ``alft train``'s parsed options (one value per field of :data:`OPTION_GROUPS`)."""
    unknown = set(options) - {f.name for group in OPTION_GROUPS for f in option_fields(group)}
    require(not unknown, "options", sorted(unknown), "fields of the settings groups")
    data = DataSettings(**_values(DataSettings, options))
    return TrainSettings(
        **_values(TrainSettings, options), reward=RewardOptions(**_values(RewardOptions, options)).reward(data.dataset),
        data=data, policy=ModelSettings(**_values(ModelSettings, options)),
        hardware=HardwareSettings(**_values(HardwareSettings, options)),
    )


def _values(group: type, options: dict[str, Any]) -> dict[str, Any]:
    return {f.name: options[f.name] for f in option_fields(group) if f.name in options}


def config_file_options(options: dict[str, Any], settings: TrainSettings) -> dict[str, Any]:
    """What a run's config.yaml holds (``alft train --config`` re-runs it): the options given or defaulted, paths
    resolved; where and how the run was launched is not among them."""
    kept = {name: list(value) if isinstance(value, (list, tuple)) else value for name, value in options.items()
            if value is not None and value != [] and value != ()}
    kept.update({name: getattr(group, name) for group, name in ((settings.data, "dataset"), (settings.policy, "model"))
                 if name in kept})
    return kept


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
