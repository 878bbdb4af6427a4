"""Where a run runs: its device and precision, its processes, its trackers and its generator (vLLM or not).

Every check here runs before the run folder is touched, so a device that does not exist, a tracker or vLLM
that is not installed is one clear error and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from accelerate import PartialState

from alft.errors import AlftInputError
from alft.training.references import require_vllm
from alft.training.settings import TrainSettings


@dataclass(frozen=True)
class Runtime:
    """The resolved hardware of a run.

    Attributes:
        device: ``cpu``, ``cuda`` or ``mps``.
        bf16: bf16 mixed precision (CUDA devices that support it); fp32 otherwise.
        processes: processes of the launch (``accelerate launch``/``torchrun``; 1 for a plain command).
        is_main: True on the process that writes the run folder and evaluates.
        per_device_batch: completions per device and micro-batch (TRL's ``per_device_train_batch_size``).
    """

    device: str
    bf16: bool
    processes: int
    is_main: bool
    per_device_batch: int


def runtime(settings: TrainSettings) -> Runtime:
    """Resolve ``settings.hardware.device`` like ``accelerate`` does and check everything the run needs is installed.

    Raises:
        AlftInputError: a requested device that this machine does not have, a tracker or vLLM not installed,
            or a batch that does not split evenly over processes and accumulation steps.
    """
    device = device_for(settings)
    _check_trackers(settings.hardware.report_to)
    if settings.hardware.use_vllm:
        require_vllm()
    state = PartialState(cpu=device == "cpu")
    completions = settings.prompts_per_step * settings.num_generations
    micro_batches = state.num_processes * settings.hardware.gradient_accumulation_steps
    if completions % micro_batches:
        raise AlftInputError(
            f"--prompts-per-step: got {settings.prompts_per_step} (× K = {completions} completions a step), expected "
            f"a multiple of processes × --gradient-accumulation-steps = {state.num_processes} × "
            f"{settings.hardware.gradient_accumulation_steps} completions")
    bf16 = device == "cuda" and torch.cuda.is_bf16_supported()
    return Runtime(device, bf16, state.num_processes, state.is_main_process, completions // micro_batches)


def device_for(settings: TrainSettings) -> str:
    """``auto``: CUDA, else MPS, else CPU (``accelerate``'s order); the built-in model always runs on CPU, where
    its numbers are reproducible bit for bit (docs/concepts/builtin-task.md)."""
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if settings.hardware.device == "auto":
        if settings.policy.model is None:
            return "cpu"
        return next(name for name in ("cuda", "mps", "cpu") if available[name])
    if not available[settings.hardware.device]:
        found = [name for name, ok in available.items() if ok]
        raise AlftInputError(f"--device: got {settings.hardware.device!r}, but this machine has no such device (torch sees "
                             f"{found}); expected one of {found} or auto")
    return settings.hardware.device


def _check_trackers(report_to: str) -> None:
    from transformers.integrations.integration_utils import (
        INTEGRATION_TO_CALLBACK,
        get_available_reporting_integrations,
    )

    names = tracker_names(report_to)
    known = sorted(INTEGRATION_TO_CALLBACK)
    for name in names:
        if name in ("none", "all"):
            continue
        if name not in INTEGRATION_TO_CALLBACK:
            raise AlftInputError(f"--report-to: got {name!r}, expected none, all or trackers among {known}")
        if name not in get_available_reporting_integrations():
            raise AlftInputError(f"--report-to: {name!r} is not installed; expected `pip install {name}` first")


def tracker_names(report_to: str) -> list[str]:
    """``"tensorboard,wandb"`` → ``["tensorboard", "wandb"]`` (TrainingArguments' ``report_to`` list)."""
    return [name.strip() for name in report_to.split(",") if name.strip()] or ["none"]
