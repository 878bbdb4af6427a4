"""The cache of reference answers: keyed by everything the draws depend on, checked on every read, filled in
seeded chunks of prompts (one JSON line each) so that a killed draw resumes and gives the same answers as an
uninterrupted one, shared under a file lock and between ``accelerate`` processes. :mod:`alft.training.references`
draws through it."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import FileLock

from alft.errors import AlftInputError
from alft.paths import cache_root

if TYPE_CHECKING:
    from accelerate import PartialState

CHUNK = 8  # prompts per cached line
SEQUENCES_PER_CALL = 512  # prompts × M per generate call (sample_answers' batch_size): M = 64 draws a chunk a call
Answers = list[list[str | None]]


def fingerprint(policy: str) -> str:
    """The base policy's identity: a hash of its weight files (a local folder) or its hub id."""
    folder = Path(policy)
    if not folder.is_dir():
        return f"hub:{policy}"
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def reference_header(policy: str, prompts: Sequence[str], *, draws: int, max_new_tokens: int, temperature: float,
                     extractor: str, seed: int, batch_size: int = SEQUENCES_PER_CALL,
                     generator: str = "transformers") -> dict[str, Any]:
    """What a reference set belongs to; equal headers mean interchangeable sets."""
    prompts_hash = hashlib.sha256("\n".join(prompts).encode()).hexdigest()[:16]
    header = {"format": 1, "policy": fingerprint(policy), "prompts": prompts_hash, "n_prompts": len(prompts),
              "draws": draws, "max_new_tokens": max_new_tokens, "temperature": temperature,
              "extractor": extractor, "seed": seed}
    # Settings added later enter the header only when they differ from what every earlier set was drawn with,
    # so existing sets keep their key (the default run's references are the same file as before).
    if batch_size != SEQUENCES_PER_CALL:
        header["batch_size"] = batch_size  # the random stream depends on how prompts are batched
    if generator != "transformers":
        header["generator"] = generator
    return header


def reference_path(header: dict[str, Any]) -> Path:
    key = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:20]
    return cache_root() / "references" / f"{key}.jsonl"


def read_reference_cache(path: Path, header: dict[str, Any]) -> Answers:
    """The finished chunks of a reference file (a torn last line is dropped: it is redone)."""
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    try:
        stored = json.loads(lines[0]) if lines else None
    except json.JSONDecodeError:
        stored = None
    if stored != header:
        raise AlftInputError(
            f"reference_answers: {path} holds reference answers for {stored!r}, expected {header!r} ({_differs(stored, header)}); "
            "delete it to draw new ones"
        )
    answers: Answers = []
    for line in lines[1:]:
        try:
            answers.extend(json.loads(line))
        except json.JSONDecodeError:
            break
    if len(answers) > header["n_prompts"]:
        raise AlftInputError(
            f"reference_answers: {path} holds {len(answers)} prompts' answers, expected at most {header['n_prompts']} "
            "(a file written by two runs at once); delete it to draw new ones"
        )
    return answers


def _differs(stored: object, header: dict[str, Any]) -> str:
    """Which of the header's fields a stored header differs in, in words (another model, other prompts…)."""
    if not isinstance(stored, dict):
        return "not a reference file"
    names = {"policy": "another model", "prompts": "other prompts"}
    fields = sorted(set(stored) | set(header), key=lambda k: (k not in names, k))
    return "differs in " + ", ".join(names.get(k, k) for k in fields if stored.get(k) != header.get(k))


Sampler = Callable[[Sequence[str], int], Answers]


def chunk_seed(seed: int, first: int) -> int:
    """The seed of the chunk that starts at prompt ``first``: the answers depend on neither the chunks drawn
    before it nor the process that draws it."""
    return seed * 1_000_003 + first


def draw_references(prompts: Sequence[str], header: dict[str, Any], sample: Sampler, *,
                    on_chunk: Callable[[int], None] = lambda n: None) -> tuple[Answers, Path]:
    """M reference answers per prompt, from the cache or drawn now (resuming a partial file).

    Args:
        prompts: the prompts, as the model sees them.
        header: from :func:`reference_header`.
        sample: ``sample(chunk_of_prompts, chunk_seed)`` → M canonical answers per prompt.
        on_chunk: called with the number of prompts finished, once with those read from the cache and then
            after each chunk (progress).

    Returns:
        (answers per prompt, the cache file).
    """
    from accelerate import PartialState

    path = reference_path(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = PartialState()
    if state.num_processes > 1:
        return _draw_split(path, prompts, header, sample, on_chunk, state), path
    with FileLock(f"{path}.lock"):  # two appending runs would each write every chunk
        return _draw_locked(path, prompts, header, sample, on_chunk), path


def _open_cache(path: Path, header: dict[str, Any]) -> Answers:
    """The finished answers, with the file ready for appending (header written, torn last line dropped)."""
    answers = read_reference_cache(path, header)
    if not path.exists():
        path.write_text(json.dumps(header) + "\n")
    else:
        _drop_torn_line(path, len(answers))
    return answers


def _draw_locked(path: Path, prompts: Sequence[str], header: dict[str, Any], sample: Sampler,
                 on_chunk: Callable[[int], None]) -> Answers:
    answers = _open_cache(path, header)
    on_chunk(len(answers))
    with path.open("a") as out:
        for first in range(len(answers), len(prompts), CHUNK):
            chunk = sample(prompts[first : first + CHUNK], chunk_seed(header["seed"], first))
            out.write(json.dumps(chunk) + "\n")
            out.flush()
            answers.extend(chunk)
            on_chunk(len(answers))
    return answers


def _draw_split(path: Path, prompts: Sequence[str], header: dict[str, Any], sample: Sampler,
                on_chunk: Callable[[int], None], state: PartialState) -> Answers:
    """Under ``accelerate launch``: each round every process draws one chunk (seeded by its index, so the answers
    are those of one process), the main process gathers them and appends them in order; it alone holds the lock."""
    from accelerate.utils import gather_object

    main = state.is_main_process
    with FileLock(f"{path}.lock") if main else contextlib.nullcontext():
        if main:
            _open_cache(path, header)
        state.wait_for_everyone()
        answers = read_reference_cache(path, header)
        on_chunk(len(answers))
        starts = list(range(len(answers), len(prompts), CHUNK))
        for first in range(0, len(starts), state.num_processes):
            with state.split_between_processes(starts[first : first + state.num_processes]) as mine:
                drawn = [sample(prompts[s : s + CHUNK], chunk_seed(header["seed"], s)) for s in mine]
            chunks = gather_object(drawn)  # in process order: the chunks in prompt order
            if main:
                with path.open("a") as out:
                    out.write("".join(json.dumps(chunk) + "\n" for chunk in chunks))
            answers.extend(a for chunk in chunks for a in chunk)
            on_chunk(len(answers))
    return answers


def _drop_torn_line(path: Path, n_answers: int) -> None:
    """Rewrite the file without a torn last line, so appends start on a clean line."""
    lines = path.read_text().splitlines()
    kept, count = [lines[0]], 0
    for line in lines[1:]:
        try:
            count += len(json.loads(line))
        except json.JSONDecodeError:
            break
        kept.append(line)
    if count == n_answers and len(kept) != len(lines):
        path.write_text("\n".join(kept) + "\n")
