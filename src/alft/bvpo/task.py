"""BVPO on the built-in task: verifier pairs with and without trace, and what a trained policy is measured on.

The policy writes a trace, then the answer (``3+8-5=11-5=6``), or, with the trace forced empty, the marker
and the answer (``=6``, :mod:`alft.bvpo.base`). Traced sampling forbids ``=`` as the first token (reasoning
on); empty-trace sampling starts after the marker (the prefill).

* :func:`build_pairs` — pairs by the verifier, drawn from the base policy: per prompt one trace pair (a correct
  traced completion preferred to a wrong one), a second trace pair from a fresh traced draw (the
  budget-matched control's extra data) and one empty-trace pair, kept only on prompts where the first two exist.
* :func:`evaluate_modes` — accuracy with the trace and with the trace forced empty (greedy and sampled), the
  mean trace length.
* :class:`MarginalProbe` — held-out preference accuracy on the marginal π(y|x) = Σ_r π(r, y|x), estimated
  from many sampled traces: does the policy's implicit reward β log π(y|x)/π_ref(y|x) rank the right answer
  above the base's most frequent wrong one?
* :func:`trace_resample_variance` — for one fixed batch of pairs, the DPO gradients over resampled traces:
  Var_r g_t, Var_r g_c (= α² Var_r g_t, docs/concepts/bvpo.md), the multi-trace estimate of the marginal gradient (the mean
  over the resamples: exact in expectation at θ = θ_ref by Fisher's identity) and the cost of each.
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from alft.answers.extract import extract_arithmetic
from alft.bvpo.base import EMPTY_MARKER
from alft.bvpo.pairs import PairSets, PreferencePairs
from alft.errors import require
from alft.task.arithmetic import Problem

EMPTY_PATTERN = r"=-?\d+"
"""An empty-trace completion of the built-in task: the marker and the integer answer."""
MAX_TRACE_TOKENS = 40
MAX_ANSWER_TOKENS = 8


def trace_length(completion: str) -> int:
    """Characters (= tokens) before the answer: ``3+8-5=11-5=6`` → 11, ``=6`` → 1 (the marker alone)."""
    return len(completion.rsplit("=", 1)[0]) + 1 if "=" in completion else len(completion)


def answer_of(completion: str) -> str | None:
    """The integer after the last ``=`` (``None`` when unfinished)."""
    return extract_arithmetic(completion)


def empty_answer_of(completion: str) -> str | None:
    """The answer of an empty-trace completion (``=6`` → ``6``); ``None`` when a trace follows the marker
    (``=-24+2=-2``): the model did not answer with its trace empty."""
    return extract_arithmetic(completion) if re.fullmatch(EMPTY_PATTERN, completion) else None


@torch.inference_mode()
def sample(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str], *, k: int, empty: bool,
           seed: int, greedy: bool = False, temperature: float = 1.0, batch_size: int = 512) -> list[list[str]]:
    """k completions per prompt (one if ``greedy``), traced or with the trace forced empty; empty-trace completions
    include the marker. Seeded inside ``fork_rng``; the model's train/eval mode is restored."""
    require(k >= 1, "k", k, "an integer ≥ 1")
    k = 1 if greedy else k
    was_training = model.training
    model.eval()
    marker = tokenizer.convert_tokens_to_ids(EMPTY_MARKER)
    options = dict(pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                   max_new_tokens=MAX_ANSWER_TOKENS if empty else MAX_TRACE_TOKENS)
    options |= {"do_sample": False} if greedy else {"do_sample": True, "temperature": temperature, "top_k": 0,
                                                     "top_p": 1.0, "num_return_sequences": k}
    if not empty:
        options["begin_suppress_tokens"] = [marker]  # reasoning on: the trace may not be empty
    out: list[list[str]] = []
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            per_call = max(1, batch_size // k)
            for first in range(0, len(prompts), per_call):
                chunk = [p + (EMPTY_MARKER if empty else "") for p in prompts[first:first + per_call]]
                batch = tokenizer(chunk, return_tensors="pt", padding=True, padding_side="left")
                ids = model.generate(**batch, **options)[:, batch["input_ids"].shape[1]:]
                texts = tokenizer.batch_decode(ids, skip_special_tokens=True)
                texts = [(EMPTY_MARKER + t) if empty else t for t in texts]
                out.extend(texts[i * k:(i + 1) * k] for i in range(len(chunk)))
    finally:
        model.train(was_training)
    return out


@dataclass(frozen=True)
class TaskPairs:
    """Pairs drawn from the base policy on the training prompts.

    Attributes:
        sets: one trace pair and one empty-trace pair per kept prompt.
        second_trace: a second trace pair on the same prompts, from a fresh traced draw where it has a pair.
        answers: the true answer of each kept prompt.
        trace_pools: per kept prompt, the traced completions sampled for each answer (to resample traces).
        stats: how many prompts were drawn and kept, and each mode's sample accuracy.
    """

    sets: PairSets
    second_trace: PreferencePairs
    answers: tuple[str, ...]
    trace_pools: tuple[dict[str, list[str]], ...]
    stats: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"rows": self.sets.rows(), "second_chosen": list(self.second_trace.chosen),
                "second_rejected": list(self.second_trace.rejected), "answers": list(self.answers),
                "trace_pools": [dict(p) for p in self.trace_pools], "stats": self.stats}

    @classmethod
    def from_json(cls, data: dict) -> TaskPairs:
        rows = data["rows"]
        trace = PreferencePairs(rows["prompt"], rows["chosen"], rows["rejected"])
        empty = PreferencePairs(rows["prompt"], rows["chosen_empty"], rows["rejected_empty"])
        return cls(PairSets(trace, empty, EMPTY_PATTERN),
                   PreferencePairs(rows["prompt"], data["second_chosen"], data["second_rejected"]),
                   tuple(data["answers"]), tuple(data["trace_pools"]), data["stats"])


