"""Real models and datasets: the ordinary ``from_pretrained`` / ``load_dataset`` paths (docs/guides/your-model.md).

These machines cannot download from a hub; users with network pass a hub id, everyone else a local folder
(a model) or a JSONL/JSON file (a dataset). Either way the result is what the built-in task produces:
a causal LM with a left-padding tokenizer, and a ``datasets.Dataset`` with ``prompt`` and ``answer`` columns.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import datasets
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from alft.answers import read_gold_answers
from alft.errors import AlftInputError, require
from alft.task.gguf import converted_folder, gguf_file

_FILE_FORMATS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}


def loadable_model(model: str) -> str:
    """What ``from_pretrained`` loads for ``model``: a GGUF file (or a folder holding one) becomes its converted
    safetensors folder (:mod:`alft.task.gguf`, converted once and cached); anything else is unchanged."""
    require(isinstance(model, str) and model.strip() != "", "model", model, "a model folder, GGUF file or hub id")
    file = gguf_file(model)
    return model if file is None else str(converted_folder(file))


def load_tokenizer(model: str) -> PreTrainedTokenizerBase:
    """Load a model's tokenizer (and check its configuration loads): the cheap check that ``model`` is a model.

    The tokenizer pads on the left (batched generation) and gets ``pad = eos`` if it has no pad token.

    Raises:
        AlftInputError: if nothing loadable is found there (naming a missing config.json or tokenizer).
    """
    model = loadable_model(model)
    if Path(model).is_dir():
        require((Path(model) / "config.json").is_file(), "model", model,
                "a folder containing config.json (save_pretrained) or one GGUF file")
    with _model_errors(model):
        AutoConfig.from_pretrained(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(model)
    except (OSError, ValueError, TypeError) as error:
        raise _no_tokenizer(model, f"{type(error).__name__}: {str(error)[:200]}") from error
    if len(tokenizer) <= 1:  # transformers builds an empty tokenizer from a folder that has no tokenizer files
        raise _no_tokenizer(model, f"what loaded has {len(tokenizer)} token")
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_policy(model: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer (:func:`load_tokenizer`) from a local folder or a hub id.

    Args:
        model: a folder written by ``save_pretrained`` (e.g. a warm-up result), a GGUF file or a hub id.

    Returns:
        ``(model, tokenizer)``, the model in float32 on CPU with ``config._name_or_path == model``.

    Raises:
        AlftInputError: if nothing loadable is found there.
    """
    tokenizer = load_tokenizer(model)
    model = loadable_model(model)
    with _model_errors(model):
        policy = AutoModelForCausalLM.from_pretrained(model, dtype="float32")
    return policy, tokenizer


def _no_tokenizer(model: str, detail: str) -> AlftInputError:
    return AlftInputError(f"model: {model!r} has no tokenizer that loads, expected its tokenizer files beside the "
                          f"weights (tokenizer.json or tokenizer_config.json, as save_pretrained writes them; {detail})")


@contextlib.contextmanager
def _model_errors(model: str) -> Iterator[None]:
    try:
        yield
    except (OSError, ValueError) as error:
        where = "a folder with config.json and weights" if Path(model).exists() else "an existing folder or hub id"
        raise AlftInputError(f"model: got {model!r}, expected {where} ({type(error).__name__}: {error})") from error


def is_conversational(data: datasets.Dataset) -> bool:
    """True when the ``prompt`` column holds chat messages (TRL's conversational format), not text."""
    return len(data) > 0 and isinstance(data[0]["prompt"], list)


def prompt_texts(data: datasets.Dataset, tokenizer: PreTrainedTokenizerBase) -> list[str]:
    """The prompts as the model sees them: chat messages through the tokenizer's chat template (with the
    assistant turn opened, as TRL does), text as it is."""
    if not is_conversational(data):
        return list(data["prompt"])
    check_chat_template(tokenizer)
    return [_rendered(tokenizer, messages, row) for row, messages in enumerate(data["prompt"])]


def _rendered(tokenizer: PreTrainedTokenizerBase, messages: list[dict[str, str]], row: int) -> str:
    """One row's messages through the chat template; a template that refuses them is named with the row."""
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    except Exception as error:  # jinja2's TemplateError (raise_exception), or any error inside the template
        roles = [m.get("role") for m in messages]
        raise AlftInputError(
            f"prompt_column[{row}]: the chat template of {tokenizer.name_or_path!r} failed on these messages (roles "
            f"{roles}; {type(error).__name__}: {error}); expected messages the model's template accepts, e.g. "
            "without a system message if the template refuses one") from error


