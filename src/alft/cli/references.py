"""``alft references``: M reference answers per prompt for the answer-level anchor, written back with the
dataset (JSONL or Parquet) or in verl's RL layout, for a TRL or verl run (or ``alft train --dataset``).

Parses options and prints; the job is :func:`alft.training.reference_dataset.make_reference_dataset`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from alft.cli.errors import user_errors
from alft.cli.progress import stage_log
from alft.cli.options import field_option
from alft.cli.train import JsonOption, PresetOption, VerboseOption, _out, _run
from alft.games.reward import REWARD_HELP
from alft.games import Reward
from alft.training.presets import preset_help
from alft.training.settings import DataSettings, HardwareSettings, ModelSettings, TrainSettings, task_extractor

Opt = typer.Option
DeviceOption = field_option(HardwareSettings, "device", help="auto: CUDA, else MPS, else CPU (the built-in model stays on CPU).")


def references(
    output: Annotated[Path, Opt("--output", "-o", help="The file to write: .jsonl or .parquet (the dataset's rows plus a reference_answers column), or with --verl a .parquet in verl's RL layout.")],
    model: Annotated[str | None, Opt("--model", help="The reference policy: a local model folder (save_pretrained), a GGUF file (converted once, cached) or hub id. Default: the built-in model.")] = None,
    dataset: Annotated[str | None, Opt("--dataset", help="A JSONL/JSON/CSV/Parquet file or a datasets name; its prompt column holds text or chat messages (rendered through the model's chat template, as alft train does). Needs --model. Default: the built-in task's training prompts.")] = None,
    dataset_split: Annotated[str, Opt("--dataset-split", help="Split of a named dataset.")] = "train",
    prompt_column: Annotated[str, Opt("--prompt-column", help="The dataset's prompt column.")] = "prompt",
    answer_column: Annotated[str, Opt("--answer-column", help="The dataset's answer column ('' for none); with --verl it becomes reward_model.ground_truth.")] = "answer",
    extractor: Annotated[str | None, Opt("--extractor", help=REWARD_HELP["extractor"] + " Default: arithmetic for the built-in task, auto otherwise.")] = None,
    reference_draws: Annotated[int | None, Opt("--reference-draws", "-m", help="M, answers drawn per prompt (M + 1 ≤ 256). " + preset_help("reference_draws"))] = None,
    max_completion_length: Annotated[int | None, Opt("--max-completion-length", help="Tokens per completion. " + preset_help("max_completion_length"))] = None,
    temperature: Annotated[float | None, Opt("--temperature", help="Sampling temperature (pure sampling, no top-k/top-p). " + preset_help("temperature"))] = None,
    seed: Annotated[int, Opt("--seed", help="Seeds the draws; 0 draws the set alft train draws for the same prompts and model.")] = 0,
    preset: PresetOption = "default",
    device: DeviceOption = "auto",
    use_vllm: Annotated[bool, Opt("--use-vllm/--no-use-vllm", help="Generate with vLLM (needs `pip install vllm` and a GPU; one process).")] = False,
    batch_size: Annotated[int, Opt("--batch-size", help="Sequences (prompts × M) per generate call; the answers depend on it.")] = 512,
    verl: Annotated[bool, Opt("--verl", help="Write verl's RL Parquet: data_source, prompt (messages), ability, reward_model, extra_info with reference_answers (\"\" for unanswered).")] = False,
    verbose: VerboseOption = False,
    as_json: JsonOption = False,
) -> None:
    """Draw M reference answers per prompt once (cached, resumable) and write them with the dataset.

    Multi-GPU (or several CPU processes): accelerate launch -m alft.cli references [OPTIONS].
    """
    from alft.training.reference_dataset import check_output  # imports torch: inside the command

    with user_errors():  # alft train's settings: the same defaults, checks, model and prompts
        settings = TrainSettings(
            preset=preset, reward=Reward(extractor=task_extractor(dataset, extractor)),
            max_completion_length=max_completion_length, temperature=temperature,
            data=DataSettings(dataset=dataset, dataset_split=dataset_split, prompt_column=prompt_column,
                              answer_column=answer_column, reference_draws=reference_draws),
            policy=ModelSettings(model=model), hardware=HardwareSettings(device=device, use_vllm=use_vllm))
        check_output(output, verl)
    summary = _run(lambda progress: _job(settings, output, seed, verl, batch_size, progress), output,
                   "interrupted: run the same command again; the prompts drawn so far are cached and not redrawn",
                   verbose=verbose)
    if summary is None:
        return  # not the main process of a multi-process launch
    if as_json:
        print(json.dumps(summary))
        return
    _out.print(f"wrote {summary['output']}", highlight=False, soft_wrap=True)  # a path is never broken across lines
    _out.print(summary_line(summary), highlight=False)


def summary_line(summary: dict[str, Any]) -> str:
    return (f"{summary['prompts']} prompts × M = {summary['draws']} reference answers, "
            f"{summary['unanswered_rate']:.1%} unanswered, {summary['seconds']:.0f} s "
            f"({'all from the cache' if summary['drawn_now'] == 0 else str(summary['drawn_now']) + ' prompts drawn now'})")


def _job(settings: TrainSettings, output: Path, seed: int, verl: bool, batch_size: int, progress: Any) -> dict[str, Any] | None:
    from alft.training.reference_dataset import make_reference_dataset

    return make_reference_dataset(settings, output, seed=seed, verl=verl, batch_size=batch_size, progress=progress,
                                  log=stage_log(progress))


def register(app: typer.Typer) -> None:
    app.command("references")(references)
