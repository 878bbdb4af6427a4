"""Best-of-n and Best-of-Majority as inference-time policies over any sampler and reward (docs/concepts/best-of-n.md, docs/concepts/peers.md).

Nothing here knows about models: a policy is built from plain callables,

* ``sampler(prompt, n, rng) -> list[str]``: n completions drawn from π_ref (``rng``: numpy Generator);
* ``reward(prompt, completion) -> float``: a finite score;
* optionally ``ref_logprob(prompt, completion) -> float``: log π_ref(completion | prompt), which turns a
  run into a KL estimate through d_n (see :mod:`alft.bon.estimator`);
* for Best-of-Majority, ``extract(completion) -> str | None``: the completion's final answer.

so it works with a transformers model (:mod:`alft.bon.transformers_sampler`), the built-in task or an API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from alft.bon.estimator import Estimate, estimate_kl_from_samples, mean_with_stderr
from alft.bon.exact import check_n
from alft.errors import AlftInputError

Sampler = Callable[[str, int, np.random.Generator], Sequence[str]]
RewardFn = Callable[[str, str], float]
LogProbFn = Callable[[str, str], float]
AnswerFn = Callable[[str], "str | None"]

BEST_OF_N = "best-of-n"
BEST_OF_MAJORITY = "best-of-majority"


@dataclass(frozen=True)
class Selection:
    """One prompt's n completions and the one a policy kept.

    Attributes:
        prompt: the prompt.
        completions: the n sampled completions.
        rewards: their rewards.
        index: position of the kept completion.
        candidates: positions the rule chose among (all n for best-of-n; the majority's members for
            Best-of-Majority).
        answer: the majority answer (Best-of-Majority only; None if no completion had an answer).
        ref_logprob: log π_ref of the kept completion, if a ``ref_logprob`` callable was given.
        rule: ``"best-of-n"`` or ``"best-of-majority"``.
    """

    prompt: str
    completions: tuple[str, ...]
    rewards: tuple[float, ...]
    index: int
    candidates: tuple[int, ...]
    answer: str | None
    ref_logprob: float | None
    rule: str

    @property
    def completion(self) -> str:
        """The kept completion."""
        return self.completions[self.index]

    @property
    def reward(self) -> float:
        """The kept completion's reward."""
        return self.rewards[self.index]


@dataclass(frozen=True)
class Run:
    """The selections a policy made over a list of prompts.

    Attributes:
        n: completions sampled per prompt.
        selections: one :class:`Selection` per prompt.
    """

    n: int
    selections: tuple[Selection, ...]

    def mean_reward(self) -> Estimate:
        """Mean reward of the kept completions, with its standard error."""
        return mean_with_stderr(np.array([s.reward for s in self.selections]))

    def kl_estimate(self) -> Estimate:
        """KL(π_n ‖ π_ref) of this best-of-n run, estimated as the mean of d_n(π_ref(kept completion)).

        Each completion is treated as its own reward level (true for text, whose completions are almost
        surely distinct); with tied rewards this is conservative (d_n decreases in ε).

        Returns:
            The estimate and its standard error.

        Raises:
            AlftInputError: if the policy had no ``ref_logprob`` or the run is not best-of-n (d_n is the
                KL of best-of-n only; any rule that keeps one of n draws has KL ≤ log n).
        """
        rules = {s.rule for s in self.selections}
        if rules != {BEST_OF_N}:
            raise AlftInputError(f"rule: got {sorted(rules)}, expected a best-of-n run for its KL estimate "
                                 f"(other selection rules are only bounded by log n = {np.log(self.n):.4g})")
        logprobs = [s.ref_logprob for s in self.selections]
        if any(lp is None for lp in logprobs):
            raise AlftInputError("ref_logprob: got None, expected the policy to be built with a ref_logprob "
                                 "callable to estimate KL")
        return estimate_kl_from_samples(np.array(logprobs), self.n)


def _sample(sampler: Sampler, reward: RewardFn, prompt: str, n: int,
            rng: np.random.Generator) -> tuple[tuple[str, ...], np.ndarray]:
    sampled = sampler(prompt, n, rng)
    if isinstance(sampled, (str, bytes)) or not isinstance(sampled, Sequence):
        raise AlftInputError(f"sampler: returned {sampled!r:.80} for prompt {prompt!r:.60}, expected a list of "
                             f"n = {n} completions")
    completions = tuple(sampled)
    if len(completions) != n:
        raise AlftInputError(f"sampler: returned {len(completions)} completions for prompt {prompt!r:.60}, "
                             f"expected n = {n}")
    rewards = np.array([_number(reward(prompt, c), "reward", prompt) for c in completions])
    bad = np.flatnonzero(~np.isfinite(rewards))
    if bad.size:
        raise AlftInputError(f"reward: got {float(rewards[bad[0]])!r} for completion {bad[0]} of prompt "
                             f"{prompt!r:.60}, expected a finite number")
    return completions, rewards


