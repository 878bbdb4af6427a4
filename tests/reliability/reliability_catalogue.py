"""The bad-input catalogue: every public entry point, fed what users and trainers get wrong.

Each :class:`BadInput` must raise :class:`alft.errors.AlftInputError` (a ``ValueError``) whose message names
``field``. ``tests/reliability/test_bad_inputs.py`` checks each one; ``benchmarks/reliability.py`` counts
them by kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class BadInput:
    """One bad input.

    Attributes:
        kind: the part of the library (a row of the benchmark table).
        label: what is wrong, in words.
        call: runs the entry point with the bad input.
        field: a string the error message must contain (the field's name).
    """

    kind: str
    label: str
    call: Callable[[], Any]
    field: str


def _estimators() -> list[BadInput]:
    from alft.estimators import get_estimator, leave_one_out_counts, parse_target

    kind = "estimator"
    return [
        BadInput(kind, "K = 1", lambda: get_estimator("digamma", 1), "K"),
        BadInput(kind, "K = 257 (above MAX_K)", lambda: get_estimator("digamma", 257), "K"),
        BadInput(kind, "K a float", lambda: get_estimator("digamma", 8.0), "K"),
        BadInput(kind, "K a bool", lambda: get_estimator("digamma", True), "K"),
        BadInput(kind, "K a string", lambda: get_estimator("digamma", "8"), "K"),
        BadInput(kind, "unknown estimator", lambda: get_estimator("magic", 8), "estimator"),
        BadInput(kind, "unknown parameter", lambda: get_estimator("aqp", 8, kapa=8.0), "kapa"),
        BadInput(kind, "NaN parameter", lambda: get_estimator("aqp", 8, kappa=float("nan")), "kappa"),
        BadInput(kind, "string parameter", lambda: get_estimator("aqp", 8, kappa="8"), "kappa"),
        BadInput(kind, "kappa below 1", lambda: get_estimator("aqp", 8, kappa=0.5), "kappa"),
        BadInput(kind, "budget below the minimax value", lambda: get_estimator("aqp", 8, budget=1e-9), "budget"),
        BadInput(kind, "ustat for a log target", lambda: get_estimator("ustat", 8, "log"), "estimator"),
        BadInput(kind, "polynomial degree ≥ K", lambda: get_estimator("ustat", 4, "tsallis:6"), "target"),
        BadInput(kind, "unknown target", lambda: parse_target("entropy"), "target"),
        BadInput(kind, "tsallis alpha 2.5", lambda: parse_target("tsallis:2.5"), "alpha"),
        BadInput(kind, "inf polynomial coefficient", lambda: parse_target("poly:1,inf"), "coefficient"),
        BadInput(kind, "counts of the wrong shape", lambda: leave_one_out_counts(np.zeros((2, 2, 2))), "answer_ids"),
        BadInput(kind, "empty group of counts", lambda: leave_one_out_counts(np.zeros((1, 0))), "answer_ids"),
        BadInput(kind, "count ≥ K", lambda: get_estimator("digamma", 4).rewards([4]), "counts"),
        BadInput(kind, "negative count", lambda: get_estimator("digamma", 4).rewards([-1]), "counts"),
        # 1e6 builds a 10⁶-coefficient polynomial in ~1 s; 1e9 hangs and exhausts memory (not tried here)
        BadInput(kind, "tsallis alpha 1e6 (no K ≤ 256 can estimate it)",
                 lambda: parse_target("tsallis:1e6"), "alpha"),
        BadInput(kind, "target None", lambda: get_estimator("ustat", 8, None), "target"),
        BadInput(kind, "target coefficient a string", lambda: get_estimator("ustat", 8, ["a"]), "target"),
        BadInput(kind, "fractional count", lambda: get_estimator("digamma", 4).rewards([0.5]), "counts"),
        BadInput(kind, "NaN count", lambda: get_estimator("digamma", 4).rewards([float("nan")]), "counts"),
        BadInput(kind, "None among answer ids", lambda: leave_one_out_counts([[None, 1]]), "answer_ids"),
    ]


def _games() -> list[BadInput]:
    from alft import games
    from alft.games import Constraint, DualState, Reward, coherence, group_rewards, parse_objective, verifier

    kind = "group reward"
    c = coherence()
    return [
        BadInput(kind, "empty group", lambda: group_rewards([], Reward(c, allow_collapse=True)), "answers"),
        BadInput(kind, "answers a string", lambda: group_rewards("abc", Reward(c, allow_collapse=True)), "answers"),
        BadInput(kind, "an integer answer", lambda: group_rewards(["1", 2], Reward(c, allow_collapse=True)), "answers[1]"),
        BadInput(kind, "bytes answer", lambda: group_rewards(["1", b"2"], Reward(c, allow_collapse=True)), "answers[1]"),
        BadInput(kind, "group of 300 (above MAX_K)", lambda: group_rewards(["a"] * 300, Reward(c, allow_collapse=True)), "K"),
        BadInput(kind, "objective None", lambda: group_rewards(["a", "b"], Reward(3, allow_collapse=True)), "objective"),
        BadInput(kind, "unknown estimator", lambda: group_rewards(["a", "b"], Reward(c, "magic", allow_collapse=True)), "estimator"),
        BadInput(kind, "unknown None policy", lambda: group_rewards(["a", None], Reward(c, unextractable="drop", allow_collapse=True)), "unextractable"),
        BadInput(kind, "NaN penalty", lambda: group_rewards(["a", None], Reward(c, unextractable="penalty", penalty=float("nan"), allow_collapse=True)), "penalty"),
        BadInput(kind, "verifier scores missing", lambda: group_rewards(["a", "b"], Reward(verifier(), allow_collapse=True)), "verifier_scores"),
        BadInput(kind, "verifier score NaN", lambda: group_rewards(["a", "b"], Reward(verifier(), allow_collapse=True), verifier_scores=[1, float("nan")]), "verifier_scores[1]"),
        BadInput(kind, "verifier score inf", lambda: group_rewards(["a", "b"], Reward(verifier(), allow_collapse=True), verifier_scores=[float("inf"), 0]), "verifier_scores[0]"),
        BadInput(kind, "verifier score a string", lambda: group_rewards(["a", "b"], Reward(verifier(), allow_collapse=True), verifier_scores=["x", 1]), "verifier_scores"),
        BadInput(kind, "too few verifier scores", lambda: group_rewards(["a", "b"], Reward(verifier(), allow_collapse=True), verifier_scores=[1]), "verifier_scores"),
        BadInput(kind, "weight × score overflows float64", lambda: group_rewards(["a", "b"], Reward(2 * verifier(), allow_collapse=True), verifier_scores=[1e308, 1e308]), "verifier_scores"),
        BadInput(kind, "constraint value × multiplier overflows", lambda: group_rewards(["a", "b"], Reward(games.constrained(c, DualState((Constraint("unsafe", lambda a: 1e308, 0.5),), multipliers=(1e308,))), allow_collapse=True)),
            "objective"),
        BadInput(kind, "constraint indicator NaN", lambda: group_rewards(["a", "b"], Reward(games.constrained(c, DualState((Constraint("unsafe", lambda a: float("nan"), 0.5),), multipliers=(1.0,))), allow_collapse=True)),
            "unsafe"),
        BadInput(kind, "estimator parameter unknown", lambda: group_rewards(["a", "b"], Reward(c, estimator_params={"zz": 1.0}, allow_collapse=True)), "zz"),
        BadInput(kind, "batch not whole groups", lambda: games.batch_group_rewards(["a"] * 3, 2, Reward(c, allow_collapse=True)), "answers"),
        BadInput(kind, "batch K = 0", lambda: games.batch_group_rewards(["a"], 0, Reward(c, allow_collapse=True)), "K"),
        BadInput(kind, "batch K a string", lambda: games.batch_group_rewards(["a"], "1", Reward(c, allow_collapse=True)), "K"),
        BadInput("objective", "unknown objective", lambda: parse_objective("harmony"), "objective"),
        BadInput("objective", "weight '1..2'", lambda: parse_objective("1..2*coherence"), "objective"),
        BadInput("objective", "weight 1e999 (inf)", lambda: parse_objective("1e999*coherence"), "weight"),
        BadInput("objective", "empty objective", lambda: parse_objective("  "), "objective"),
        BadInput("objective", "objective None", lambda: parse_objective(None), "objective"),
        BadInput("objective", "trailing '+'", lambda: parse_objective("coherence+"), "objective"),
        BadInput("objective", "tsallis without alpha", lambda: parse_objective("tsallis"), "generator"),
        BadInput("objective", "weight a string", lambda: coherence("a"), "weight"),
        BadInput("objective", "constraint kind '<'", lambda: Constraint("c", {"a"}, 0.5, "<"), "kind"),
        BadInput("objective", "constraint bound a string", lambda: Constraint("c", {"a"}, "x"), "bound"),
        BadInput("objective", "dual step a string", lambda: DualState((), step="x"), "step"),
        BadInput("objective", "dual step 0", lambda: DualState((), step=0.0), "step"),
    ]


def _answers() -> list[BadInput]:
    from alft.answers import AnswerEquivalence, canonicalize, extract_answer, get_extractor, get_grouper, group_equivalent

    return [
        BadInput("answer extraction", "completion None", lambda: extract_answer(None), "completion"),
        BadInput("answer extraction", "completion bytes", lambda: extract_answer(b"42"), "completion"),
        BadInput("answer extraction", "completion a list", lambda: extract_answer(["42"]), "completion"),
        BadInput("answer extraction", "unknown extractor", lambda: get_extractor("magic"), "extractor"),
        BadInput("answer extraction", "canonicalize an int", lambda: canonicalize(5), "answer"),
        BadInput("answer equivalence", "an integer answer", lambda: group_equivalent(["1", 2]), "answers"),
        BadInput("answer equivalence", "answers None", lambda: group_equivalent(None), "answers"),
        BadInput("answer equivalence", "answers a string", lambda: group_equivalent("12"), "answers"),
        BadInput("answer equivalence", "a group that is a string", lambda: AnswerEquivalence().group_batch(["12"]), "groups[0]"),
        BadInput("answer equivalence", "timeout 0", lambda: AnswerEquivalence(timeout_seconds=0), "timeout_seconds"),
        BadInput("answer equivalence", "unknown grouper", lambda: get_grouper("magic"), "grouper"),
    ]


def _bon() -> list[BadInput]:
    from alft import bon

    kind = "best-of-n"
    rng = np.random.default_rng(0)
    ref = bon.Reference.from_arrays([0.5, 0.5], [0.0, 1.0])

    def best_of(sampler=lambda p, n, r: ["a"] * n, reward=lambda p, c: 1.0, n=2, ref_logprob=None):
        return lambda: bon.BestOfN(sampler, reward, n, ref_logprob).select("prompt", rng)

    return [
        BadInput(kind, "probs strings", lambda: bon.Reference.from_arrays(["a"], [1.0]), "probs"),
        BadInput(kind, "probs None", lambda: bon.Reference.from_arrays(None, None), "probs"),
        BadInput(kind, "probs NaN", lambda: bon.Reference.from_arrays([float("nan"), 1.0], [0, 1]), "probs"),
        BadInput(kind, "probs negative", lambda: bon.Reference.from_arrays([1.5, -0.5], [0, 1]), "probs"),
        BadInput(kind, "probs sum 2", lambda: bon.Reference.from_arrays([1.0, 1.0], [0, 1]), "probs"),
        BadInput(kind, "probs empty", lambda: bon.Reference.from_arrays([], []), "probs"),
        BadInput(kind, "probs 2-D", lambda: bon.Reference.from_arrays([[1.0]], [[1.0]]), "probs"),
        BadInput(kind, "rewards inf", lambda: bon.Reference.from_arrays([0.5, 0.5], [0, float("inf")]), "rewards"),
        BadInput(kind, "rewards length", lambda: bon.Reference.from_arrays([0.5, 0.5], [0]), "rewards"),
        BadInput(kind, "n = 0", lambda: bon.kl_exact(ref, 0), "n"),
        BadInput(kind, "n a float", lambda: bon.kl_exact(ref, 4.0), "n"),
        BadInput(kind, "n a bool", lambda: bon.win_rate(ref, True), "n"),
        BadInput(kind, "eps > 1", lambda: bon.kl_estimator([1.5], 4), "eps"),
        BadInput(kind, "eps strings", lambda: bon.kl_estimator(["a"], 4), "eps"),
        BadInput(kind, "log_eps > 0", lambda: bon.kl_estimator_log([0.1], 4), "log_eps"),
        BadInput(kind, "ref_logprobs NaN", lambda: bon.estimate_kl_from_samples([float("nan")], 4), "ref_logprobs"),
        BadInput(kind, "ref_logprobs strings", lambda: bon.estimate_kl_from_samples(["a"], 4), "ref_logprobs"),
        BadInput(kind, "ref_logprobs empty", lambda: bon.estimate_kl_from_samples([], 4), "ref_logprobs"),
        BadInput(kind, "cdf_below ≥ cdf", lambda: bon.exact_quantile_contribution([0.5], [0.5], 2), "cdf"),
        BadInput(kind, "draws 0", lambda: bon.monte_carlo_summary(ref, 2, 0, rng), "draws"),
        BadInput(kind, "sampler returns None", best_of(sampler=lambda p, n, r: None), "sampler"),
        BadInput(kind, "sampler returns too few", best_of(sampler=lambda p, n, r: ["a"]), "sampler"),
        BadInput(kind, "reward returns None", best_of(reward=lambda p, c: None), "reward"),
        BadInput(kind, "reward returns a string", best_of(reward=lambda p, c: "x"), "reward"),
        BadInput(kind, "reward returns NaN", best_of(reward=lambda p, c: float("nan")), "reward"),
        BadInput(kind, "ref_logprob positive", best_of(ref_logprob=lambda p, c: 0.5), "ref_logprob"),
        BadInput(kind, "ref_logprob a string", best_of(ref_logprob=lambda p, c: "x"), "ref_logprob"),
        BadInput(kind, "extract returns an int", lambda: bon.BestOfMajority(
            lambda p, n, r: ["a"] * n, lambda p, c: 1.0, lambda c: 5, 2).select("prompt", rng), "extract"),
    ]


def _integrations() -> list[BadInput]:
    from alft import games
    from alft.answers.groups import answer_groups, check_whole_groups, completion_text
    from alft.answers.stats import answer_stats
    from alft.games.peers import log_frequency_rewards
    from alft.integrations.trl.rewards import answer_reward

    kind = "TRL reward"
    return [
        BadInput(kind, "num_generations 1", lambda: answer_reward(1, allow_collapse=True), "num_generations"),
        BadInput(kind, "num_generations a string", lambda: answer_reward("8", allow_collapse=True), "num_generations"),
        BadInput(kind, "unknown objective", lambda: answer_reward(4, "harmony", allow_collapse=True), "objective"),
        BadInput(kind, "unknown estimator", lambda: answer_reward(4, "coherence", "magic", allow_collapse=True), "estimator"),
        BadInput(kind, "minimax table above the training bound (K = 32)", lambda: answer_reward(32, "coherence", "minimax", grouper="exact", allow_collapse=True), "aqp"),
        BadInput(kind, "unknown None policy", lambda: games.Reward(unextractable="drop", allow_collapse=True), "unextractable"),
        BadInput(kind, "NaN penalty", lambda: games.Reward(penalty=float("nan"), allow_collapse=True), "penalty"),
        BadInput(kind, "completions not whole groups", lambda: answer_reward(4, grouper="exact", allow_collapse=True)(completions=["1"] * 6), "completions"),
        BadInput(kind, "completions missing", lambda: answer_reward(4, grouper="exact", allow_collapse=True)(prompts=["p"] * 4), "completions"),
        BadInput(kind, "a group mixing prompts", lambda: answer_reward(2, grouper="exact", allow_collapse=True)(
            prompts=["p", "q"], completions=["1", "2"]), "prompts"),
        BadInput(kind, "a completion that is an int", lambda: answer_groups([1, 2], 2), "completion"),
        BadInput(kind, "wrong number of reference answers", lambda: answer_stats(answer_groups(["1", "2"], 2, grouper="exact"), ["1", "2", "3"]), "answer"),
        BadInput(kind, "verifier objective without answers", lambda: answer_reward(2, "verifier", grouper="exact", allow_collapse=True)(completions=["1", "2"]), "answer"),
        BadInput(kind, "K = 0 groups", lambda: check_whole_groups(4, 0), "num_generations"),
        BadInput(kind, "peer group of 1", lambda: log_frequency_rewards(np.zeros((1, 1), dtype=int)), "group size"),
        BadInput(kind, "completion message list without dicts", lambda: completion_text([1, 2]), "completion"),
    ]


def _training() -> list[BadInput]:
    from alft.training.settings import DataSettings, TrainSettings

    kind = "training settings"
    return [
        BadInput(kind, "unknown preset", lambda: TrainSettings(preset="huge"), "--preset"),
        BadInput(kind, "K = 1", lambda: TrainSettings(preset="tiny", num_generations=1), "--num-generations"),
        BadInput(kind, "steps 0", lambda: TrainSettings(preset="tiny", steps=0), "--steps"),
        BadInput(kind, "lr NaN", lambda: TrainSettings(preset="tiny", learning_rate=float("nan")), "--lr"),
        BadInput(kind, "lr negative", lambda: TrainSettings(preset="tiny", learning_rate=-1.0), "--lr"),
        BadInput(kind, "beta negative", lambda: TrainSettings(preset="tiny", beta=-0.1), "--beta"),
        BadInput(kind, "scale_rewards unknown", lambda: TrainSettings(preset="tiny", scale_rewards="std"), "--scale-rewards"),
        BadInput(kind, "temperature 0", lambda: TrainSettings(preset="tiny", temperature=0.0), "--temperature"),
        BadInput(kind, "eval problems negative", lambda: DataSettings(eval_problems=-1), "--eval-problems"),
        BadInput(kind, "save steps 0", lambda: TrainSettings(preset="tiny", save_steps=0), "--save-steps"),
    ]


def catalogue(include_torch: bool = True) -> list[BadInput]:
    """Every bad input; ``include_torch=False`` leaves out the TRL/training ones (they import torch)."""
    cases = _estimators() + _games() + _answers() + _bon()
    if include_torch:
        cases += _integrations() + _training()
    return cases
