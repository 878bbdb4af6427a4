"""The run's starting policy: where it is (``--model``, a GGUF file's converted folder, the shipped built-in
policy or a cached warm-up), how the log names it, and the checks of a model against its prompts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import datasets

from alft.task.base_policies import base_policy_path
from alft.task.gguf import gguf_file, is_converted
from alft.task.loading import is_conversational, load_tokenizer, loadable_model
from alft.task.shipped import SHIPPED_SEED
from alft.training.settings import TrainSettings

Log = Callable[[str], None]


@dataclass(frozen=True)
class BasePolicy:
    """Where the starting policy is.

    Attributes:
        path: a local folder or hub id (``from_pretrained`` loads it).
        seconds: time to make it now (0 when cached or given).
        cached: True when the warm-up came from the cache; None for a given ``--model`` (no warm-up).
    """

    path: str
    seconds: float
    cached: bool | None


def base_policy(settings: TrainSettings, show_progress: bool) -> BasePolicy:
    """The base policy: ``--model`` as given, the shipped built-in policy (default preset, checksummed), or a
    warm-up made once and cached (other presets and warm-up seeds)."""
    if settings.policy.model is not None:
        return BasePolicy(loadable_model(settings.policy.model), 0.0, None)  # a GGUF file: its converted folder
    result = base_policy_path(settings.preset, seed=settings.task_seed, progress=show_progress)
    return BasePolicy(str(result.path), result.seconds, result.cached)


def draws_bars(progress: Any) -> bool:
    """True when ``progress`` draws bars (a terminal): only then may a warm-up show TRL's own bar, which in a log
    file is a line of noise (the CLI's plain-line display is a disabled rich Progress)."""
    return progress is not None and not getattr(progress, "disable", False)


def announce_conversion(model: str, log: Log) -> None:
    """A GGUF file not yet converted: say that the next seconds go to converting it (once)."""
    file = gguf_file(model)
    if file is not None and not is_converted(file):
        log(f"model: converting the GGUF file {file.name} to a safetensors folder (once; cached for later runs)")


def policy_name(settings: TrainSettings) -> str:
    """How the log names the base policy: the model given, the shipped one, or a preset's cached warm-up."""
    if settings.policy.model is not None:
        return f"loading {settings.policy.model}"
    if settings.preset == "default" and settings.task_seed == SHIPPED_SEED:
        return "built-in (shipped with alft)"
    return f"built-in {settings.preset} warm-up, seed {settings.task_seed} (made once, then cached)"


def warn_plain_prompts(settings: TrainSettings, train: datasets.Dataset, log: Log) -> None:
    """A chat model given plain-text prompts sees them without its chat template: it often answers nothing."""
    if settings.data.dataset is None or is_conversational(train):
        return
    if getattr(load_tokenizer(settings.policy.model), "chat_template", None) is not None:
        log(f"warning: --dataset's {settings.data.prompt_column!r} column holds plain text, but {settings.policy.model!r} has a chat "
            "template: the model sees the prompts without it, and a chat model then often answers nothing. Give "
            'the column as chat messages ([{"role": "user", "content": ...}]) to have the template applied.')