def _split(completions: list[str], answer: str, empty: bool) -> tuple[list[str], list[str]]:
    read = empty_answer_of if empty else answer_of
    right = [c for c in completions if read(c) == answer]
    wrong = [c for c in completions if read(c) not in (None, answer)]
    return right, wrong


def build_pairs(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem], *,
                k_trace: int, k_empty: int, seed: int) -> TaskPairs:
    """Verifier pairs from the base policy (correct preferred to wrong; unfinished completions are not used).

    Raises:
        AlftInputError: when no prompt yields all three pairs (too few prompts or samples).
    """
    prompts = [p.prompt for p in problems]
    traced = sample(model, tokenizer, prompts, k=k_trace, empty=False, seed=seed)
    empties = sample(model, tokenizer, prompts, k=k_empty, empty=True, seed=seed + 1)
    rng = np.random.default_rng(seed)
    kept: dict[str, list] = {k: [] for k in ("prompt", "c", "r", "c2", "r2", "ce", "re", "answer", "pool")}
    for problem, t, e in zip(problems, traced, empties):
        answer = str(problem.answer)
        right, wrong = _split(t, answer, empty=False)
        right_e, wrong_e = _split(e, answer, empty=True)
        if not (right and wrong and right_e and wrong_e):
            continue
        order_r, order_w = rng.permutation(len(right)), rng.permutation(len(wrong))
        kept["prompt"].append(problem.prompt)
        kept["c"].append(right[order_r[0]])
        kept["r"].append(wrong[order_w[0]])
        kept["c2"].append(right[order_r[1 % len(right)]])
        kept["r2"].append(wrong[order_w[1 % len(wrong)]])
        kept["ce"].append(right_e[int(rng.integers(len(right_e)))])
        kept["re"].append(wrong_e[int(rng.integers(len(wrong_e)))])
        kept["answer"].append(answer)
        pool: dict[str, list[str]] = {}
        for c in t:
            if answer_of(c) is not None:
                pool.setdefault(answer_of(c), []).append(c)
        kept["pool"].append(pool)
    require(len(kept["prompt"]) >= 2, "train_prompts", len(problems),
            "more prompts: fewer than 2 gave a trace pair and an empty-trace pair")
    # The control's second trace pair comes from a fresh draw of k_trace traced samples (its own seed and
    # generator, so the pairs above do not depend on it); where that draw has no right-vs-wrong pair, the
    # second pair is taken from the first draw, other completions where there are.
    fresh = sample(model, tokenizer, kept["prompt"], k=k_trace, empty=False, seed=seed + 2)
    second_rng = np.random.default_rng([seed, 2])
    from_fresh = 0
    for i, (completions, answer) in enumerate(zip(fresh, kept["answer"])):
        right, wrong = _split(completions, answer, empty=False)
        if right and wrong:
            kept["c2"][i] = right[int(second_rng.integers(len(right)))]
            kept["r2"][i] = wrong[int(second_rng.integers(len(wrong)))]
            from_fresh += 1
    n = len(problems)
    stats = {"prompts_drawn": n, "prompts_kept": len(kept["prompt"]),
             "trace_sample_accuracy": float(np.mean([answer_of(c) == str(p.answer) for p, t in zip(problems, traced) for c in t])),
             "empty_sample_accuracy": float(np.mean([empty_answer_of(c) == str(p.answer) for p, e in zip(problems, empties) for c in e])),
             "second_pairs_from_fresh_draw": from_fresh / len(kept["prompt"]),
             "distinct_second_pairs": float(np.mean([(a, b) != (c, d) for a, b, c, d in zip(kept["c"], kept["r"], kept["c2"], kept["r2"])]))}
    sets = PairSets(PreferencePairs(kept["prompt"], kept["c"], kept["r"]),
                    PreferencePairs(kept["prompt"], kept["ce"], kept["re"]), EMPTY_PATTERN)
    return TaskPairs(sets, PreferencePairs(kept["prompt"], kept["c2"], kept["r2"]), tuple(kept["answer"]),
                     tuple(kept["pool"]), stats)


