"""Evaluate a policy's answers on prompts with known answers: accuracy *and* agreement, side by side.

docs/concepts/builtin-task.md: coherence training can raise agreement while accuracy falls (reward hacking, e.g. answering "1"
everywhere), so every report shows accuracy (greedy, majority-of-K, mean sample, pass@k) beside the shape
of the sampled answer distribution (entropy, distinct answers, unextractable rate).

Sampling is pure (temperature only, no top-k / top-p), like GRPO's defaults, so the samples estimate the
policy's own answer distribution. It runs inside ``torch.random.fork_rng``: evaluating in the middle of
training does not change what training samples next (docs/concepts/builtin-task.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from alft.answers import (AnswerExtractor, AnswerGrouper, canonicalize, equivalent_to, get_extractor, get_grouper,
                          read_gold_answers)
from alft.answers.groups import answer_groups
from alft.answers.stats import UNANSWERED, answer_entropy, distinct_answers, label_array, majority_labels
from alft.errors import require
from alft.task.arithmetic import ArithmeticConfig, generate_problems


@dataclass(frozen=True)
class EvalReport:
    """Answer-level metrics over ``n_prompts`` prompts, K samples each.

    Attributes:
        n_prompts: prompts evaluated.
        k: samples per prompt.
        greedy_accuracy: fraction of prompts whose greedy answer is equivalent to the true one.
        majority_accuracy: fraction whose most frequent sampled answer (ties: first seen) is right.
        mean_sample_accuracy: fraction of all samples that are right (= pass@1).
        pass_at_k: unbiased pass@k (Chen et al. 2021) for k = 1, 2, 4, … ≤ K and K.
        answer_entropy: entropy (nats) of each prompt's sampled answer classes, averaged over prompts;
            unextractable samples are left out (they are counted in ``unextractable_rate``).
        distinct_answers: distinct answer classes among a prompt's samples, averaged.
        unextractable_rate: fraction of samples with no extractable answer.
        seconds: wall-clock time of the whole evaluation.
        equivalence_seconds: the part spent grouping answers.
        problems: what each prompt's answers were (:class:`ProblemOutcome`), in prompt order: the paired,
            per-problem record that statistics across runs need; not part of :meth:`to_dict`.
    """

    n_prompts: int
    k: int
    greedy_accuracy: float
    majority_accuracy: float
    mean_sample_accuracy: float
    pass_at_k: dict[int, float]
    answer_entropy: float
    distinct_answers: float
    unextractable_rate: float
    seconds: float
    equivalence_seconds: float
    problems: tuple[ProblemOutcome, ...] = dataclasses.field(default=(), repr=False)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict of the metrics (pass@k keys become strings such as ``"pass@8"``)."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("pass_at_k", "problems")}
        out.update({f"pass@{k}": v for k, v in self.pass_at_k.items()})
        return out


@dataclass(frozen=True)
class ProblemOutcome:
    """One evaluated prompt: its answers (canonical class labels, None where unextractable) and which are right.

    Attributes:
        greedy: the greedy answer.
        samples: the K sampled answers.
        greedy_correct: the greedy answer is equivalent to the reference.
        samples_correct: per sample, the same.
        majority_correct: the most frequent sampled answer (ties: first seen) is right.
    """

    greedy: str | None
    samples: tuple[str | None, ...]
    greedy_correct: bool
    samples_correct: tuple[bool, ...]
    majority_correct: bool

    def to_dict(self) -> dict[str, object]:
        return {"greedy": self.greedy, "samples": list(self.samples), "greedy_correct": self.greedy_correct,
                "samples_correct": list(self.samples_correct), "majority_correct": self.majority_correct}


@dataclass(frozen=True)
class _PromptResult:
    outcome: ProblemOutcome
    entropy: float
    distinct: int
    unextractable: int

    @property
    def n_correct(self) -> int:
        return sum(self.outcome.samples_correct)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples of which ``c`` are right: 1 − C(n−c, k) / C(n, k).

    Args:
        n: samples drawn (≥ 1).
        c: right samples (0 ≤ c ≤ n).
        k: budget (1 ≤ k ≤ n).

    Returns:
        The probability that at least one of k samples drawn without replacement is right.
    """
    require(n >= 1, "n", n, "an integer ≥ 1")
    require(0 <= c <= n, "c", c, f"an integer in [0, {n}]")
    require(1 <= k <= n, "k", k, f"an integer in [1, {n}]")
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def _score_prompt(class_ids: Sequence[int | None], labels: Sequence[str | None], hits: Sequence[bool]) -> _PromptResult:
    """Score one prompt from the class ids and labels of [greedy, sample_1 … sample_K] and whether each answer
    is equivalent to the prompt's gold answer (:func:`alft.answers.equivalent_to`)."""
    samples, sample_hits = label_array([class_ids[1:]]), np.asarray(hits[1:], dtype=bool)
    majority = int(majority_labels(samples)[0])  # ties go to the answer sampled first
    outcome = ProblemOutcome(
        greedy=labels[0], samples=tuple(labels[1:]), greedy_correct=bool(hits[0]),
        samples_correct=tuple(bool(h) for h in sample_hits),
        majority_correct=majority != UNANSWERED and bool(sample_hits[list(samples[0]).index(majority)]))
    return _PromptResult(
        outcome=outcome,
        entropy=float(answer_entropy(samples)[0]),
        distinct=int(distinct_answers(samples)[0]),
        unextractable=int((samples == UNANSWERED).sum()),
    )


