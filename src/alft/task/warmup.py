"""Supervised warm-up of the built-in model: the base policy that answer-level training starts from (docs/concepts/builtin-task.md).

A randomly initialised model knows nothing; a short SFT run on arithmetic traces (35 % of those that can
make the task's systematic error make it, :mod:`alft.task.arithmetic`) gives a policy whose *sampled*
answers are spread — the regime where coherence and diversity objectives have something to do. The loss is on the completion
only, and TRL appends ``<eos>`` to every completion so the policy learns to stop (without it every GRPO
completion runs to the length limit, docs/concepts/builtin-task.md).

The default recipe's result for seed 0 ships with the package (:mod:`alft.task.shipped`), so on a fresh
machine ``alft train`` starts GRPO at once; :func:`rebuild_base_policy` (``python -m alft.task.warmup
--rebuild``) remakes it with this recipe. Other recipes and seeds are cached: a folder under ``alft.paths.cache_root()/warmup/<key>`` where the key
hashes the configuration, the seed and the library versions, written atomically (temporary folder, then
rename) under a file lock, so ``alft train`` warms up once per setting even with parallel runs.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import filelock
import torch
import transformers
import trl
from transformers import PrinterCallback, ProgressCallback
from trl import SFTConfig, SFTTrainer

from alft.errors import require
from alft.paths import cache_root
from alft.task.arithmetic import ArithmeticConfig, warmup_dataset
from alft.task.model import ModelConfig, build_model, save_policy
from alft.task.shipped import SHIPPED_DIR, SHIPPED_SEED, write_checksums
from alft.task.threads import torch_threads
from alft.task.tokenizer import build_tokenizer

_CACHE_FORMAT = 1  # bump when the warm-up recipe changes, so stale caches are not reused
_RECORD = "alft_warmup.json"


@dataclass(frozen=True)
class WarmupConfig:
    """The warm-up recipe.

    The defaults made the shipped base policy (:mod:`alft.task.shipped`): 4365 s on a 2-core machine with
    one torch thread while 10–17 other processes competed (≈ 10 min on an idle one; a one-off, the weights
    ship). On 1000 eval problems (seed 0, K = 8): greedy 0.702; majority-of-8 0.741 / 0.762 and mean
    sample accuracy 0.579 / 0.637 at temperature 1.0 / 0.7 (``benchmarks/results/task_premise.json``).
    1500 steps on 32 000 traces: greedy 0.547, majority-of-8 0.580 / 0.577 (the lever table is
    ``benchmarks/results/task_premise_levers.json``).

    Attributes:
        steps: optimiser steps.
        batch_size: traces per step.
        learning_rate: peak AdamW learning rate (cosine decay after a linear ramp of ``warmup_steps``).
        warmup_steps: steps of linear learning-rate ramp.
        n_traces: warm-up traces drawn (reused across epochs); ``None`` means ``steps × batch_size``.
            64 000 (3 epochs at the defaults): reused traces trained as well as fresh ones and cut TRL's
            dataset preparation by two thirds.
        model: sizes of the model.
        task: sizes of the arithmetic task and its wrong-step rate.
    """

    steps: int = 3000
    batch_size: int = 64
    learning_rate: float = 3e-3
    warmup_steps: int = 50
    n_traces: int | None = 64_000
    model: ModelConfig = field(default_factory=ModelConfig)
    task: ArithmeticConfig = field(default_factory=ArithmeticConfig)

    def __post_init__(self) -> None:
        require(self.steps >= 1, "steps", self.steps, "a positive integer")
        require(self.batch_size >= 1, "batch_size", self.batch_size, "a positive integer")
        require(0 < self.learning_rate < 1, "learning_rate", self.learning_rate, "a number in (0, 1)")
        require(self.warmup_steps >= 0, "warmup_steps", self.warmup_steps, "an integer ≥ 0")
        require(
            self.n_traces is None or self.n_traces >= 1, "n_traces", self.n_traces, "None or a positive integer"
        )

    @classmethod
    def tiny(cls) -> WarmupConfig:
        """A few-step recipe on a very small model, for tests (seconds, not minutes)."""
        return cls(
            steps=4,
            batch_size=8,
            warmup_steps=0,
            n_traces=None,
            model=ModelConfig(n_layers=1, hidden_size=32, n_heads=2, intermediate_size=64, max_positions=64),
        )

    @property
    def traces(self) -> int:
        return self.n_traces if self.n_traces is not None else self.steps * self.batch_size


@dataclass(frozen=True)
class WarmupResult:
    """Where the base policy is and how it was made.

    Attributes:
        path: folder with model and tokenizer (``from_pretrained``-ready; ``config._name_or_path`` is it).
        cached: True if the folder came from the cache (no training ran now).
        seconds: training time when the folder was made.
        final_loss: mean training loss over the last logged steps.
    """

    path: Path
    cached: bool
    seconds: float
    final_loss: float


def default_cache_dir() -> Path:
    """:func:`alft.paths.cache_root` (``$ALFT_CACHE_DIR`` or the user cache dir): where warm-ups are kept."""
    return cache_root()


def cache_key(config: WarmupConfig, seed: int) -> str:
    """A short hash of everything that determines the warm-up's output."""
    payload = {
        "format": _CACHE_FORMAT,
        "config": dataclasses.asdict(config),
        "seed": seed,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "trl": trl.__version__},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


