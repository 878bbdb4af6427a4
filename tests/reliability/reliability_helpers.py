"""Helpers shared by the reliability tests and ``benchmarks/reliability.py`` (imported by module name, not
through conftest, so the benchmark can reuse them).

* :func:`run_alft` runs the real ``alft`` command in a fresh process (no state shared with pytest).
* :func:`comparable_summary` strips wall-clock fields from a ``summary.json`` / ``--json`` object.
* :func:`kill_after_checkpoint` starts ``alft train`` and SIGKILLs it once a complete checkpoint exists.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

_SCRIPT = Path(sys.executable).with_name("alft")
ALFT = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-c", "from alft.cli import main; main()"]
TINY = ("--preset", "tiny")
# Fields that measure time, not results: they differ between identical runs, so determinism ignores them.
TIME_KEYS = ("seconds", "equivalence_seconds", "extract_seconds", "estimator_seconds", "step_time")


def alft_env(cache_dir: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """The environment of a child ``alft``: the given table/warm-up cache, one torch thread."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["ALFT_CACHE_DIR"] = str(cache_dir)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run_alft(*args: str, cache_dir: str | os.PathLike[str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``alft ARGS`` in a new process; stdout and stderr captured as text."""
    return subprocess.run([*ALFT, *args], capture_output=True, text=True, timeout=timeout, env=alft_env(cache_dir))


def comparable_summary(summary: Any) -> Any:
    """The summary without wall-clock fields (any key named in :data:`TIME_KEYS` or ending in one of them
    with a ``_first``/``_last`` suffix), recursively."""
    if isinstance(summary, dict):
        return {
            key: comparable_summary(value)
            for key, value in summary.items()
            if not any(key == k or key.startswith(k + "_") or key.endswith(k) for k in TIME_KEYS)
        }
    if isinstance(summary, list):
        return [comparable_summary(value) for value in summary]
    return summary


def metrics_steps(folder: Path) -> list[int]:
    """The ``step`` of every line of a run folder's metrics.jsonl, in file order."""
    return [json.loads(line)["step"] for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]


def complete_checkpoints(folder: Path) -> list[int]:
    """Steps of the checkpoints whose trainer_state.json (the Trainer writes it last) parses."""
    steps = []
    for path in (folder / "checkpoints").glob("checkpoint-*"):
        try:
            json.loads((path / "trainer_state.json").read_text())
        except (OSError, ValueError):
            continue
        steps.append(int(path.name.split("-")[1]))
    return sorted(steps)


def kill_after_checkpoint(args: list[str], folder: Path, cache_dir: str | os.PathLike[str] | None,
                          timeout: float = 240) -> dict[str, Any]:
    """Start ``alft train ARGS --output-dir folder`` and SIGKILL it as soon as one checkpoint is complete.

    Returns:
        ``{"killed": bool, "checkpoints": [...], "steps_before": [...]}`` — ``killed`` is False when the run
        finished before the kill could land (the caller then has nothing to resume and should say so).
    """
    process = subprocess.Popen([*ALFT, "train", *args, "--output-dir", str(folder)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=alft_env(cache_dir), start_new_session=True)
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if complete_checkpoints(folder):
                os.killpg(process.pid, signal.SIGKILL)  # our own child's process group, by its id
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None and time.monotonic() >= deadline:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    killed = process.returncode == -signal.SIGKILL
    steps = metrics_steps(folder) if (folder / "metrics.jsonl").exists() else []
    return {"killed": killed, "checkpoints": complete_checkpoints(folder), "steps_before": steps}


def adversarial_completions() -> dict[str, str]:
    """Completions built to break extractors: huge, deeply nested, unbalanced, look-alike unicode, NUL bytes."""
    return {
        "empty": "",
        "1 MB of digits": "9" * 1_000_000,
        "200k opening braces": "{" * 200_000,
        "200k closing braces": "}" * 200_000,
        "50k unclosed \\boxed{": "\\boxed{" * 50_000,
        "boxed around 100k braces": "\\boxed{" + "{" * 100_000 + "7" + "}" * 100_000 + "}",
        "30k 'final answer:'": "final answer: " * 30_000,
        "30k 'the answer is'": "the answer is " * 30_000,
        "50k '####'": "#### " * 50_000,
        "300k thousands separators": "1," * 300_000,
        "500k minus signs then 5": "-" * 500_000 + "5",
        "100k unicode minus then 3": "\u2212" * 100_000 + "3",
        "fullwidth digits": "\uff10\uff11\uff12" * 50_000,
        "NFKC 18x expansion": "\ufdfa" * 20_000,
        "100k dollars": "$" * 100_000,
        "NUL bytes": "\x00" * 10_000 + "=4",
        "200k 'a='": "a=" * 200_000,
        "200k newlines": "\n" * 200_000,
        "20k unfinished fractions": "\\frac{1}{" * 20_000,
        "combining accents": "e\u0301" * 100_000,
        "lone surrogates": "\ud800" * 1_000 + "=2",
        "emoji and RTL": "\U0001f600\u202e42\u202c" * 10_000,
        "answer longer than MAX_ANSWER_CHARS": "\\boxed{" + "x" * 10_000 + "}",
    }
