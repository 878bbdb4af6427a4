"""The base policy of BVPO's built-in comparison: the shipped policy taught to answer with its trace empty.

BVPO needs a model that can answer both ways (docs/concepts/bvpo.md: reasoning on, or a ``<think></think>`` prefill). The
shipped built-in policy was trained on traces only: with the answer forced right after the prompt it names
the right number 0.6 % of the time and 3 % of prompts yield a correct-vs-wrong pair (measured on 64 train
prompts × 16 samples), so the empty-trace loss would have no data. This module continues its SFT briefly on a
mixture: with probability ``direct_fraction`` the completion is the *empty trace* — the marker ``=`` (a trace
with no step, the built-in analogue of ``<think></think>``) and then the answer the trace would have reached
(``Problem.trace_answer``: the systematic error included, so both modes learn the same answer distribution);
otherwise the usual trace. ``3+4*2-5=`` + ``=6`` is "no trace, answer 6"; ``3+4*2-5=`` + ``3+8-5=11-5=6``
is the traced completion. Traces never contain ``==``, so the marker is unambiguous.

The result is cached under ``alft.paths.cache_root()/bvpo_base/<key>`` (key: recipe and versions), written
to a temporary folder and renamed, so it is made once per machine.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import datasets
import numpy as np
import torch
import transformers
import trl
from transformers import PrinterCallback, ProgressCallback
from trl import SFTConfig, SFTTrainer

from alft.errors import require
from alft.paths import cache_root
from alft.task.arithmetic import ArithmeticConfig, generate_problems
from alft.task.loading import load_policy
from alft.task.model import save_policy
from alft.task.shipped import SHIPPED_DIR, verify_checksums
from alft.task.threads import torch_threads

EMPTY_MARKER = "="
"""The empty trace: the completion ``=<answer>`` after the prompt ``…=`` (no step, then the answer)."""
_FORMAT = 1  # bump when the recipe's meaning changes


@dataclass(frozen=True)
class HybridRecipe:
    """The short SFT continuation that teaches the shipped policy to answer with an empty trace.

    Attributes:
        steps: optimiser steps.
        batch_size: completions per step.
        learning_rate: peak AdamW learning rate (cosine decay).
        direct_fraction: probability that a training completion is the empty trace and the answer.
        seed: data and order seed.
    """

    steps: int = 400
    batch_size: int = 64
    learning_rate: float = 1e-3
    direct_fraction: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "an integer ≥ 1")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "an integer ≥ 1")
        require(self.learning_rate > 0, "learning_rate", self.learning_rate, "a number > 0")
        require(0 < self.direct_fraction < 1, "direct_fraction", self.direct_fraction, "a number in (0, 1)")

    def key(self) -> str:
        record = {"recipe": dataclasses.asdict(self), "format": _FORMAT, "torch": torch.__version__,
                  "transformers": transformers.__version__, "trl": trl.__version__}
        return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()[:16]


def hybrid_dataset(recipe: HybridRecipe, config: ArithmeticConfig = ArithmeticConfig()) -> datasets.Dataset:
    """Prompt/completion rows: traced completions, and with probability ``direct_fraction`` ``=<trace answer>``."""
    n = recipe.steps * recipe.batch_size
    problems = generate_problems(n, split="train", seed=recipe.seed, config=config)
    direct = np.random.default_rng([recipe.seed, 23]).random(n) < recipe.direct_fraction
    completions = [EMPTY_MARKER + str(p.trace_answer) if d else p.completion for p, d in zip(problems, direct)]
    return datasets.Dataset.from_dict({"prompt": [p.prompt for p in problems], "completion": completions})


def hybrid_base_policy(recipe: HybridRecipe = HybridRecipe()) -> tuple[Path, float]:
    """The hybrid base policy folder, trained now (≈ 1 min on one thread) or from the cache; (folder, seconds)."""
    folder = cache_root() / "bvpo_base" / recipe.key()
    if (folder / "model.safetensors").is_file():
        return folder, 0.0
    start = time.perf_counter()
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".tmp-"))
    try:
        model, tokenizer = load_policy(str(verify_checksums(SHIPPED_DIR)))
        args = SFTConfig(output_dir=str(tmp / "trainer"), max_steps=recipe.steps,
                         per_device_train_batch_size=recipe.batch_size, learning_rate=recipe.learning_rate,
                         lr_scheduler_type="cosine", warmup_steps=min(20, recipe.steps // 10), completion_only_loss=True,
                         max_length=model.config.max_position_embeddings, use_cpu=True, bf16=False, seed=recipe.seed,
                         data_seed=recipe.seed, report_to="none", save_strategy="no", logging_steps=recipe.steps,
                         disable_tqdm=True)
        with torch_threads(1):
            trainer = SFTTrainer(model=model, args=args, train_dataset=hybrid_dataset(recipe), processing_class=tokenizer)
            trainer.remove_callback(PrinterCallback)
            trainer.remove_callback(ProgressCallback)
            trainer.train()
        shutil.rmtree(tmp / "trainer", ignore_errors=True)
        save_policy(trainer.model, tokenizer, tmp)
        if not (folder / "model.safetensors").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return folder, time.perf_counter() - start
