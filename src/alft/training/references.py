"""The reference answers of the answer-level anchor (SPEC §2.6): M answers per training prompt, drawn once
from the starting policy, cached and resumable.

The cache is keyed by everything the draws depend on (the base policy's weights, the prompts, M, the sampling
settings and seed), so runs that share a base policy and prompts — other seeds and methods of one
``alft compare`` — reuse one set, and a set made for other prompts or another model is never reused: its
header is checked on every read and a mismatch is refused. Prompts are drawn in chunks, each seeded from
its index and appended as one JSON line, so a killed stage resumes without redoing finished prompts and
gives the same answers as an uninterrupted one. Runs that start together (parallel seeds of a comparison)
take a file lock: the first draws, the others wait and read its set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from filelock import FileLock

from alft.errors import AlftInputError
from alft.paths import cache_root

CHUNK = 8  # prompts per cached line


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
                     extractor: str, seed: int) -> dict[str, Any]:
    """What a reference set belongs to; equal headers mean interchangeable sets."""
    prompts_hash = hashlib.sha256("\n".join(prompts).encode()).hexdigest()[:16]
    return {"format": 1, "policy": fingerprint(policy), "prompts": prompts_hash, "n_prompts": len(prompts),
            "draws": draws, "max_new_tokens": max_new_tokens, "temperature": temperature,
            "extractor": extractor, "seed": seed}


def reference_path(header: dict[str, Any]) -> Path:
    key = hashlib.sha256(json.dumps(header, sort_keys=True).encode()).hexdigest()[:20]
    return cache_root() / "references" / f"{key}.jsonl"


def read_reference_cache(path: Path, header: dict[str, Any]) -> list[list[str | None]]:
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
            f"reference_answers: {path} holds reference answers for {stored!r}, expected {header!r} (another "
            "model or other prompts); delete it to draw new ones"
        )
    answers: list[list[str | None]] = []
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


Sampler = Callable[[Sequence[str], int], list[list[str | None]]]


def draw_references(prompts: Sequence[str], header: dict[str, Any], sample: Sampler, *,
                    on_chunk: Callable[[int], None] = lambda n: None) -> tuple[list[list[str | None]], Path]:
    """M reference answers per prompt, from the cache or drawn now (resuming a partial file).

    Args:
        prompts: the training prompts.
        header: from :func:`reference_header`.
        sample: ``sample(chunk_of_prompts, chunk_seed)`` → M canonical answers per prompt.
        on_chunk: called with the number of prompts finished after each chunk (progress).

    Returns:
        (answers per prompt, the cache file).
    """
    path = reference_path(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{path}.lock"):  # two appending runs would each write every chunk
        return _draw_locked(path, prompts, header, sample, on_chunk), path


def _draw_locked(path: Path, prompts: Sequence[str], header: dict[str, Any], sample: Sampler,
                 on_chunk: Callable[[int], None]) -> list[list[str | None]]:
    answers = read_reference_cache(path, header)
    if not path.exists():
        path.write_text(json.dumps(header) + "\n")
    else:
        _drop_torn_line(path, len(answers))
    with path.open("a") as out:
        for first in range(len(answers), len(prompts), CHUNK):
            chunk = sample(prompts[first : first + CHUNK], header["seed"] * 1_000_003 + first)
            out.write(json.dumps(chunk) + "\n")
            out.flush()
            answers.extend(chunk)
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


def unanswered_prompts(answers: Sequence[Sequence[str | None]]) -> int:
    """Prompts whose reference answers are all unanswered (their anchor term is the same for every answer)."""
    return sum(all(a is None for a in row) for row in answers)