class _BarOnly(ProgressCallback):
    """TRL's tqdm progress bar (on stderr) without the log dicts it would print to stdout."""

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001, ANN003
        return None


@contextlib.contextmanager
def _quiet_progress(progress: bool) -> Iterator[None]:
    """Hide the datasets / transformers progress bars (dataset maps, weight saving) unless ``progress``."""
    if progress:
        yield
        return
    datasets_bars = datasets.is_progress_bar_enabled()
    transformers_bars = transformers.utils.logging.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    try:
        yield
    finally:  # as they were: inside `alft train`, whose console keeps library bars hidden, they stay hidden
        if transformers_bars:
            transformers.utils.logging.enable_progress_bar()
        if datasets_bars:
            datasets.enable_progress_bars()


def _train(config: WarmupConfig, seed: int, folder: Path, progress: bool) -> tuple[float, float]:
    """Run SFT and save the policy to ``folder``; return (seconds, final loss)."""
    tokenizer = build_tokenizer(model_max_length=config.model.max_positions)
    model = build_model(tokenizer, config.model, seed=seed)
    # only prompt/completion: with a "text" column present TRL would append <eos> to the text, not the completion
    data = warmup_dataset(config.traces, seed=seed, config=config.task).select_columns(["prompt", "completion"])
    args = SFTConfig(
        output_dir=str(folder / "trainer"),
        max_steps=config.steps,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=config.warmup_steps,
        completion_only_loss=True,
        max_length=config.model.max_positions,
        use_cpu=True,
        bf16=False,
        seed=seed,
        data_seed=seed,
        report_to="none",
        save_strategy="no",
        logging_steps=max(1, config.steps // 20),
        disable_tqdm=not progress,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer)
    # both default callbacks print every log dict to stdout, which must stay clean for `--json` (docs/concepts/builtin-task.md)
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress:
        trainer.add_callback(_BarOnly())
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    losses = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    final_loss = float(sum(losses[-3:]) / len(losses[-3:])) if losses else float("nan")
    shutil.rmtree(folder / "trainer", ignore_errors=True)
    save_policy(trainer.model, tokenizer, folder)
    return seconds, final_loss


def warm_up(
    config: WarmupConfig = WarmupConfig(),
    *,
    seed: int = 0,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
    num_threads: int | None = 1,
) -> WarmupResult:
    """The warmed-up base policy for ``(config, seed)``, trained now or taken from the cache.

    Args:
        config: the recipe (:meth:`WarmupConfig.tiny` for tests).
        seed: seeds the model's initial weights, the traces and the data order.
        cache_dir: parent of the ``warmup/`` cache; default :func:`default_cache_dir`.
        progress: show TRL's progress bar (on stderr).
        force: retrain even if a cached folder exists (it is replaced).
        num_threads: torch threads while training (restored afterwards); ``None`` keeps the current setting.
            Default 1: for this 0.5 M-parameter model one thread took 0.19 s a step, two threads 0.14 s on
            an idle machine but 0.9–2.4 s whenever another process used a core (measured on 2 cores).

    Returns:
        A :class:`WarmupResult`; load the policy with ``alft.task.loading.load_policy(str(result.path))``.
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    root = root / "warmup"
    root.mkdir(parents=True, exist_ok=True)
    key = cache_key(config, seed)
    final = root / key
    with filelock.FileLock(str(root / f"{key}.lock")):
        if final.is_dir() and (final / _RECORD).is_file() and not force:
            record = json.loads((final / _RECORD).read_text())
            return WarmupResult(final.resolve(), True, record["seconds"], record["final_loss"])
        staging = root / f"{key}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        with torch_threads(num_threads), _quiet_progress(progress):
            seconds, final_loss = _train(config, seed, staging, progress)
        record = {"seconds": seconds, "final_loss": final_loss, "seed": seed, "config": dataclasses.asdict(config)}
        (staging / _RECORD).write_text(json.dumps(record, indent=2))
        shutil.rmtree(final, ignore_errors=True)
        os.rename(staging, final)
        # the saved config names the staging folder; point it at the final one (docs/concepts/builtin-task.md: TRL reloads from it)
        _repoint(final)
    return WarmupResult(final.resolve(), False, seconds, final_loss)


def _repoint(folder: Path) -> None:
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    if "_name_or_path" in config:
        config["_name_or_path"] = str(folder.resolve())
        config_path.write_text(json.dumps(config, indent=2))


def rebuild_base_policy(
    destination: str | Path = SHIPPED_DIR, *, cache_dir: str | Path | None = None, progress: bool = True
) -> Path:
    """Remake the shipped base policy with the default recipe and seed, and record its checksums (docs/concepts/builtin-task.md).

    Trains :class:`WarmupConfig` ``()`` with seed :data:`~alft.task.shipped.SHIPPED_SEED` on one torch
    thread in a temporary cache (or takes that warm-up from ``cache_dir``), then replaces ``destination`` with the model, the tokenizer, the warm-up
    record (recipe, seconds, final loss) and a ``SHA256SUMS`` file. In an editable install the default
    destination is the source tree's ``src/alft/task/base_policy``: commit it.

    Args:
        destination: the folder to (re)write.
        cache_dir: a warm-up cache to take the result from if it holds this recipe and seed (trained there
            otherwise); ``None`` trains afresh.
        progress: show the training progress bar.

    Returns:
        The destination folder.
    """
    destination = Path(destination).resolve()
    with tempfile.TemporaryDirectory() as scratch:
        result = warm_up(WarmupConfig(), seed=SHIPPED_SEED, cache_dir=cache_dir or scratch, progress=progress)
        shutil.rmtree(destination, ignore_errors=True)
        shutil.copytree(result.path, destination, copy_function=shutil.copyfile)  # default file modes
    write_checksums(destination)
    return destination


def main(argv: list[str] | None = None) -> None:
    """``python -m alft.task.warmup --rebuild [--to FOLDER]``: rebuild the shipped base policy."""
    parser = argparse.ArgumentParser(prog="python -m alft.task.warmup", description=main.__doc__)
    parser.add_argument("--rebuild", action="store_true", help="retrain the shipped base policy (minutes)")
    parser.add_argument("--to", default=str(SHIPPED_DIR), help="destination folder (default: the package's)")
    parser.add_argument("--cache-dir", default=None, help="reuse a warm-up of this recipe cached there")
    args = parser.parse_args(argv)
    if not args.rebuild:
        parser.error("nothing to do: pass --rebuild")
    print(rebuild_base_policy(args.to, cache_dir=args.cache_dir))


if __name__ == "__main__":
    main()
