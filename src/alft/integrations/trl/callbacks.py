"""Trainer callbacks for any TRL run: guards, constraint duals, periodic measurements.

* :class:`FailureWarningCallback` warns once when accuracy falls beyond noise (collapse or scattering).
* :class:`DegenerateRunCallback` warns, from the first step on, of a run that cannot learn: most completions
  empty or without an answer, or the reward constant across most groups.
* :class:`DualUpdateCallback` moves a constraint game's multipliers once per optimizer step (docs/concepts/game.md#constraints, docs/concepts/game.md#the-training-step step 4) from the batch estimates of the step's last scored batch.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from transformers import TrainerCallback


class DualUpdateCallback(TrainerCallback):
    """Once per optimizer step, update a constraint game's multipliers (dual ascent, docs/concepts/game.md#constraints).

    Args:
        update: called with no argument at each step end; it reads the step's batch estimates (e.g. from
            the reward function's last scored batch) and moves the multipliers.
    """

    def __init__(self, update: Callable[[], None]) -> None:
        self.update = update

    def on_step_end(self, args, state, control, **kwargs):  # noqa: ANN001
        self.update()


@dataclass
class FailureTest:
    """The two ways a label-free run fails, told from noise: a one-sided CUSUM on the batch's sample accuracy.

    The first ``baseline_steps`` logged steps give the base accuracy μ and its spread σ (at least the spread
    of ``n_groups`` prompts' mean accuracy, √(μ(1−μ)/n_groups), so a lucky quiet start cannot make σ tiny).
    Each later step adds (μ − accuracy)/σ − ``slack`` to a sum floored at 0; the test fires when the sum passes
    ``threshold``. False alarms and detection delays are measured in benchmarks/failure_warning.py (results
    in benchmarks/results/failure_warning.json): on steps resampled from the stationary halves of three
    3200-step default runs, and on Gaussian steps as a worst case. The kind is read from the answers:
    agreement up (majority share at or above its base) is the collapse onto one answer; agreement down with
    entropy up is scattering. Without accuracy (no gold answers) the test can only see the extremes: one
    answer for everything, or entropy above twice its base and at least 0.5 nat higher.
    """

    baseline_steps: int = 10
    slack: float = 1.0
    threshold: float = 9.0
    base: list = field(default_factory=list)
    recent: deque = field(default_factory=deque)
    statistic: float = 0.0

    def add(self, step: int, logs: Mapping[str, float]) -> dict[str, Any] | None:
        """Take one logged step; returns the evidence when the test fires (else None). O(1) per step."""
        keys = ("alft/sample_accuracy", "alft/majority_share", "alft/answer_entropy")
        if logs.get(keys[1]) is None or logs.get(keys[2]) is None:
            return None
        row = (math.nan if logs.get(keys[0]) is None else float(logs[keys[0]]), float(logs[keys[1]]), float(logs[keys[2]]))
        if len(self.base) < self.baseline_steps:
            self.base.append(row)
            return None
        self.recent.append(row)
        if len(self.recent) > self.baseline_steps:
            self.recent.popleft()
        base, recent = np.asarray(self.base), np.asarray(self.recent)
        if np.isnan(base[:, 0]).any() or math.isnan(row[0]):
            return self._label_free(step, base, recent)
        mu, sigma = accuracy_baseline(base[:, 0], float(logs.get("alft/n_groups") or 1))
        self.statistic = max(0.0, self.statistic + (mu - row[0]) / sigma - self.slack)
        if self.statistic <= self.threshold:
            return None
        kind = "collapse" if recent[:, 1].mean() >= base[:, 1].mean() else "scatter"
        return _evidence(step, kind, base, recent, cusum=self.statistic, threshold=self.threshold)

    def _label_free(self, step: int, base: np.ndarray, recent: np.ndarray) -> dict[str, Any] | None:
        if len(recent) < self.baseline_steps:
            return None
        if recent[:, 1].mean() >= 0.98 and base[:, 1].mean() < 0.9:
            return _evidence(step, "collapse", base, recent)
        base_entropy, entropy = base[:, 2].mean(), recent[:, 2].mean()
        if entropy >= max(2 * base_entropy, base_entropy + 0.5):
            return _evidence(step, "scatter", base, recent)
        return None


def accuracy_baseline(accuracy: np.ndarray, n_groups: float) -> tuple[float, float]:
    """(μ, σ) of the base steps' accuracy, σ at least the spread of n_groups prompts' mean and 0.02."""
    mu = float(np.mean(accuracy))
    return mu, max(float(np.std(accuracy, ddof=1)), math.sqrt(mu * (1 - mu) / n_groups), 0.02)


def _evidence(step: int, kind: str, base: np.ndarray, recent: np.ndarray, **test: float) -> dict[str, Any]:
    means = lambda rows: [None if math.isnan(v) else round(float(v), 4) for v in np.nanmean(rows, axis=0)]  # noqa: E731
    (acc0, share0, ent0), (acc1, share1, ent1) = means(base), means(recent)
    return {"step": step, "kind": kind, "sample_accuracy": [acc0, acc1], "majority_share": [share0, share1],
            "answer_entropy": [ent0, ent1], **{k: round(float(v), 3) for k, v in test.items()}}


def failure_message(evidence: Mapping[str, Any]) -> str:
    """One line: what failed, and the base → recent means that show it."""
    what = {"collapse": "the answers collapse onto one (agreement up)",
            "scatter": "the answers scatter (agreement down, entropy up)"}[evidence["kind"]]
    parts = [f"{name.replace('_', ' ')} {a} → {b}" for name in ("sample_accuracy", "majority_share", "answer_entropy")
             for a, b in [evidence[name]] if a is not None]
    return f"warning: step {evidence['step']}: {what}; {', '.join(parts)} (first steps → last steps)"


class FailureWarningCallback(TrainerCallback):
    """Warns once when the run fails as label-free runs fail (:class:`FailureTest`), and keeps the evidence in
    :attr:`evidence` (``alft train`` writes it to summary.json).

    Args:
        log: receives the warning line.
        test: the test (its defaults are the stated false-alarm rate).
    """

    def __init__(self, log: Callable[[str], None], test: FailureTest | None = None) -> None:
        self.log, self.test = log, test if test is not None else FailureTest()
        self.evidence: dict[str, Any] | None = None

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if self.evidence is not None or not logs:
            return
        self.evidence = self.test.add(state.global_step, logs)
        if self.evidence is not None:
            self.log(failure_message(self.evidence))


DEGENERATE_SHARE = 0.5  # empty or unextractable: warn when more than half of a step's completions are
CONSTANT_SHARE = 0.75  # groups with one reward for all K (TRL's frac_reward_zero_std): no gradient from them;
# the built-in default run's steps reached 0.625 at most (200 steps), so this does not fire there


def degenerate_findings(logs: Mapping[str, float], K: int) -> dict[str, dict[str, float]]:
    """What is wrong with one logged step: ``empty`` / ``unextractable`` completions or a ``constant`` reward,
    each with its share; empty when the step looks trainable."""
    groups = logs.get("alft/n_groups")
    if not groups:
        return {}
    total = groups * K
    shares = {"empty": (logs.get("alft/n_empty") or 0) / total,
              "unextractable": (logs.get("alft/n_unextractable") or 0) / total,
              "constant": logs.get("frac_reward_zero_std") or 0.0}
    limits = {"empty": DEGENERATE_SHARE, "unextractable": DEGENERATE_SHARE, "constant": CONSTANT_SHARE}
    return {kind: {"share": round(float(share), 4), "of": total if kind != "constant" else groups}
            for kind, share in shares.items() if share > limits[kind]}


def degenerate_message(step: int, kind: str, share: float, extractor: object) -> str:
    """One warning line: what was seen at which step, and what usually causes it."""
    what = {
        "empty": "of the completions are empty: a chat model given plain-text prompts (no chat template) often "
                 "answers nothing; check the prompt format and --max-completion-length",
        "unextractable": f"of the completions are without an answer the extractor ({extractor}) reads: check "
                         "--extractor, the prompt's answer format and --max-completion-length (a cut completion "
                         "has no answer)",
        "constant": "of the prompts are in groups whose K completions all got the same reward, which give no "
                    "gradient: the answers agree everywhere, or none is extractable",
    }[kind]
    return f"warning: step {step}: {share:.0%} {what}"


class DegenerateRunCallback(TrainerCallback):
    """Warns once per kind (:func:`degenerate_findings`) from the first logged step on, and keeps each warning
    in :attr:`warnings` (``alft train`` writes them to summary.json).

    Args:
        log: receives the warning lines.
        K: completions per prompt (``num_generations``).
        extractor: the answer extractor's name, for the message.
    """

    def __init__(self, log: Callable[[str], None], K: int, extractor: object = "auto") -> None:
        self.log, self.K, self.extractor = log, K, extractor
        self.warnings: list[dict[str, Any]] = []

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if not logs or not state.is_world_process_zero:
            return
        given = {w["kind"] for w in self.warnings}
        for kind, found in degenerate_findings(logs, self.K).items():
            if kind not in given:
                self.warnings.append({"step": state.global_step, "kind": kind, **found})
                self.log(degenerate_message(state.global_step, kind, found["share"], self.extractor))


class PeriodicMeasureCallback(TrainerCallback):
    """Every ``every`` optimizer steps, appends ``measure(model)`` (with the step) to a JSONL file: the distance to
    the predicted equilibrium, or the held-out evaluation. ``measure`` must sample inside ``fork_rng``, so training's
    random stream is unchanged (docs/concepts/builtin-task.md)."""

    def __init__(self, path: Path, every: int, measure: Callable[[Any], dict[str, Any] | None]) -> None:
        self.path, self.every, self.measure = Path(path), every, measure

    def on_step_end(self, args, state, control, model=None, **kwargs):  # noqa: ANN001
        if model is None or state.global_step % self.every:
            return
        result = self.measure(model)
        if result is not None:
            with self.path.open("a") as out:
                out.write(json.dumps({"step": state.global_step, **result}) + "\n")



class EquilibriumProbeCallback(PeriodicMeasureCallback):
    """Deprecated name of :class:`PeriodicMeasureCallback` (it measures more than the equilibrium)."""

    def __init__(self, path: Path, every: int, measure: Callable[[Any], dict[str, Any] | None]) -> None:
        warnings.warn("EquilibriumProbeCallback is deprecated; use PeriodicMeasureCallback", DeprecationWarning,
                      stacklevel=2)
        super().__init__(path, every, measure)