def check_chat_template(tokenizer: PreTrainedTokenizerBase) -> None:
    """A chat dataset needs a tokenizer with a chat template (TRL would fail mid-run without one)."""
    if getattr(tokenizer, "chat_template", None) is None:
        raise AlftInputError(
            f"prompt_column: holds chat messages, but the tokenizer of {tokenizer.name_or_path!r} has no chat "
            "template; expected a model whose tokenizer defines chat_template, or plain-text prompts")


def load_rows(dataset: str, split: str = "train") -> datasets.Dataset:
    """A data file or hub dataset as it is (columns unchanged; checked and normalised by :func:`load_prompts`)."""
    path = Path(dataset)
    file_format = _FILE_FORMATS.get(path.suffix.lower())
    if file_format is not None:
        require(path.is_file(), "dataset", dataset, f"an existing {path.suffix} file or a hub name")
        require(path.stat().st_size > 0, "dataset", dataset, "a file with at least one row")
        # a single file has one split, which datasets names "train"
        return datasets.load_dataset(file_format, data_files=str(path), split="train")
    return datasets.load_dataset(dataset, split=split)


def load_prompts(
    dataset: str,
    *,
    split: str = "train",
    prompt_column: str = "prompt",
    answer_column: str | None = "answer",
    limit: int | None = None,
) -> datasets.Dataset:
    """Load prompts (and reference answers) from a data file or a hub dataset.

    Args:
        dataset: a ``.jsonl`` / ``.json`` / ``.csv`` / ``.parquet`` file, or a hub dataset name.
        split: the split of a hub dataset (a single file has only one, and this is ignored).
        prompt_column: the column holding the prompts: text, or chat messages (a list of ``{"role", "content"}``
            per row, TRL's conversational format, kept as they are).
        answer_column: the column holding reference answers, or ``None`` if there are none (label-free
            training such as coherence needs no answers).
        limit: keep only the first ``limit`` rows.

    Returns:
        A ``datasets.Dataset`` with a ``prompt`` column (text or messages) and, if ``answer_column`` is given, a string
        ``answer`` column; other columns are kept (TRL passes them to reward functions).

    Raises:
        AlftInputError: for a missing file, an empty dataset, a missing column (the message lists the
            columns present), empty prompts or an answer with nothing readable (``alft.answers.read_gold_answer``:
            plain, GSM8K ``… #### 72`` and boxed forms are read; a missing answer means "no gold answer").
    """
    data = load_rows(dataset, split)
    require(len(data) > 0, "dataset", dataset, "at least one row")
    for field, column in (("prompt_column", prompt_column), ("answer_column", answer_column)):
        if column is not None and column not in data.column_names:
            raise AlftInputError(f"{field}: got {column!r}, expected one of the columns {data.column_names}")
    if limit is not None:
        require(limit >= 1, "limit", limit, "None or an integer ≥ 1")
        data = data.select(range(min(limit, len(data))))
    data = _rename(data, prompt_column, "prompt")
    empty = [i for i, prompt in enumerate(data["prompt"]) if prompt is None or str(prompt).strip() == ""]
    require(not empty, f"{prompt_column}[{empty[0] if empty else 0}]", "", "a non-empty prompt in every row")
    data = _checked_messages(data, prompt_column) if is_conversational(data) else _as_strings(data, "prompt", prompt_column)
    if answer_column is not None:
        data = _as_strings(_rename(data, answer_column, "answer"), "answer", answer_column)
        read_gold_answers(data["answer"], len(data), 1, answer_column)  # an unreadable answer fails here, not mid-run
    return data


def _checked_messages(data: datasets.Dataset, field: str) -> datasets.Dataset:
    """Every row a non-empty list of ``{"role": str, "content": str}`` messages."""
    for i, messages in enumerate(data["prompt"]):
        ok = isinstance(messages, list) and messages and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in messages)
        require(ok, f"{field}[{i}]", messages, 'text, or a list of {"role": ..., "content": ...} messages')
    return data


def _as_strings(data: datasets.Dataset, column: str, field: str) -> datasets.Dataset:
    """Cast a column to strings (answers such as 42 are compared as text by alft.answers)."""
    try:
        return data.cast_column(column, datasets.Value("string"))
    except (TypeError, ValueError) as error:
        feature = data.features[column]
        raise AlftInputError(f"{field}: got a column of {feature}, expected plain text or numbers") from error


def _rename(data: datasets.Dataset, column: str, to: str) -> datasets.Dataset:
    """Rename ``column`` to ``to``, moving aside any existing ``to`` column (kept as ``original_<to>``)."""
    if column == to:
        return data
    if to in data.column_names:
        data = data.rename_column(to, f"original_{to}")
    return data.rename_column(column, to)