def evaluate_modes(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem], *, k: int,
                   seed: int) -> dict[str, float]:
    """Accuracy with the trace and with it forced empty (greedy, and mean over k samples), and the traced samples'
    mean trace length (tokens before the answer)."""
    prompts, answers = [p.prompt for p in problems], [str(p.answer) for p in problems]
    out: dict[str, float] = {}
    for mode, empty in (("trace", False), ("empty", True)):
        answer_of_mode = empty_answer_of if empty else answer_of
        greedy = sample(model, tokenizer, prompts, k=1, empty=empty, seed=seed, greedy=True)
        sampled = sample(model, tokenizer, prompts, k=k, empty=empty, seed=seed)
        out[f"accuracy_{mode}_greedy"] = float(np.mean([answer_of_mode(g[0]) == a for g, a in zip(greedy, answers)]))
        out[f"accuracy_{mode}_sample"] = float(np.mean([answer_of_mode(c) == a for s, a in zip(sampled, answers) for c in s]))
        if not empty:
            out["trace_length"] = float(np.mean([trace_length(c) for s in sampled for c in s]))
            out["unfinished_rate"] = float(np.mean([answer_of(c) is None for s in sampled for c in s]))
    return out


@dataclass(frozen=True)
class MarginalProbe:
    """Held-out pairs on the marginal: the true answer against the base policy's most frequent wrong answer.

    Attributes:
        prompts: held-out prompts where the base sampled both answers.
        chosen: the true answers.
        rejected: the most frequent wrong answer of the base.
        reference_counts: (chosen, rejected) counts among the base's ``samples`` traced completions.
        samples: traced completions per prompt used to estimate π(y|x) (the same for every policy).
    """

    prompts: tuple[str, ...]
    chosen: tuple[str, ...]
    rejected: tuple[str, ...]
    reference_counts: tuple[tuple[int, int], ...]
    samples: int

    @classmethod
    def build(cls, base: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem], *,
              samples: int, seed: int) -> MarginalProbe:
        draws = sample(base, tokenizer, [p.prompt for p in problems], k=samples, empty=False, seed=seed)
        rows = []
        for problem, completions in zip(problems, draws):
            counts = Counter(answer_of(c) for c in completions if answer_of(c) is not None)
            answer = str(problem.answer)
            wrong = [(n, a) for a, n in counts.items() if a != answer]
            if counts.get(answer) and wrong:
                rejected = max(wrong)[1]
                rows.append((problem.prompt, answer, rejected, (counts[answer], counts[rejected])))
        require(len(rows) >= 1, "probe_prompts", len(problems), "more prompts: none had a right and a wrong answer")
        prompts, chosen, rejected, counts = zip(*rows)
        return cls(prompts, chosen, rejected, counts, samples)

    def accuracy(self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, *, seed: int) -> float:
        """Fraction of pairs whose estimated implicit reward log π̂(y|x) − log π̂_ref(y|x) (counts + ½ over
        samples + 1) is higher for the chosen answer; ties count one half."""
        draws = sample(model, tokenizer, list(self.prompts), k=self.samples, empty=False, seed=seed)
        score = []
        for completions, c, r, (ref_c, ref_r) in zip(draws, self.chosen, self.rejected, self.reference_counts):
            counts = Counter(answer_of(x) for x in completions)
            margin = math.log((counts[c] + 0.5) / (ref_c + 0.5)) - math.log((counts[r] + 0.5) / (ref_r + 0.5))
            score.append(1.0 if margin > 0 else 0.5 if margin == 0 else 0.0)
        return float(np.mean(score))

    def to_json(self) -> dict:
        return {"prompts": list(self.prompts), "chosen": list(self.chosen), "rejected": list(self.rejected),
                "reference_counts": [list(c) for c in self.reference_counts], "samples": self.samples}

    @classmethod
    def from_json(cls, data: dict) -> MarginalProbe:
        return cls(tuple(data["prompts"]), tuple(data["chosen"]), tuple(data["rejected"]),
                   tuple(tuple(c) for c in data["reference_counts"]), int(data["samples"]))


