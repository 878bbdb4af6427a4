"""A GGUF file (llama.cpp's format) as a model ``--model`` takes: converted once to a cached safetensors folder.

transformers reads a GGUF file (``from_pretrained(folder, gguf_file=name)``, de-quantizing to float) but refuses
to ``save_pretrained`` the result, and ``alft train`` saves checkpoints and the trained policy. So the file is
read once, its weights copied into a plain model of the same configuration, and model and tokenizer saved to
``<alft cache>/gguf/<file stem>-<sha256 prefix>/``; every later run (and every process) loads that folder.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from filelock import FileLock

from alft.errors import AlftInputError
from alft.paths import cache_root

SUFFIX = ".gguf"
READ_CHUNK = 1 << 20


def gguf_file(model: str) -> Path | None:
    """The GGUF file ``model`` names: the file itself, or the one ``.gguf`` file of a folder without config.json.

    Raises:
        AlftInputError: a folder (without config.json) holding several GGUF files.
    """
    path = Path(model)
    if path.is_file() and path.suffix.lower() == SUFFIX:
        return path.resolve()
    if not path.is_dir() or (path / "config.json").is_file():
        return None
    files = sorted(p for p in path.iterdir() if p.suffix.lower() == SUFFIX)
    if len(files) > 1:
        raise AlftInputError(f"model: got folder {model!r} holding {len(files)} GGUF files "
                             f"({', '.join(p.name for p in files)}), expected one (pass the file itself)")
    return files[0].resolve() if files else None


def is_converted(file: Path) -> bool:
    """True when the GGUF file's converted folder is in the cache already (reading it again takes seconds)."""
    return (_target(file) / "config.json").is_file()


def converted_folder(file: Path) -> Path:
    """The cached safetensors folder of a GGUF file (converted now if it is not there yet).

    Raises:
        AlftInputError: a file transformers cannot read as a causal language model with a tokenizer.
    """
    target = _target(file)
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{target}.lock"):  # one process converts, the others wait and read it
        if not (target / "config.json").is_file():
            _convert(file, target)
    return target


def _target(file: Path) -> Path:
    return cache_root() / "gguf" / f"{file.stem}-{_digest(str(file), *_stamp(file))[:16]}"


def _stamp(file: Path) -> tuple[int, int]:
    stat = file.stat()
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=8)
def _digest(file: str, size: int, mtime_ns: int) -> str:  # size and mtime: a changed file is hashed again
    return _sha256(Path(file))


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while block := handle.read(READ_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _convert(file: Path, target: Path) -> None:
    """Read the GGUF (model, then tokenizer), save both to a staging folder, then move it into place."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(file.parent), file.name
    with _no_dequantization_bar():
        quantized = _read(file, "a causal language model",
                          lambda: AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype="float32"))
        tokenizer = _read(file, "a tokenizer", lambda: AutoTokenizer.from_pretrained(folder, gguf_file=name))
    config = copy.deepcopy(quantized.config)
    del config.quantization_config  # "quant_method: gguf" would make TRL refuse to train the saved model
    plain = AutoModelForCausalLM.from_config(config, dtype="float32")
    plain.load_state_dict(quantized.state_dict())
    plain.generation_config = quantized.generation_config
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        plain.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@contextlib.contextmanager
def _no_dequantization_bar() -> Iterator[None]:
    """transformers draws a tqdm bar over the GGUF tensors with tqdm itself (no switch turns it off); alft's
    log names the stage instead."""
    from transformers import modeling_gguf_pytorch_utils

    with mock.patch.object(modeling_gguf_pytorch_utils, "tqdm", lambda iterable, **options: iterable):
        yield


def _read(file: Path, what: str, load):  # noqa: ANN001, ANN202 — a from_pretrained call
    try:
        return load()
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        raise AlftInputError(f"model: got GGUF file {str(file)!r}, expected a GGUF file holding {what} that "
                             f"transformers reads ({type(error).__name__}: {str(error)[:300]})") from error
