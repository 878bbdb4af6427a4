"""Exact tabular games (docs/concepts/estimators.md#bias-moves-the-equilibrium): a few prompts, each with traces mapped to answers, a reference
policy over traces and optional verifier scores. The policy is a softmax over traces, so the answer
marginal p_π(z) = Σ_{y→z} π(y) is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alft.errors import AlftInputError


@dataclass(frozen=True)
class TabularPrompt:
    """One prompt of a tabular game.

    Attributes:
        answers: the answer labels (canonical strings).
        trace_answer: for each trace, the index of its answer.
        reference: π_ref over traces (positive, normalised on construction).
        scores: verifier score per answer, or None.
    """

    answers: tuple[str, ...]
    trace_answer: tuple[int, ...]
    reference: tuple[float, ...]
    scores: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        A, Y = len(self.answers), len(self.trace_answer)
        if A == 0 or len(set(self.answers)) != A:
            raise AlftInputError(f"answers: got {self.answers!r}, expected distinct answer labels")
        if sorted(set(self.trace_answer)) != list(range(A)):
            raise AlftInputError(f"trace_answer: got {self.trace_answer!r}, expected every answer 0..{A - 1} reached by a trace")
        ref = np.asarray(self.reference, dtype=float)
        if ref.shape != (Y,) or np.any(~np.isfinite(ref)) or np.any(ref <= 0):
            raise AlftInputError(f"reference: got {self.reference!r}, expected {Y} positive probabilities (one per trace)")
        object.__setattr__(self, "reference", tuple((ref / ref.sum()).tolist()))
        if self.scores is not None and (len(self.scores) != A or not np.all(np.isfinite(self.scores))):
            raise AlftInputError(f"scores: got {self.scores!r}, expected {A} finite verifier scores (one per answer)")

    @property
    def index(self) -> np.ndarray:
        return np.asarray(self.trace_answer)

    def marginal(self, policy: np.ndarray) -> np.ndarray:
        """p_π over answers for a policy over traces."""
        return np.bincount(self.index, weights=policy, minlength=len(self.answers))

    @property
    def answer_reference(self) -> np.ndarray:
        """p_ref over answers."""
        return self.marginal(np.asarray(self.reference))


@dataclass(frozen=True)
class TabularGame:
    """Prompts and the KL weight β to π_ref.

    Attributes:
        prompts: the prompts (each visited every step).
        beta: KL weight β > 0.
    """

    prompts: tuple[TabularPrompt, ...]
    beta: float = 1.0

    def __post_init__(self) -> None:
        if not self.prompts:
            raise AlftInputError("prompts: got none, expected at least one TabularPrompt")
        if not (np.isfinite(self.beta) and self.beta > 0):
            raise AlftInputError(f"beta: got {self.beta!r}, expected a positive finite KL weight")


def _prompt(answer_ref: list[float], traces: list[int], correct: int, labels: list[str]) -> TabularPrompt:
    """Split each answer's reference mass over its traces unevenly (so π(y|z) is not uniform)."""
    trace_answer, reference = [], []
    for z, (mass, n) in enumerate(zip(answer_ref, traces)):
        split = np.arange(1, n + 1, dtype=float)
        trace_answer += [z] * n
        reference += (mass * split / split.sum()).tolist()
    scores = tuple(1.0 if z == correct else 0.0 for z in range(len(labels)))
    return TabularPrompt(tuple(labels), tuple(trace_answer), tuple(reference), scores)


def default_game(beta: float = 1.0) -> TabularGame:
    """Three prompts with 4 answers and 1–3 traces each; the verifier's correct answer is not always the mode.

    The reference answer distributions span a mode of 0.40–0.50 and a tail down to 0.10, the regime where
    count estimators differ (docs/concepts/estimators.md#plug-in, docs/concepts/estimators.md#digamma).
    """
    return TabularGame(
        prompts=(
            _prompt([0.45, 0.30, 0.15, 0.10], [3, 2, 2, 1], correct=0, labels=["12", "13", "21", "7"]),
            _prompt([0.40, 0.30, 0.20, 0.10], [2, 3, 1, 2], correct=1, labels=["6", "8", "-6", "0"]),
            _prompt([0.50, 0.25, 0.15, 0.10], [2, 2, 3, 1], correct=0, labels=["42", "24", "4", "2"]),
        ),
        beta=beta,
    )
