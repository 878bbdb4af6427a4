"""The answer-level reward, declared once: one immutable value from the CLI to the trainer (STYLE).

A :class:`Reward` holds everything that decides the reward a completion gets from its group: the rule (a
game :class:`~alft.games.Objective` or a :class:`~alft.games.peers.Peer`), the estimator and its
parameters, what unanswered completions get, the answer extractor and grouper, and the constraints. It is
validated once, where the user builds it; the CLI, ``TrainSettings``, ``AlftGRPOConfig`` and
``answer_reward`` carry it unchanged, and group rewards are a pure function of
(answers, K, reward, verifier scores) (:func:`alft.games.batch_group_rewards`).

Tables are resolved once per group size and kept with the value (docs/concepts/estimators.md#grpo-caveats: groups of K, K − 1 for the
unbiased baseline, fewer when unanswered completions are excluded).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alft.answers import EXTRACTORS, GROUPERS
from alft.errors import AlftInputError, is_finite_number, require
from alft.estimators import (ESTIMATOR_SPEC, ESTIMATORS, Estimator, RewardForm, check_trainable, get_estimator,
                             log_estimators, parse_estimator, parse_params, parse_target)
from alft.estimators.counts import check_group_size
from alft.games.constraints import Constraint, parse_constraint
from alft.games.objectives import Objective, parse_objective, sharpened
from alft.games.peers import PEERS, Peer

UNEXTRACTABLE_POLICIES = ("lowest", "own-class", "exclude", "penalty")
DEFAULT_SHARPENING = 2.0  # the default game: the anchored one, p* ∝ p_ref^2 (s = 2 fitted the built-in task best)
UNANSWERED_MARGIN = 1.0  # "lowest": an unanswered completion scores this much below its group's lowest answered one


def _help(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True)
class Reward:
    """What a completion is rewarded for, given its group (docs/concepts/game.md#the-training-step).

    Strings are accepted for every field and turned into values here, once: ``Reward(objective="coherence+
    0.5*verifier", estimator="aqp", estimator_params={"kappa": 4})``.

    Attributes:
        objective: the game objective (an :class:`Objective` or its spec string); None means the anchored
            game ``sharpened(2)`` (p* ∝ p_ref², needs each prompt's reference answers) unless ``peer`` is set.
        estimator: the table estimating the objective's non-linear part from the group's counts.
        estimator_params: the table's solver parameters (``kappa`` for ``aqp``, ``c`` for ``aqp-floor``).
        peer: a peer method instead of an objective (``ttrl``, ``empo``; docs/concepts/peers.md).
        unextractable: what an unanswered completion gets: ``own-class``, ``exclude`` or ``penalty``
            (:mod:`alft.games.group`).
        penalty: the whole reward of an unanswered completion under ``penalty``.
        extractor: answer extractor name (``alft.answers.EXTRACTORS``) or a ``str -> str | None`` callable.
        grouper: answer equivalence name (``alft.answers.GROUPERS``) or a callable.
        constraints: :class:`Constraint` values or their spec strings (``NAME:A|B<=BOUND``; docs/concepts/game.md#constraints).
        dual_step: the constraints' dual ascent step η.
        reference_estimator: the table for log p_ref from the M reference answers (anchored objectives).
        allow_collapse: accept an objective whose optimum is one answer for every prompt, right or wrong
            (plain coherence, γ ≥ β); refused otherwise, at every entry point.
    """

    objective: Objective | str | None = field(default=None, metadata=_help(
        "Game objective: coherence, diversity, gini, pairwise, verifier, anchor, kl, l2, tsallis:ALPHA, kl+l2:MU, or a "
        "weighted sum such as '0.5*coherence+anchor' (default: the anchored game p* ∝ p_ref^2, "
        "'0.5*coherence+anchor', unless a peer is given; it needs a 'reference_answers' column)."))
    estimator: str = field(default="aqp", metadata=_help(
        "Reward table estimating the objective from the group's counts, with its parameters: "
        f"{ESTIMATOR_SPEC}; NAME one of " + ", ".join(ESTIMATORS) + "."))
    estimator_params: Mapping[str, float] | tuple = field(default=(), metadata=_help(
        "The estimator's parameters as a mapping, e.g. {'kappa': 4}: the same as estimator='aqp:kappa=4'."))
    peer: Peer | str | None = field(default=None, metadata=_help(
        "A peer method instead of a game objective: ttrl (majority vote) or empo (gated log-frequency)."))
    unextractable: str = field(default="lowest", metadata=_help(
        "Completions without an answer: lowest (left out of the counts, scored 1 below the group's lowest "
        "answered completion, so not answering never wins), own-class (one more answer), exclude (left out, "
        "no advantage) or penalty (the fixed penalty reward)."))
    penalty: float = field(default=-1.0, metadata=_help("Reward of an unanswered completion under 'penalty'."))
    extractor: str | Callable[[str], str | None] = field(default="auto", metadata=_help(
        "Answer extractor: " + ", ".join(EXTRACTORS) + ". auto reads \\boxed{}, '#### X', 'final answer', "
        "'the answer is', an 'Answer:' line, a final '= N' or a bare number; text with none has no answer. "
        "auto-last-number adds the opt-in fallback: otherwise the last number anywhere in the text (it turns "
        "any stray digit into an answer)."))
    grouper: str | Callable = field(default="math", metadata=_help(
        "Answer equivalence: math (math-verify, with fast paths) or exact (normalised strings)."))
    constraints: tuple[Constraint | str, ...] = field(default=(), metadata=_help(
        "Constraints on the answer distribution, 'NAME:ANSWER|ANSWER<=BOUND' (also >=, ==)."))
    dual_step: float = field(default=0.1, metadata=_help("Dual ascent step of the constraint multipliers."))
    reference_estimator: str = field(default="digamma", metadata=_help(
        "Table estimating log p_ref from the count among the M reference answers (anchored objectives): "
        "digamma (finite at a count of 0, bias exponentially small), aqp, plugin."))
    allow_collapse: bool = field(default=False, metadata=_help(
        "Run an objective whose optimum is one answer for every prompt, right or wrong (plain coherence: "
        "coherence weight ≥ anchor weight); refused otherwise."))

    def __post_init__(self) -> None:
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 — frozen dataclass
        set_("objective", _objective(self.objective, self.peer))
        set_("peer", _peer(self.peer))
        estimator, params = _estimator_and_params(self.estimator, self.estimator_params)
        set_("estimator", estimator)
        set_("estimator_params", params)
        require(self.unextractable in UNEXTRACTABLE_POLICIES, "unextractable", self.unextractable,
                f"one of {', '.join(UNEXTRACTABLE_POLICIES)}")
        require(is_finite_number(self.penalty), "penalty", self.penalty, "a finite number")
        _check_named(self.extractor, EXTRACTORS, "extractor")
        _check_named(self.grouper, GROUPERS, "grouper")
        set_("constraints", tuple(parse_constraint(c) for c in self.constraints))
        require(is_finite_number(self.dual_step) and self.dual_step > 0, "dual_step", self.dual_step,
                "a positive finite number")
        check_reference_estimator(self.reference_estimator)
        require(not (self.constraints and self.peer), "constraints", len(self.constraints),
                "no constraints with a peer method (constraints are terms of a game objective)")
        require(isinstance(self.allow_collapse, bool), "allow_collapse", self.allow_collapse, "True or False")
        self._refuse_collapse()

    def _refuse_collapse(self) -> None:
        """The collapse guard: a game whose optimum is one answer, right or wrong, runs only when asked for;
        peers run as they are (they are the comparison)."""
        if self.peer is None and self.objective.collapses and not self.allow_collapse:
            raise AlftInputError(
                f"objective: {self.objective.name!r} collapses onto one answer for every prompt, right or wrong "
                "(its coherence weight is not below its anchor weight); use the anchored game (the default, "
                "sharpened(s): p* ∝ p_ref^s; CLI --sharpening S), an objective such as '0.5*coherence+anchor', "
                "or set allow_collapse=True (CLI --allow-collapse, verl +algorithm.alft.allow_collapse=true) to "
                "run it anyway")

    # --- what the reward is ----------------------------------------------------------------------
    @property
    def rule(self) -> Objective | Peer:
        """The group rule in effect: the peer if one is set, else the objective."""
        return self.peer if self.peer is not None else self.objective

    @property
    def name(self) -> str:
        """A short label: ``ttrl``, ``coherence/aqp``, ``0.5*coherence+verifier/digamma``."""
        if self.peer is not None:
            return self.peer.name
        params = ",".join(f"{k}={v:g}" for k, v in self.estimator_params)
        return f"{self.objective.name}/{self.estimator}" + (f"({params})" if params else "")

    @property
    def target(self) -> RewardForm | None:
        """The group-estimated per-answer reward (None for peers and purely linear objectives)."""
        return None if self.peer is not None else self.objective.target

    @property
    def uses_verifier(self) -> bool:
        """True when the reward needs each prompt's gold answer (a verifier term)."""
        return self.peer is None and self.objective.uses_verifier

    @property
    def uses_reference(self) -> bool:
        """True when the reward needs the reference policy's answers (an anchor, docs/concepts/game.md#the-anchor)."""
        return self.peer is None and self.objective.uses_reference

    @property
    def least_counted(self) -> int:
        """Fewest counted samples with an estimate: 2, or d + 1 for a polynomial part of degree d (docs/concepts/estimators.md#u-statistics)."""
        target = self.target
        return 2 if target is None else max(2, target.degree + 1)

    # --- tables, resolved once per group size ----------------------------------------------------
    def estimator_for(self, size: int) -> Estimator:
        """The estimator for groups of ``size`` counted samples (built once per process, then shared)."""
        return _estimator(self.estimator, size, self.target, self.estimator_params)

    def table(self, size: int) -> np.ndarray:
        """The estimator's table for groups of ``size`` counted samples."""
        return self.estimator_for(size).table

    def reference_log_p(self, counts: np.ndarray, draws: int) -> np.ndarray:
        """log p̂_ref(z) from C_ref(z), the count of z among ``draws`` = M reference answers (docs/concepts/game.md#the-anchor),
        :func:`reference_log_p` with this reward's reference table (built once per M)."""
        return reference_log_p(counts, _reference_log_estimator(self.reference_estimator, draws))

    def refuse_too_small(self, K: int) -> None:
        """Refuse a whole group of 2 ≤ K ≤ d for a polynomial part of degree d: no unbiased table exists
        (docs/concepts/estimators.md#u-statistics); the estimators' error names the target."""
        if 2 <= K < self.least_counted:
            self.table(K)

    def prepare(self, K: int, field: str = "num_generations") -> Reward:
        """Check that this reward can train with groups of K, resolving the tables it needs first.

        Raises:
            AlftInputError: K out of range, a polynomial objective of degree ≥ K, a log table whose entries
                exceed the training bound (e.g. ``minimax`` at large K, docs/concepts/estimators.md#minimax).
            AlftNumericalError: a table budget out of reach (the message names a setting that works).
        """
        _prepared(self, check_group_size(K, field))  # once per (reward, K); later calls (every step) are lookups
        return self

    # --- conversions -----------------------------------------------------------------------------
    def as_fields(self) -> dict[str, Any]:
        """The init fields as values (``Reward(**reward.as_fields()) == reward``)."""
        return {f.name: getattr(self, f.name) for f in reward_fields()}

    def replace(self, **changes: Any) -> "Reward":
        """A copy with some fields changed (validated again)."""
        values = self.as_fields()
        if "peer" in changes and changes["peer"] is not None and "objective" not in changes:
            values["objective"] = None
        return Reward(**{**values, **changes})

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe description (objective as its spec, callables by name)."""
        return {
            "objective": None if self.peer is not None else self.objective.name,
            "peer": None if self.peer is None else self.peer.name,
            "estimator": self.estimator,
            "estimator_params": dict(self.estimator_params),
            "unextractable": self.unextractable,
            "penalty": self.penalty,
            "extractor": _callable_name(self.extractor),
            "grouper": _callable_name(self.grouper),
            "constraints": [c.spec for c in self.constraints],
            "dual_step": self.dual_step,
            "reference_estimator": self.reference_estimator,
            "allow_collapse": self.allow_collapse,
        }


def check_reference_estimator(estimator: str) -> str:
    """``estimator`` if it has a table for log p̂_ref (polynomial-only estimators such as ``ustat`` have none)."""
    logs = log_estimators()
    require(estimator in logs, "reference_estimator", estimator, f"an estimator of log p: one of {', '.join(logs)}")
    return estimator


def reference_log_estimator(estimator: str, draws: int) -> Estimator:
    """The log p estimator at size M + 1 that turns a count among M = ``draws`` reference answers into log p̂_ref
    (the anchor's reference term, docs/concepts/game.md#the-anchor), for training and for the exact simulator alike."""
    draws = check_group_size(draws + 1, "reference draws M + 1") - 1
    return get_estimator(check_reference_estimator(estimator), draws + 1, "log")


def reference_table(estimator: str, draws: int) -> np.ndarray:
    """The table of :func:`reference_log_estimator`."""
    return reference_log_estimator(estimator, draws).table


def reference_log_p(counts: np.ndarray, table: Estimator | np.ndarray) -> np.ndarray:
    """log p̂_ref(z) = g[C_ref(z)] (:meth:`Estimator.rewards`): an answer never drawn gets the entry at 0, finite
    for every log table. ``table`` is the estimator of :func:`reference_log_estimator`, or its table."""
    estimator = table
    if not isinstance(table, Estimator):
        estimator = Estimator("reference", len(table), parse_target("log"), {}, table)
    try:
        return estimator.rewards(counts)
    except AlftInputError:
        raise AlftInputError(f"reference_counts: got {np.asarray(counts).tolist()[:8]}, expected integer counts in "
                             f"0..{estimator.K - 1}") from None


def reward_fields() -> tuple[dataclasses.Field, ...]:
    """The user-settable fields of :class:`Reward`, with their defaults and help (for configs and the CLI)."""
    return tuple(f for f in dataclasses.fields(Reward) if f.init)


def parse_estimator_params(text: str | Mapping | None, field: str = "estimator_params") -> dict[str, float]:
    """Estimator parameters from a mapping; text (a JSON object or ``NAME=VALUE[,NAME=VALUE]``) is still read,
    with a FutureWarning: the estimator spec (``estimator="aqp:kappa=4"``) replaced it."""
    if text is None or text == "":
        return {}
    if isinstance(text, (Mapping, tuple, list)):
        return dict(text)
    require(isinstance(text, str), field, text, "a mapping of parameter names to numbers")
    warnings.warn(f"{field} as text ({text!r}) is deprecated: write the parameters into the estimator, "
                  f"e.g. estimator='aqp:kappa=4'", FutureWarning, stacklevel=3)
    if text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise AlftInputError(f"{field}: got {text!r}, expected a JSON object ({error})") from None
        require(isinstance(value, dict), field, text, "a JSON object")
        return value
    return parse_params([part for part in text.split(",") if part.strip()], field)


def _objective(objective: Objective | str | None, peer: object) -> Objective | None:
    if isinstance(objective, str) and objective.strip() in PEERS:
        raise AlftInputError(f"objective: {objective!r} is a peer method, not an objective; give it as peer={objective!r}"
                             f" (CLI: --peer {objective})")
    if peer is not None:
        require(objective is None, "peer", peer, f"no objective beside it (got objective {objective!r})")
        return None
    if objective is None:
        return sharpened(DEFAULT_SHARPENING)
    if isinstance(objective, Objective):
        return objective
    return parse_objective(objective)


def _peer(peer: Peer | str | None) -> Peer | None:
    if peer is None or isinstance(peer, Peer):
        return peer
    require(isinstance(peer, str), "peer", peer, f"one of {', '.join(PEERS)}")
    return Peer(peer)


def _estimator_and_params(estimator: str, params: Mapping | tuple) -> tuple[str, tuple[tuple[str, float], ...]]:
    """The estimator's name and its parameters, from a spec (``aqp:kappa=4``) and/or a mapping."""
    name, own = parse_estimator(estimator, "estimator")
    items = dict(params) if isinstance(params, (Mapping, tuple, list)) else None
    require(items is not None, "estimator_params", params, "a mapping of parameter names to numbers")
    accepted = ESTIMATORS[name].defaults
    for key, value in items.items():
        require(key in accepted, "estimator_params", key, f"a parameter of {name!r} ({', '.join(accepted) or 'none'})")
        require(is_finite_number(value), f"estimator_params[{key!r}]", value, "a finite number")
        require(own.get(key, value) == value, f"estimator_params[{key!r}]", value,
                f"the value estimator={estimator!r} sets ({own.get(key)!r}), or no second value")
    return name, tuple(sorted((key, float(value)) for key, value in {**items, **own}.items()))


def _check_named(value: object, names: Mapping | tuple, field: str) -> None:
    if callable(value):
        return
    require(isinstance(value, str) and value in names, field, value, f"one of {', '.join(names)} or a callable")


def _callable_name(value: object) -> str:
    return value if isinstance(value, str) else getattr(value, "__name__", type(value).__name__)


REWARD_HELP = {f.name: f.metadata["help"] for f in reward_fields()}
REWARD_DEFAULTS = {f.name: f.default for f in reward_fields() if f.default is not dataclasses.MISSING}


@functools.lru_cache(maxsize=256)
def _estimator(name: str, size: int, target: RewardForm, params: tuple[tuple[str, float], ...]) -> Estimator:
    return get_estimator(name, size, target=target, **dict(params))


@functools.lru_cache(maxsize=64)
def _reference_log_estimator(name: str, draws: int) -> Estimator:
    return reference_log_estimator(name, draws)


@functools.lru_cache(maxsize=256)
def _prepared(reward: Reward, K: int) -> None:
    """Resolve and check the tables ``reward`` trains with at group size K (raises; a success is kept)."""
    if reward.target is None:
        return
    if reward.target.log_weight != 0.0:
        # The unit log table is checked, not the weighted one: a large weight is the user's choice of
        # scale, an oscillating table is noise amplification.
        check_trainable(get_estimator(reward.estimator, K, "log", **dict(reward.estimator_params)))
    reward.refuse_too_small(K)
    for size in sorted({K, K - 1} - set(range(reward.least_counted))):
        reward.table(size)
