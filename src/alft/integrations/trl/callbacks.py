"""Trainer callbacks: a metrics log that survives resumption, a rich progress bar, constraint duals.

* :class:`JsonlMetricsCallback` appends one JSON line per logged step; on resume it first drops the lines
  past the checkpoint's step, so the file continues with no duplicate step.
* :class:`RichProgressCallback` advances a ``rich`` progress bar and shows the latest reward and entropy.
* :class:`DualUpdateCallback` moves a constraint game's multipliers once per optimizer step (SPEC §2.4,
  §2.5 step 4) from the batch estimates of the step's last scored batch.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
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


class DualUpdateCallback(TrainerCallback):
    """Once per optimizer step, update a constraint game's multipliers (dual ascent, SPEC §2.4).

    Args:
        update: called with no argument at each step end; it reads the step's batch estimates (e.g. from
            the reward function's last scored batch) and moves the multipliers.
    """

    def __init__(self, update: Callable[[], None]) -> None:
        self.update = update

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
        self.update()


class CollapseWarningCallback(TrainerCallback):
    """Warns once when agreement rises while accuracy falls (SPEC §5: the failure every label-free method
    shares), over the last ``window`` logged steps: majority share up by ``margin`` while the batch's label
    accuracy (``alft/sample_accuracy``, logged when the dataset has reference answers) is down by ``margin``,
    comparing the window's second half with its first.

    Args:
        log: receives the warning line.
        window: logged steps compared.
        margin: change counted as a rise or a fall.
    """

    def __init__(self, log: Callable[[str], None], window: int = 40, margin: float = 0.03) -> None:
        self.log, self.window, self.margin = log, window, margin
        self.history: list[tuple[float, float]] = []
        self.warned_at: int | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        logs = logs or {}
        share, accuracy = logs.get("alft/majority_share"), logs.get("alft/sample_accuracy")
        if share is None or accuracy is None:
            return
        self.history.append((float(share), float(accuracy)))
        recent = self.history[-self.window:]
        if self.warned_at is not None or len(recent) < self.window:
            return
        half = self.window // 2
        first, second = np.mean(recent[:half], axis=0), np.mean(recent[half:], axis=0)
        if second[0] - first[0] > self.margin and first[1] - second[1] > self.margin:
            self.warned_at = state.global_step
            self.log(f"warning: step {state.global_step}: agreement rose ({first[0]:.3f} → {second[0]:.3f}) while "
                     f"accuracy fell ({first[1]:.3f} → {second[1]:.3f}) — the collapse of SPEC §2.6")


class EquilibriumProbeCallback(TrainerCallback):
    """Every ``every`` optimizer steps, measures the distance to the predicted equilibrium and appends it
    (with the step) to a JSONL file; ``measure(model)`` samples inside ``fork_rng``, so training's random
    stream is unchanged (SPEC §7)."""

    def __init__(self, path: Path, every: int, measure: Callable[[Any], dict[str, Any] | None]) -> None:
        self.path, self.every, self.measure = Path(path), every, measure

    def on_step_end(self, args, state, control, model=None, **kwargs):  # noqa: ANN001
        if model is None or state.global_step % self.every:
            return
        result = self.measure(model)
        if result is not None:
            with self.path.open("a") as out:
                out.write(json.dumps({"step": state.global_step, **result}) + "\n")