def _generate(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    sample: bool,
    k: int,
    max_new_tokens: int,
    temperature: float,
) -> list[str]:
    """Completions for a batch of prompts (K each if ``sample``, one greedy each otherwise), prompt removed."""
    batch = tokenizer(list(prompts), return_tensors="pt", padding=True, padding_side="left")
    batch = {name: tensor.to(model.device) for name, tensor in batch.items()}
    options = {"do_sample": True, "temperature": temperature, "top_k": 0, "top_p": 1.0, "num_return_sequences": k}
    output = model.generate(
        **batch,
        max_new_tokens=max_new_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        **(options if sample else {"do_sample": False}),
    )
    new_tokens = output[:, batch["input_ids"].shape[1] :]
    return tokenizer.batch_decode(new_tokens, skip_special_tokens=True)


def evaluate_policy(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    answers: Sequence[str],
    *,
    k: int = 8,
    max_new_tokens: int = 48,
    temperature: float = 1.0,
    batch_size: int = 64,
    seed: int = 0,
    extractor: str | AnswerExtractor = "auto",
    grouper: str | AnswerGrouper = "math",
) -> EvalReport:
    """Greedy and sampled answers of ``model`` on ``prompts``, scored against ``answers``.

    Args:
        model: a ``transformers`` causal LM (its training/eval mode is restored afterwards).
        tokenizer: its tokenizer, with a pad token.
        prompts: plain-text prompts.
        answers: the true answer of each prompt, plain, GSM8K (``… #### 72``) or boxed; an answer's class
            is right when it is equivalent to it under ``grouper`` (:func:`alft.answers.equivalent_to`).
        k: samples per prompt (≥ 1).
        max_new_tokens: completion length limit (a completion cut there usually has no answer).
        temperature: sampling temperature (> 0).
        batch_size: prompts per generate call (results depend on it, through the random stream).
        seed: seeds the sampling; the global torch RNG is restored afterwards.
        extractor: a name from ``alft.answers.EXTRACTORS`` or a callable (``"arithmetic"`` for the built-in task).
        grouper: a name from ``alft.answers.GROUPERS`` or a callable.

    Returns:
        An :class:`EvalReport`.
    """
    require(len(prompts) >= 1, "prompts", len(prompts), "at least one prompt")
    require(len(answers) == len(prompts), "answers", len(answers), f"one answer per prompt ({len(prompts)})")
    require(k >= 1, "k", k, "an integer ≥ 1")
    require(max_new_tokens >= 1, "max_new_tokens", max_new_tokens, "an integer ≥ 1")
    require(temperature > 0, "temperature", temperature, "a number > 0")
    require(batch_size >= 1, "batch_size", batch_size, "an integer ≥ 1")
    require(tokenizer.pad_token_id is not None, "tokenizer.pad_token", None, "a pad token (set it to eos)")
    extract, group = get_extractor(extractor), get_grouper(grouper)
    gold = read_gold_answers(answers, len(prompts), 1, "answers")  # before any generation: fail early
    missing = next((i for i, g in enumerate(gold) if g is None), None)
    require(missing is None, f"answers[{missing}]", None, "a gold answer for every prompt")
    start, equivalence_seconds, results = time.perf_counter(), 0.0, []
    with _seeded_inference(model, seed):
        for first in range(0, len(prompts), batch_size):
            chunk = list(prompts[first : first + batch_size])
            options = {"k": k, "max_new_tokens": max_new_tokens, "temperature": temperature}
            greedy = _generate(model, tokenizer, chunk, sample=False, **options)
            sampled = _generate(model, tokenizer, chunk, sample=True, **options)
            texts = [text for i in range(len(chunk)) for text in (greedy[i], *sampled[i * k : (i + 1) * k])]
            group_start = time.perf_counter()
            groups = answer_groups(texts, k + 1, extract, group)  # per prompt: greedy and samples
            chunk_gold = [g for g in gold[first : first + batch_size] for _ in range(k + 1)]
            labels = groups.labels()
            hits = equivalent_to(labels, chunk_gold, group)
            equivalence_seconds += time.perf_counter() - group_start
            span = k + 1
            results.extend(_score_prompt(ids, labels[i * span : (i + 1) * span], hits[i * span : (i + 1) * span])
                           for i, ids in enumerate(groups.class_ids))
    return _report(results, k, time.perf_counter() - start, equivalence_seconds)


