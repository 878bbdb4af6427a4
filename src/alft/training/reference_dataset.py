"""``alft references``: a dataset written back with its reference answers, for an anchored reward anywhere.

The anchored game (docs/concepts/game.md#the-anchor) needs M answers per prompt drawn once from the reference policy. ``alft train``
draws them itself; a TRL or verl user gets them here, in the layout their trainer reads:

* JSONL or Parquet (by the file's suffix): the dataset's own rows, columns as they were, plus a
  ``reference_answers`` column — per row the JSON text of its M canonical answers, null for unanswered, as
  ``alft train`` and :func:`alft.integrations.trl.answer_reward` read it. ``alft train --dataset`` on that file
  draws nothing.
* verl's RL Parquet (``--verl``): ``data_source``, ``prompt`` (chat messages; a text prompt becomes one user
  message), ``ability``, ``reward_model {style, ground_truth}`` and ``extra_info {split, index,
  reference_answers}``, the answers a list of text ("" for unanswered).

The answers come from :func:`alft.training.references.draw_reference_answers` (cached, resumable: a killed
command re-run finishes the same file). The output is written to a temporary file and renamed at the end, so
a failed or killed command leaves no partial output.
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable
from typing import Any

import datasets
from accelerate import PartialState

from alft.errors import require
from alft.task.arithmetic import prompt_dataset
from alft.task.loading import load_prompts, load_rows
from alft.training.policy import base_policy, draws_bars
from alft.training.references import Answers, draw_reference_answers, require_vllm, with_reference_column
from alft.training.runtime import device_for
from alft.training.settings import TrainSettings

SUFFIXES = (".jsonl", ".parquet")
BUILTIN_SOURCE = "alft/arithmetic"  # verl's data_source of the built-in task's prompts
ABILITY = "math"  # verl's ability tag: alft's answers are final answers of reasoning problems


def check_output(path: Path, verl: bool) -> None:
    """An output file whose suffix says its format (verl reads Parquet only); checked before any work."""
    suffixes = (".parquet",) if verl else SUFFIXES
    why = " (verl's RL layout is Parquet)" if verl else " (the format follows the suffix)"
    require(path.suffix.lower() in suffixes, "--output", str(path), f"a file ending in {' or '.join(suffixes)}{why}")
    require(not path.is_dir(), "--output", str(path), "a file, not a folder")


def write_reference_dataset(rows: datasets.Dataset, path: Path) -> Path:
    """Write ``rows`` as JSONL or Parquet (by ``path``'s suffix) to a temporary file beside it, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    if path.suffix.lower() == ".parquet":
        rows.to_parquet(str(partial))
    else:
        rows.to_json(str(partial), lines=True, force_ascii=False)
    os.replace(partial, path)
    return path


def verl_rows(data: datasets.Dataset, answers: Answers, *, data_source: str, split: str) -> datasets.Dataset:
    """verl's RL rows (as ``examples/verl/prepare_gsm8k.py``), the reference answers in ``extra_info``.

    Args:
        data: prompts (``prompt``: text or chat messages) and, if it has one, an ``answer`` column (the ground
            truth; None without).
        answers: per row, its M reference answers (None for unanswered, written as "").
        data_source: verl's ``data_source`` tag.
        split: written to ``extra_info["split"]``.
    """
    truths = data["answer"] if "answer" in data.column_names else [None] * len(data)
    return datasets.Dataset.from_list([
        {"data_source": data_source, "prompt": _messages(prompt), "ability": ABILITY,
         "reward_model": {"style": "rule", "ground_truth": truth},
         "extra_info": {"split": split, "index": i, "reference_answers": ["" if a is None else a for a in row]}}
        for i, (prompt, truth, row) in enumerate(zip(data["prompt"], truths, answers, strict=True))
    ])


def _messages(prompt: str | list[dict[str, str]]) -> list[dict[str, str]]:
    return prompt if isinstance(prompt, list) else [{"role": "user", "content": prompt}]


def make_reference_dataset(settings: TrainSettings, output: Path, *, seed: int = 0, verl: bool = False,
                           batch_size: int = 512, progress: Any = None,
                           log: Callable[[str], None] = lambda message: None) -> dict[str, Any] | None:
    """The whole ``alft references`` job: the prompts of ``settings`` (the built-in task's training prompts, or
    its dataset), M reference answers each from its base policy, written to ``output``.

    Args:
        settings: model, dataset and its columns, extractor, M (``reference_draws``), completion length,
            temperature, device and vLLM, as ``alft train`` reads them.
        output: a ``.jsonl`` or ``.parquet`` file (``.parquet`` with ``verl``).
        seed: seeds the draws (0 draws the set ``alft train`` draws for the same prompts and model).
        verl: write verl's RL layout instead of the dataset's own rows.
        batch_size: sequences per generate call.
        log: receives the stage's cost before drawing starts.
        progress: a started ``rich.progress.Progress``, or None.

    Returns:
        The summary (``output``, ``layout``, ``model`` and :meth:`alft.training.references.ReferenceSet.summary`); None on the processes
        other than the main one of an ``accelerate launch``, which draw their share and write nothing.
    """
    check_output(output, verl)
    device = device_for(settings)
    if settings.hardware.use_vllm:
        require_vllm()
    state = PartialState(cpu=device == "cpu")
    rows, data = _prompt_rows(settings)
    with state.main_process_first():  # one process warms up (a preset other than the shipped one)
        policy = base_policy(settings, show_progress=draws_bars(progress))
    log(f"reference answers: {len(data)} prompts × {settings.draws_to_make} draws = "
        f"{len(data) * settings.draws_to_make} completions (cached: drawn once per model, prompts and settings)")
    references = draw_reference_answers(
        policy.path, data, draws=settings.draws_to_make,
        max_new_tokens=settings.max_completion_length, temperature=settings.temperature, seed=seed,
        extractor=settings.reward.extractor, batch_size=batch_size, device=device, use_vllm=settings.hardware.use_vllm,
        progress=progress)
    if not state.is_main_process:
        return None
    table = (verl_rows(data, references.answers, data_source=_data_source(settings), split=settings.data.dataset_split)
             if verl else with_reference_column(rows, references.answers))
    write_reference_dataset(table, output)
    return {"output": str(output), "layout": "verl" if verl else "dataset", "model": policy.path,
            **references.summary()}


def _prompt_rows(settings: TrainSettings) -> tuple[datasets.Dataset, datasets.Dataset]:
    """(the rows to write back, as they were; the same rows with ``prompt`` and ``answer`` columns)."""
    if settings.builtin_task:  # the training prompts of the run alft train makes with these settings
        data = prompt_dataset(settings.data.train_prompts, split="train", seed=settings.task_seed)
        return data, data
    data = load_prompts(settings.data.dataset, split=settings.data.dataset_split, prompt_column=settings.data.prompt_column,
                        answer_column=settings.data.answer_column or None)
    return load_rows(settings.data.dataset, settings.data.dataset_split), data


def _data_source(settings: TrainSettings) -> str:
    """verl's ``data_source``: the built-in task's tag, a hub dataset's name or a data file's name."""
    if settings.data.dataset is None:
        return BUILTIN_SOURCE
    return Path(settings.data.dataset).stem if Path(settings.data.dataset).exists() else settings.data.dataset
