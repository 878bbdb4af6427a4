"""What the training benchmarks share: reuse a finished run folder, and the training prompts with their
reference answers (drawn once from the base policy and cached, as ``alft train`` does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def run_or_reuse(settings: Any, folder: Path, tag: str) -> dict[str, Any]:
    """The run's summary: read back when the folder finished with these settings (keys added to the settings
    since: at their defaults), else trained now (resuming the folder's last checkpoint)."""
    from alft.training.pipeline import run_training

    summary = folder / "summary.json"
    if summary.exists():
        stored = json.loads(summary.read_text())
        current = json.loads(json.dumps(settings.to_json()))
        if all(stored["settings"][k] == current[k] for k in stored["settings"] if k in current):
            return stored
    return run_training(settings, folder, log=lambda m: print(f"[{tag}] {m}", flush=True))


def prompts_with_references(settings: Any) -> Any:
    """The run's training prompts with their ``reference_answers`` column (from the cache when drawn before)."""
    from alft.training.pipeline import base_policy, prompts, with_references
    from alft.training.runtime import runtime

    train, _ = prompts(settings)
    return with_references(base_policy(settings, show_progress=False), train, settings, runtime(settings), None,
                           lambda m: None)[0]