def _report(results: list[_PromptResult], k: int, seconds: float, equivalence_seconds: float) -> EvalReport:
    n = len(results)
    budgets = sorted({2**i for i in range(k.bit_length()) if 2**i <= k} | {k})
    return EvalReport(
        n_prompts=n,
        k=k,
        greedy_accuracy=sum(r.outcome.greedy_correct for r in results) / n,
        majority_accuracy=sum(r.outcome.majority_correct for r in results) / n,
        mean_sample_accuracy=sum(r.n_correct for r in results) / (n * k),
        pass_at_k={b: sum(pass_at_k(k, r.n_correct, b) for r in results) / n for b in budgets},
        answer_entropy=sum(r.entropy for r in results) / n,
        distinct_answers=sum(r.distinct for r in results) / n,
        unextractable_rate=sum(r.unextractable for r in results) / (n * k),
        seconds=seconds,
        equivalence_seconds=equivalence_seconds,
        problems=tuple(r.outcome for r in results),
    )


def sample_answers(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    *,
    k: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    seed: int = 0,
    extractor: str | AnswerExtractor = "auto",
    batch_size: int = 512,
) -> list[list[str | None]]:
    """K sampled answers per prompt, canonical (None where no answer could be extracted).

    Pure sampling at ``temperature`` as in :func:`evaluate_policy`, seeded and inside ``fork_rng`` so the
    caller's random stream is untouched. ``batch_size`` counts sequences (prompts × k) per generate call.
    """
    require(k >= 1, "k", k, "an integer ≥ 1")
    extract = get_extractor(extractor)
    per_call = max(1, batch_size // k)
    out: list[list[str | None]] = []
    with _seeded_inference(model, seed):
        for first in range(0, len(prompts), per_call):
            chunk = list(prompts[first : first + per_call])
            texts = _generate(model, tokenizer, chunk, sample=True, k=k, max_new_tokens=max_new_tokens,
                              temperature=temperature)
            answers = [extract(text) for text in texts]
            canonical = [None if a is None else canonicalize(a) for a in answers]
            out.extend(canonical[i * k : (i + 1) * k] for i in range(len(chunk)))
    return out


@contextlib.contextmanager
def _seeded_inference(model: torch.nn.Module, seed: int) -> Iterator[None]:
    """Eval mode, no autograd and torch seeded inside ``fork_rng``: the caller's random stream and the model's
    training mode are as they were afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.random.fork_rng(), torch.inference_mode():  # every CUDA device's stream too, when there are any
            torch.manual_seed(seed)
            yield
    finally:
        model.train(was_training)


def evaluate_on_task(
    model: torch.nn.Module,
    tokenizer: PreTrainedTokenizerBase,
    *,
    n: int = 1000,
    seed: int = 0,
    k: int = 8,
    config: ArithmeticConfig = ArithmeticConfig(),
    **options: object,
) -> EvalReport:
    """:func:`evaluate_policy` on ``n`` distinct eval-split arithmetic problems, with the ``"arithmetic"`` extractor.

    Args:
        model, tokenizer: the policy.
        n: problems (docs/concepts/builtin-task.md: use ≥ 1000; with 100, ±5 points is noise).
        seed: picks the problems and seeds the sampling.
        k: samples per problem.
        config: task sizes.
        **options: passed on to :func:`evaluate_policy` (``max_new_tokens``, ``batch_size``, …).

    Returns:
        An :class:`EvalReport`.
    """
    problems = generate_problems(n, split="eval", seed=seed, config=config, unique=True)
    options.setdefault("extractor", "arithmetic")
    return evaluate_policy(
        model,
        tokenizer,
        [p.prompt for p in problems],
        [str(p.answer) for p in problems],
        k=k,
        seed=seed,
        **options,  # type: ignore[arg-type]
    )