def _sequence_logps(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, prompts: Sequence[str],
                    completions: Sequence[str]) -> torch.Tensor:
    """log π(completion + eos | prompt) per row (sum over the completion's tokens)."""
    ids, starts = [], []
    for p, c in zip(prompts, completions):
        prompt_ids = tokenizer(p)["input_ids"]
        ids.append(prompt_ids + tokenizer(c)["input_ids"] + [tokenizer.eos_token_id])
        starts.append(len(prompt_ids))
    width = max(map(len, ids))
    input_ids = torch.full((len(ids), width), tokenizer.pad_token_id)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        input_ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
    logits = model(input_ids=input_ids, attention_mask=mask).logits[:, :-1].float()
    token_logps = torch.log_softmax(logits, -1).gather(-1, input_ids[:, 1:, None])[..., 0]
    positions = torch.arange(1, width)[None, :]
    completion = (positions >= torch.tensor(starts)[:, None]) & (mask[:, 1:] == 1)
    return (token_logps * completion).sum(1)


def dpo_batch_gradient(model: PreTrainedModel, reference: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                       prompts: Sequence[str], chosen: Sequence[str], rejected: Sequence[str], beta: float) -> np.ndarray:
    """∇ of the batch-mean DPO loss, flattened (float64)."""
    params = [p for p in model.parameters() if p.requires_grad]
    with torch.no_grad():
        ref = _sequence_logps(reference, tokenizer, prompts, chosen) - _sequence_logps(reference, tokenizer, prompts, rejected)
    pol = _sequence_logps(model, tokenizer, prompts, chosen) - _sequence_logps(model, tokenizer, prompts, rejected)
    loss = torch.nn.functional.softplus(-beta * (pol - ref)).mean()
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1)
                      for g, p in zip(grads, params)]).double().numpy()


def trace_resample_variance(model: PreTrainedModel, reference: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                            pairs: TaskPairs, *, alpha: float, beta: float, batch: int, resamples: int,
                            seed: int) -> dict[str, float]:
    """For the first ``batch`` pairs: the trace pair's answers fixed, the traces resampled ``resamples`` times from
    the base policy's traced completions of that answer (``trace_pools``), the empty-trace pairs fixed.

    Returns Var_r g_t (tr of the covariance over resamples), Var_r g_c measured on g_c itself, α²·Var_r g_t, the
    squared distance of one g_c (the first resample) and of g_e to the multi-trace estimate μ̂ (the mean of g_t
    over the resamples), and the seconds of one mixed gradient against the multi-trace estimate.
    """
    require(resamples >= 2, "resamples", resamples, "an integer ≥ 2")
    rows = list(range(min(batch, len(pairs.sets))))
    rng = np.random.default_rng(seed)
    sets = pairs.sets
    prompts = [sets.trace.prompts[i] for i in rows]
    was_training = model.training
    model.eval()  # no dropout: the variance is the traces' alone
    try:
        start = time.perf_counter()
        g_e = dpo_batch_gradient(model, reference, tokenizer, prompts, [sets.empty.chosen[i] for i in rows],
                                 [sets.empty.rejected[i] for i in rows], beta)
        empty_seconds = time.perf_counter() - start
        g_t = []
        start = time.perf_counter()
        for _ in range(resamples):
            chosen, rejected = [], []
            for i in rows:
                pool = pairs.trace_pools[i]
                for target, out in ((answer_of(sets.trace.chosen[i]), chosen), (answer_of(sets.trace.rejected[i]), rejected)):
                    options = pool[target]
                    out.append(options[int(rng.integers(len(options)))])
            g_t.append(dpo_batch_gradient(model, reference, tokenizer, prompts, chosen, rejected, beta))
        trace_seconds = (time.perf_counter() - start) / resamples
    finally:
        model.train(was_training)
    g_t = np.array(g_t)
    mu_hat = g_t.mean(0)
    g_c = alpha * g_t + (1 - alpha) * g_e
    var = lambda v: float(np.mean(np.sum((v - v.mean(0)) ** 2, axis=1)))
    return {
        "alpha": alpha, "batch": len(rows), "resamples": resamples,
        "var_trace": var(g_t), "var_mixed": var(g_c), "alpha_sq_var_trace": alpha**2 * var(g_t),
        "sq_distance_mixed_to_multitrace": float(np.sum((g_c[0] - mu_hat) ** 2)),
        "sq_distance_empty_to_multitrace": float(np.sum((g_e - mu_hat) ** 2)),
        "seconds_mixed_gradient": trace_seconds + empty_seconds,
        "seconds_multitrace_reference": trace_seconds * resamples,
    }
