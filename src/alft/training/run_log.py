"""A run folder's step log and the console's progress bar, as trainer callbacks (``alft train``'s own).

* :class:`JsonlMetricsCallback` appends one JSON line per logged step; on resume it first drops the lines
  past the checkpoint's step, so the file continues with no duplicate step.
* :func:`read_metrics` reads such a file back.
* :class:`RichProgressCallback` advances a ``rich`` progress bar and shows the latest reward and entropy.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from alft.errors import AlftInputError

TRAIN_SUMMARY_KEYS = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss")


def _json_value(value: Any) -> Any:
    """Floats stay floats (NaN/inf become None: JSON has neither); other scalars pass through."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The lines of a metrics.jsonl file (empty list when it does not exist).

    A process killed while appending leaves a torn last line; it is dropped (that step was logged before
    its checkpoint, so a resumed run redoes it). A bad line anywhere else is corruption and is refused.
    """
    if not path.exists():
        return []
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    out = []
    for number, line in enumerate(lines, start=1):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise AlftInputError(f"{path}: line {number} is not JSON ({line[:60]!r}); expected one JSON object per line") from None
    return out


class JsonlMetricsCallback(TrainerCallback):
    """Append each step's logged metrics to a JSONL file, one line per step.

    Args:
        path: the metrics.jsonl file.
        static: fields added to every line (e.g. ``{"estimator": "aqp"}``).
    """

    def __init__(self, path: Path, static: Mapping[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.static = dict(static or {})

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001 — transformers' signature
        if not state.is_world_process_zero:
            return
        kept = [line for line in read_metrics(self.path) if line.get("step", 0) <= state.global_step]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # temporary file + rename: a kill during this rewrite must not lose the lines before the checkpoint
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("".join(json.dumps(line) + "\n" for line in kept))
        os.replace(tmp, self.path)

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero or not logs or any(key in logs for key in TRAIN_SUMMARY_KEYS):
            return
        line = {"step": state.global_step, **self.static, **{k: _json_value(v) for k, v in logs.items()}}
        with self.path.open("a") as handle:
            handle.write(json.dumps(line) + "\n")


class RichProgressCallback(TrainerCallback):
    """Drive a ``rich`` progress task from the trainer's steps.

    Args:
        progress: a started ``rich.progress.Progress``.
        description: the task's label.
    """

    def __init__(self, progress: Any, description: str = "GRPO") -> None:
        self.progress = progress
        self.description = description
        self.task: Any = None

    def on_train_begin(self, args, state, control, **kwargs):  # noqa: ANN001
        if state.is_world_process_zero:
            self.task = self.progress.add_task(self.description, total=state.max_steps, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if self.task is None or not logs or "reward" not in logs:
            return
        entropy = logs.get("alft/answer_entropy")
        detail = f"reward {logs['reward']:+.3f}" + (f"  answer entropy {entropy:.3f}" if entropy is not None else "")
        self.progress.update(self.task, description=f"{self.description}  {detail}")

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
        if self.task is not None:
            self.progress.update(self.task, completed=state.global_step)
