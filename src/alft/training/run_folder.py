"""The run folder: everything one ``alft train`` run writes, in one place a reader can browse.

::

    runs/<name>/
      config.json        the TrainSettings (a resumed run must match it)
      config.yaml        the command's options: `alft train --config runs/<name>/config.yaml` runs it again
      metrics.jsonl      one line per GRPO step (appended; a resumed run drops lines past its checkpoint)
      eval_before.json   evaluation of the base policy (kept, so a resumed run does not redo it)
      eval_before_problems.jsonl, eval_after_problems.jsonl
                         per held-out problem: the greedy and sampled answers and which are right
      evaluation.jsonl   held-out evaluation every --eval-steps steps (when asked for)
      summary.json       before/after evaluation, timing, final training metrics
      reward.png, entropy.png, accuracy.png
      checkpoints/       Trainer checkpoints (checkpoint-<step>/), for --resume; runs/ (TensorBoard),
                         completions/ (--log-completions) when asked for
      policy/            the trained policy (model + tokenizer, from_pretrained-ready)
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alft.errors import AlftInputError

_CHECKPOINT_RE = re.compile(r"^checkpoint-(\d+)$")


def default_run_name(settings_method: str) -> str:
    """``<timestamp>-<method>``, e.g. ``20250101-120000-aqp``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", settings_method)  # objectives like "coherence+0.5*verifier"
    return time.strftime("%Y%m%d-%H%M%S") + f"-{safe}"


@dataclass(frozen=True)
class RunFolder:
    """Paths of one run folder.

    Attributes:
        path: the folder.
    """

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def options(self) -> Path:
        return self.path / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def eval_before(self) -> Path:
        return self.path / "eval_before.json"

    def problems(self, part: str) -> Path:
        """Per-problem evaluation outputs of ``part`` (``before`` or ``after``), one JSON line per problem."""
        return self.path / f"eval_{part}_problems.jsonl"

    @property
    def evaluation_during(self) -> Path:
        return self.path / "evaluation.jsonl"

    @property
    def summary(self) -> Path:
        return self.path / "summary.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def policy(self) -> Path:
        return self.path / "policy"

    def create(self) -> RunFolder:
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    def last_checkpoint(self) -> Path | None:
        """The complete checkpoint with the highest step, or None.

        The Trainer writes trainer_state.json last, so a checkpoint without a readable one was cut short by a
        kill; it is skipped (resuming from it would crash) and the previous checkpoint is used; with none
        complete the run starts over.
        """
        if not self.checkpoints.is_dir():
            return None
        found = [(int(m.group(1)), p) for p in self.checkpoints.iterdir() if (m := _CHECKPOINT_RE.match(p.name))]
        complete = [(step, p) for step, p in found if _complete(p)]
        return max(complete)[1] if complete else None

    def write_json(self, path: Path, data: Any) -> None:
        """Write JSON atomically, so an interrupted run never leaves half a file."""
        _write_atomically(path, json.dumps(data, indent=2, sort_keys=True) + "\n")

    def write_jsonl(self, path: Path, rows: list[dict[str, Any]]) -> None:
        """Write JSON lines atomically, as :meth:`write_json`."""
        _write_atomically(path, "".join(json.dumps(row) + "\n" for row in rows))

    def read_json(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def check_config(self, config: dict[str, Any], ignore: tuple[str, ...] = (), flags: dict[str, str] | None = None,
                     renamed: dict[str, str] | None = None) -> None:
        """Refuse a configuration different from the one the folder was started with (reads only).

        Args:
            config: the run's settings as JSON.
            ignore: settings that do not change the run's numbers (a resumed run may change them).
            flags: the flag a user types for a setting, for the message (default ``--name-with-dashes``).
            renamed: keys of older config.json files by their present name (the folder still resumes).

        Raises:
            AlftInputError: naming the first setting that differs from the folder's.
        """
        if not self.config.exists():
            return
        stored = {(renamed or {}).get(key, key): value for key, value in self.read_json(self.config).items()}
        for key in sorted((set(stored) | set(config)) - set(ignore)):
            if stored.get(key) != config.get(key):
                name = (flags or {}).get(key, f"--{key.replace('_', '-')}")
                raise AlftInputError(
                    f"{name}: got {config.get(key)!r}, but the run folder {self.path} was started with "
                    f"{stored.get(key)!r}; expected the same settings to resume, or a new --output-dir"
                )

    def write_config(self, config: dict[str, Any], options: dict[str, Any] | None = None) -> None:
        """Write config.json (once: a resumed run keeps the first) and the command's options as config.yaml,
        which ``alft train --config`` re-runs."""
        if not self.config.exists():
            self.write_json(self.config, config)
        if options is not None:
            import yaml

            tmp = self.options.with_suffix(".yaml.tmp")
            tmp.write_text(yaml.safe_dump(options, sort_keys=False))
            tmp.replace(self.options)


def _write_atomically(path: Path, text: str) -> None:
    """Write a temporary file, then rename it over ``path``: readers see the old file or the new one whole."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _complete(checkpoint: Path) -> bool:
    """True when the checkpoint's trainer_state.json (written last by the Trainer) exists and parses."""
    try:
        json.loads((checkpoint / "trainer_state.json").read_text())
    except (OSError, ValueError):
        return False
    return True
