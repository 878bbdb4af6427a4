"""The reference answers of the answer-level anchor (docs/concepts/game.md#the-anchor): M answers per prompt, drawn once from the
reference policy, cached and resumable; and the ``reference_answers`` dataset column that carries them to an
anchored reward (``alft train``, a TRL ``GRPOTrainer``, verl).

:func:`draw_reference_answers` is the one way they are drawn: ``alft train`` (for its training prompts) and
``alft references`` (for any dataset) both call it. The cache is keyed by everything the draws depend on (the
policy's weights, the prompts, M, the sampling settings and seed), so runs that share a base policy and prompts
— other seeds and methods of one ``alft compare``, or ``alft references`` then ``alft train`` — reuse one set,
and a set made for other prompts or another model is never reused: its header is checked on every read and a
mismatch is refused. Prompts are drawn in chunks, each seeded from its index and appended as one JSON line, so
a killed stage resumes without redoing finished prompts and gives the same answers as an uninterrupted one, and
under ``accelerate launch`` the processes share the chunks without changing the answers. Runs that start
together (parallel seeds of a comparison) take a file lock: the first draws, the others wait and read its set.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any


from alft.errors import AlftInputError, require
from alft.estimators.counts import MAX_K
from alft.training.reference_cache import SEQUENCES_PER_CALL, Answers, Sampler, draw_references, reference_header

if TYPE_CHECKING:
    import datasets

    from alft.answers import AnswerExtractor

COLUMN = "reference_answers"


def unanswered_prompts(answers: Sequence[Sequence[str | None]]) -> int:
    """Prompts whose reference answers are all unanswered (their anchor term is the same for every answer)."""
    return sum(all(a is None for a in row) for row in answers)


@dataclass(frozen=True)
class ReferenceSet:
    """The reference answers of a list of prompts.

    Attributes:
        answers: per prompt, its M canonical answers (None where no answer could be extracted).
        path: the cache file they are kept in.
        drawn: prompts drawn now (0 when the whole set came from the cache).
        seconds: wall-clock time of :func:`draw_reference_answers`.
    """

    answers: Answers
    path: Path
    drawn: int
    seconds: float

    @property
    def draws(self) -> int:
        return len(self.answers[0])

    def summary(self) -> dict[str, Any]:
        """What a run reports about its set (``alft train``'s summary["references"], ``alft references --json``)."""
        n_answers = sum(len(row) for row in self.answers)
        return {"source": "drawn", "file": self.path.name, "draws": self.draws, "prompts": len(self.answers),
                "drawn_now": self.drawn, "all_unanswered_prompts": unanswered_prompts(self.answers),
                "unanswered_rate": sum(a is None for row in self.answers for a in row) / n_answers,
                "seconds": self.seconds}


@dataclass(frozen=True)
class _Sampling:
    """How the answers are drawn (one value for the header and the sampler)."""

    draws: int
    max_new_tokens: int
    temperature: float
    seed: int
    extractor: str | AnswerExtractor
    batch_size: int

    @property
    def extractor_name(self) -> str:
        extractor = self.extractor
        return extractor if isinstance(extractor, str) else getattr(extractor, "__name__", "custom")


def draw_reference_answers(
    model: str | None,
    prompts: Sequence[str] | datasets.Dataset,
    *,
    draws: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    seed: int = 0,
    extractor: str | AnswerExtractor = "auto",
    batch_size: int = SEQUENCES_PER_CALL,
    device: str = "cpu",
    use_vllm: bool = False,
    progress: Any = None,
) -> ReferenceSet:
    """M answers per prompt drawn from ``model`` (docs/concepts/game.md#the-anchor), cached and resumable (module
    docstring). Under ``accelerate launch`` every process calls it (they share the chunks); each gets the whole set.

    Args:
        model: a local folder or hub id (``from_pretrained``); None for the built-in task's shipped base policy.
        prompts: text prompts as the model sees them, or a dataset with a ``prompt`` column (text, or chat
            messages rendered through the tokenizer's chat template as ``alft train`` renders them).
        draws: M, answers per prompt (1 ≤ M, M + 1 ≤ 256: the anchor's count tables have M + 1 entries).
        max_new_tokens: completion length limit.
        temperature: pure sampling at this temperature (no top-k / top-p), the policy's own distribution.
        seed: seeds the draws (chunk by chunk: the answers depend on neither resumption nor processes).
        extractor: an ``alft.answers`` extractor name or a callable.
        batch_size: sequences (prompts × M) per generate call; the answers depend on it (it keys the cache).
        device: where the model runs with transformers (``cpu``, ``cuda``, ``mps``).
        use_vllm: generate with vLLM (installed separately; a single process).
        progress: a started ``rich.progress.Progress`` for a bar, or None.

    Returns:
        A :class:`ReferenceSet`.
    Raises:
        AlftInputError: bad settings, a model that does not load, vLLM asked for but not installed, or a cache
            file that belongs to other prompts or another model.
    """
    sampling = _Sampling(_checked_draws(draws, "draws"), max_new_tokens, temperature, seed, extractor, batch_size)
    _check_sampling(sampling)
    policy = _policy_path(model)
    texts = _prompt_texts(policy, prompts)
    header = reference_header(policy, texts, draws=draws, max_new_tokens=max_new_tokens, temperature=temperature,
                              extractor=sampling.extractor_name, seed=seed, batch_size=batch_size,
                              generator="vllm" if use_vllm else "transformers")
    sample = _vllm_sampler(policy, sampling) if use_vllm else _transformers_sampler(policy, sampling, device)
    finished: list[int] = []  # the first count is what the cache held
    start = time.perf_counter()
    with _progress_bar(progress, len(texts)) as advance:
        answers, path = draw_references(texts, header, sample, on_chunk=lambda n: (finished.append(n), advance(n)))
    return ReferenceSet(answers, path, len(texts) - finished[0], time.perf_counter() - start)


def _checked_draws(draws: object, field: str) -> int:
    """M with M + 1 within the count tables' limit (:func:`alft.estimators.counts.check_group_size`)."""
    ok = isinstance(draws, int) and not isinstance(draws, bool) and 1 <= draws <= MAX_K - 1
    require(ok, field, draws, f"an integer M in 1..{MAX_K - 1} (the anchor's count tables have M + 1 ≤ {MAX_K} entries)")
    return int(draws)  # type: ignore[arg-type]


def _check_sampling(sampling: _Sampling) -> None:
    from alft.answers import get_extractor

    require(sampling.max_new_tokens >= 1, "max_new_tokens", sampling.max_new_tokens, "an integer ≥ 1")
    require(sampling.temperature > 0, "temperature", sampling.temperature, "a number > 0")
    require(sampling.batch_size >= 1, "batch_size", sampling.batch_size, "an integer ≥ 1")
    get_extractor(sampling.extractor)  # an unknown name fails here, before any model loads


def _policy_path(model: str | None) -> str:
    """``model`` as ``from_pretrained`` loads it (a GGUF file: its converted folder), or the built-in task's
    shipped base policy."""
    if model is not None:
        from alft.task.loading import loadable_model

        return loadable_model(model)
    from alft.task.base_policies import base_policy_path

    return str(base_policy_path("default").path)


def _prompt_texts(policy: str, prompts: Sequence[str] | datasets.Dataset) -> list[str]:
    """The prompts as the model sees them (a dataset's chat messages through the policy's chat template)."""
    import datasets

    from alft.task.loading import load_tokenizer, prompt_texts

    tokenizer = load_tokenizer(policy)  # also: a model that does not load is refused before any drawing
    if isinstance(prompts, datasets.Dataset):
        require("prompt" in prompts.column_names, "prompts", prompts.column_names, "a dataset with a 'prompt' column")
        texts = prompt_texts(prompts, tokenizer)
    else:
        texts = list(prompts)
    require(len(texts) >= 1, "prompts", len(texts), "at least one prompt")
    return texts


@contextlib.contextmanager
def _progress_bar(progress: Any, total: int) -> Iterator[Callable[[int], None]]:
    """``on_chunk`` for :func:`draw_references`: advances a "reference answers" bar of ``progress`` (if any)."""
    if progress is None:
        yield lambda n: None
        return
    task = progress.add_task("reference answers", total=total)
    reports: list[int] = []

    def advance(n: int) -> None:
        if not reports and n:  # the first report is what the cache held: say so, rather than show a bar stand still
            cached = f"all {n} prompts cached" if n == total else f"{n} of {total} prompts cached"
            progress.update(task, description=f"reference answers ({cached})")
        reports.append(n)
        progress.update(task, completed=n)

    yield advance
    progress.update(task, completed=total)


def _transformers_sampler(policy: str, sampling: _Sampling, device: str) -> Sampler:
    """Batched generation with transformers; the model loads at the first chunk (a cached set loads none)."""
    from alft.task.evaluate import sample_answers
    from alft.task.loading import load_policy
    from alft.task.threads import one_torch_thread

    loaded: list[Any] = []

    def sample(chunk: Sequence[str], seed: int) -> Answers:
        if not loaded:
            model, tokenizer = load_policy(policy)
            loaded.extend((model.to(device), tokenizer))
        with one_torch_thread():  # 2 threads ran ≈ 5× slower whenever another process held a core (docs/concepts/builtin-task.md)
            return sample_answers(loaded[0], loaded[1], chunk, k=sampling.draws, max_new_tokens=sampling.max_new_tokens,
                                  temperature=sampling.temperature, seed=seed, extractor=sampling.extractor,
                                  batch_size=sampling.batch_size)

    return sample


def require_vllm() -> None:
    """vLLM asked for (``--use-vllm``) must be installed: one clear error before any work."""
    if importlib.util.find_spec("vllm") is None:
        raise AlftInputError("--use-vllm: vLLM is not installed; expected `pip install vllm` (a CUDA machine), "
                             "or no --use-vllm (generation with transformers)")


def _vllm_sampler(policy: str, sampling: _Sampling) -> Sampler:
    """Generation with vLLM (imported here: an optional dependency). Each prompt has its own seed, so its answers
    do not depend on the chunk's other prompts. Pure sampling: vLLM's top-k and top-p are off by default."""
    from accelerate import PartialState

    require_vllm()
    processes = PartialState().num_processes
    require(processes == 1, "--use-vllm", f"{processes} processes", "a single process (vLLM batches on its own)")
    from vllm import LLM, SamplingParams

    from alft.answers import canonicalize, get_extractor

    extract, loaded = get_extractor(sampling.extractor), []

    def sample(chunk: Sequence[str], seed: int) -> Answers:
        if not loaded:  # the engine starts at the first chunk: a cached set starts none
            loaded.append(LLM(model=policy, seed=sampling.seed))
        params = [SamplingParams(n=sampling.draws, temperature=sampling.temperature,
                                 max_tokens=sampling.max_new_tokens, seed=seed + i) for i in range(len(chunk))]
        outputs = loaded[0].generate(list(chunk), params, use_tqdm=False)
        texts = [[extract(c.text) for c in output.outputs] for output in outputs]
        return [[None if a is None else canonicalize(a) for a in row] for row in texts]

    return sample


def reference_column(answers: Sequence[Sequence[str | None]]) -> list[str]:
    """The ``reference_answers`` column's values: each prompt's answers as JSON text (null for unanswered), what
    :func:`alft.answers.groups.reference_counts` reads."""
    return [json.dumps(list(row)) for row in answers]


def with_reference_column(data: datasets.Dataset, answers: Sequence[Sequence[str | None]]) -> datasets.Dataset:
    """``data`` with a ``reference_answers`` column (replacing one it had)."""
    require(len(answers) == len(data), COLUMN, len(answers), f"one list of answers per row ({len(data)})")
    if COLUMN in data.column_names:
        data = data.remove_columns(COLUMN)
    return data.add_column(COLUMN, reference_column(answers))


def read_reference_column(data: datasets.Dataset, draws: int | None = None) -> Answers:
    """A dataset's own ``reference_answers`` column, checked: per row a list of M answers (text, null for
    unanswered) or its JSON text, the same M in every row.

    Args:
        data: a dataset with the column.
        draws: M asked for (``--reference-draws``), or None to take it from the column.

    Raises:
        AlftInputError: naming the row that is not such a list, or whose length differs from the first row's,
            or an M that differs from ``draws``.
    """
    rows = [_column_row(value, i) for i, value in enumerate(data[COLUMN])]
    M = len(rows[0]) if rows else 0
    bad = next((i for i, row in enumerate(rows) if len(row) != M), None)
    if bad is not None:
        raise AlftInputError(f"{COLUMN}[{bad}]: got {len(rows[bad])} answers, expected {M} like row 0 (the same "
                             "number M of reference answers for every prompt)")
    _checked_draws(M, f"{COLUMN} (answers per row)")
    require(draws is None or draws == M, "--reference-draws", draws,
            f"{M}, the number of answers per row of the dataset's {COLUMN} column (or no --reference-draws)")
    return rows


def _column_row(value: object, row: int) -> list[str | None]:
    if isinstance(value, str):
        with contextlib.suppress(json.JSONDecodeError):
            value = json.loads(value)
    ok = isinstance(value, list) and all(a is None or isinstance(a, str) for a in value)
    require(ok, f"{COLUMN}[{row}]", value, "a list of answers (text, null for unanswered) or its JSON text")
    return value  # type: ignore[return-value]