def _number(value: object, field_name: str, prompt: str) -> float:
    """A user callable's result as a float, or a clear error naming the callable (None, strings, arrays)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AlftInputError(f"{field_name}: got {value!r:.60} for prompt {prompt!r:.60}, expected a number") from None


def _best_among(rewards: np.ndarray, candidates: np.ndarray, rng: np.random.Generator) -> int:
    # Uniform tie-breaking among equal best rewards: the rule the exact formulas assume (docs/concepts/best-of-n.md).
    best = candidates[rewards[candidates] == rewards[candidates].max()]
    return int(best[rng.integers(best.size)])


def _ref_logprob(ref_logprob: LogProbFn | None, prompt: str, completion: str) -> float | None:
    if ref_logprob is None:
        return None
    value = _number(ref_logprob(prompt, completion), "ref_logprob", prompt)
    if not value <= 0:
        raise AlftInputError(f"ref_logprob: got {value!r} for prompt {prompt!r:.60}, expected a log-probability ≤ 0")
    return value


@dataclass(frozen=True)
class _SampleThenSelect:
    """What best-of-n and Best-of-Majority share: sample n completions from π_ref, score them, let the
    rule name the candidates, keep the best-rewarded candidate (ties uniformly, docs/concepts/best-of-n.md).

    Each policy declares ``n`` and ``ref_logprob`` itself, after its own fields (so that the constructors
    keep their argument order), and gives a ``rule`` name and ``_candidates``: the one part in which the
    rules differ.

    Attributes:
        sampler: ``sampler(prompt, n, rng) -> list[str]``.
        reward: ``reward(prompt, completion) -> float``.
    """

    sampler: Sampler
    reward: RewardFn

    rule: ClassVar[str]

    def __post_init__(self) -> None:
        check_n(self.n)

    def _candidates(self, prompt: str, completions: tuple[str, ...]) -> tuple[np.ndarray, Sequence[str | None]]:
        """(positions the rule chooses among, each completion's answer or None)."""
        raise NotImplementedError

    def select(self, prompt: str, rng: np.random.Generator) -> Selection:
        """Sample n completions for one prompt and keep the best candidate of the rule.

        Args:
            prompt: the prompt.
            rng: the random generator (sampling and tie-breaking).

        Returns:
            The :class:`Selection` (``answer`` is the kept completion's answer under the rule, if any).
        """
        completions, rewards = _sample(self.sampler, self.reward, prompt, self.n, rng)
        candidates, answers = self._candidates(prompt, completions)
        index = _best_among(rewards, candidates, rng)
        return Selection(prompt, completions, tuple(rewards.tolist()), index, tuple(candidates.tolist()),
                         answers[index], _ref_logprob(self.ref_logprob, prompt, completions[index]), self.rule)

    def run(self, prompts: Sequence[str], rng: np.random.Generator) -> Run:
        """Apply :meth:`select` to every prompt.

        Args:
            prompts: the prompts.
            rng: the random generator.

        Returns:
            The :class:`Run`.
        """
        return Run(self.n, tuple(self.select(p, rng) for p in prompts))


@dataclass(frozen=True)
class BestOfN(_SampleThenSelect):
    """Best-of-n: sample n completions from π_ref, keep the highest reward (ties uniformly).

    Attributes:
        sampler: ``sampler(prompt, n, rng) -> list[str]``.
        reward: ``reward(prompt, completion) -> float``.
        n: completions per prompt, ≥ 1.
        ref_logprob: optional ``ref_logprob(prompt, completion) -> float`` for the run's KL estimate.
    """

    n: int
    ref_logprob: LogProbFn | None = None

    rule: ClassVar[str] = BEST_OF_N

    def _candidates(self, prompt: str, completions: tuple[str, ...]) -> tuple[np.ndarray, Sequence[str | None]]:
        # Every completion is a candidate; best-of-n reads no answers.
        return np.arange(self.n), (None,) * self.n


@dataclass(frozen=True)
class BestOfMajority(_SampleThenSelect):
    """Best-of-Majority: majority vote over extracted answers, then the best reward among its members.

    If several answers share the top count, the members of all of them are candidates (the reward
    decides). Completions without an answer do not vote; if none has one, the rule is plain best-of-n.

    Attributes:
        sampler, reward, n: as for :class:`BestOfN`.
        extract: ``extract(completion) -> str | None``, the (canonical) final answer.
        ref_logprob: optional ``ref_logprob(prompt, completion) -> float``, recorded on each selection.
    """

    extract: AnswerFn
    n: int
    ref_logprob: LogProbFn | None = None

    rule: ClassVar[str] = BEST_OF_MAJORITY

    def _candidates(self, prompt: str, completions: tuple[str, ...]) -> tuple[np.ndarray, Sequence[str | None]]:
        answers = [self.extract(c) for c in completions]
        wrong = [a for a in answers if a is not None and not isinstance(a, str)]
        if wrong:
            raise AlftInputError(f"extract: got {wrong[0]!r:.60} for prompt {prompt!r:.60}, expected an answer string or None")
        counts = Counter(a for a in answers if a is not None)
        if not counts:
            return np.arange(self.n), answers
        top = max(counts.values())
        return np.array([i for i, a in enumerate(answers) if a is not None and counts[a] == top]), answers
