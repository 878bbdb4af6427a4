"""A best-of-n sampler over a transformers causal language model (docs/concepts/best-of-n.md; torch imported lazily).

The mathematics of :mod:`alft.bon` never imports torch; this adapter imports it inside its methods, so
``import alft.bon`` stays light. It samples with ``generate`` under a forked torch RNG seeded from the caller's numpy
Generator (same seed → same completions, global torch RNG untouched), and scores
completions under the same tempered distribution, giving the ``ref_logprob`` best-of-n's KL estimate needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from alft.errors import require


@dataclass(frozen=True)
class TransformersSampler:
    """``sampler(prompt, n, rng)`` and ``logprob(prompt, completion)`` for a causal LM and its tokenizer.

    Attributes:
        model: a transformers causal LM (``model(input_ids=..., past_key_values=...)`` returns logits).
        tokenizer: its tokenizer (needs ``eos_token_id``; ``decode(ids, skip_special_tokens=True)``).
        max_new_tokens: completion length limit, ≥ 1.
        temperature: sampling temperature, > 0; π_ref is the tempered model.
    """

    model: Any
    tokenizer: Any
    max_new_tokens: int = 32
    temperature: float = 1.0

    def __post_init__(self) -> None:
        require(isinstance(self.max_new_tokens, int) and self.max_new_tokens >= 1, "max_new_tokens",
                self.max_new_tokens, "an integer ≥ 1")
        require(self.temperature > 0, "temperature", self.temperature, "a positive temperature")
        require(self.tokenizer.eos_token_id is not None, "tokenizer.eos_token_id", None,
                "a tokenizer with an end-of-sequence token")

    def _prompt_ids(self, prompt: str) -> list[int]:
        ids = list(self.tokenizer(prompt)["input_ids"])
        require(len(ids) > 0, "prompt", prompt, "a prompt that tokenizes to at least one token")
        return ids

    def sample_with_logprobs(self, prompt: str, n: int, rng: np.random.Generator) -> tuple[list[str], list[float]]:
        """Draw n completions and their log-probabilities under the tempered model.

        Args:
            prompt: the prompt.
            n: number of completions, ≥ 1.
            rng: numpy Generator; seeds the torch generator.

        Returns:
            (completions, log-probabilities); a completion's log-probability includes its end token
            when it stopped before ``max_new_tokens``.
        """
        import torch

        require(isinstance(n, int) and n >= 1, "n", n, "an integer ≥ 1")
        eos = self.tokenizer.eos_token_id
        input_ids = torch.tensor([self._prompt_ids(prompt)] * n)
        # generate() draws from the global torch RNG: fork it so the caller's state is untouched and the
        # draw depends only on ``rng``. top_k=0, top_p=1 keep π_ref the plain tempered model.
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            torch.manual_seed(int(rng.integers(2**62)))
            out = self.model.generate(
                input_ids=input_ids, attention_mask=torch.ones_like(input_ids), do_sample=True,
                temperature=self.temperature, top_k=0, top_p=1.0, max_new_tokens=self.max_new_tokens,
                eos_token_id=eos, pad_token_id=eos, output_logits=True, return_dict_in_generate=True,
            )
        new_tokens = out.sequences[:, input_ids.shape[1]:]
        logits = torch.stack(out.logits, dim=1).double() / self.temperature
        token_logp = torch.log_softmax(logits, dim=-1).gather(2, new_tokens[:, :, None])[:, :, 0]
        # Count tokens up to and including the first end token; later positions are padding.
        after_eos = torch.cumsum((new_tokens == eos).int(), dim=1) - (new_tokens == eos).int() > 0
        logprobs = token_logp.masked_fill(after_eos, 0.0).sum(dim=1)
        rows = new_tokens.tolist()
        texts = [self.tokenizer.decode(row[: row.index(eos)] if eos in row else row, skip_special_tokens=True)
                 for row in rows]
        return texts, logprobs.tolist()

    def __call__(self, prompt: str, n: int, rng: np.random.Generator) -> list[str]:
        """The sampler interface of :mod:`alft.bon.policy`: n completions for ``prompt``."""
        return self.sample_with_logprobs(prompt, n, rng)[0]

    def logprob(self, prompt: str, completion: str, with_eos: bool = True) -> float:
        """log π_ref(completion | prompt) under the tempered model (the ``ref_logprob`` interface).

        Args:
            prompt: the prompt.
            completion: the completion text (re-tokenized: exact when tokenization round-trips).
            with_eos: include the end token, as for completions that stopped on their own.

        Returns:
            The log-probability in nats.
        """
        import torch

        prompt_ids = self._prompt_ids(prompt)
        completion_ids = list(self.tokenizer(completion, add_special_tokens=False)["input_ids"])
        if with_eos:
            completion_ids.append(self.tokenizer.eos_token_id)
        if not completion_ids:
            return 0.0
        ids = torch.tensor([prompt_ids + completion_ids])
        with torch.no_grad():
            logits = self.model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
            logits = logits[0, len(prompt_ids) - 1 : -1].double() / self.temperature
        logp = torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(completion_ids)[:, None])
        return float(logp.sum())
