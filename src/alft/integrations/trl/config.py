"""``AlftGRPOConfig``: TRL's ``GRPOConfig`` plus the answer-level reward's settings (STYLE: TRL).

An ordinary dataclass, as TRL's configs are: the reward fields carry :class:`alft.games.Reward`'s names,
defaults and help (a test checks they stay equal), and ``config.reward`` is the one validated value, built
when the config is. :meth:`AlftGRPOConfig.for_reward` carries a ``Reward`` that is already built (``alft
train`` builds it from its options) without building it again. Names follow TRL where TRL has them
(``num_generations`` is K, ``beta`` the KL weight, ``scale_rewards`` the advantage scaling).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig

from alft.games import Reward, parse_estimator_params, reward_fields
from alft.games.reward import REWARD_DEFAULTS, REWARD_HELP
from alft.integrations.trl.rewards import AnswerLevelReward

_CARRIED: ContextVar[Reward | None] = ContextVar("alft_carried_reward", default=None)


_NONE_FOR_EMPTY = ("estimator_params", "constraints")  # a dataclass default cannot be mutable: None means "none"


def _reward_field(name: str) -> Any:
    """The config field of a Reward field: its default and its help."""
    default = None if name in _NONE_FOR_EMPTY else REWARD_DEFAULTS[name]
    return field(default=default, metadata={"help": REWARD_HELP[name]})


@dataclass
class AlftGRPOConfig(GRPOConfig):
    """``GRPOConfig`` with the fields of :class:`alft.games.Reward`; see TRL's docs for the rest.

    The default reward is the anchored game (p* ∝ p_ref^2): the dataset needs a ``reference_answers`` column
    (``alft references`` writes it). A collapsing objective such as plain ``coherence`` needs
    ``allow_collapse=True``.
    """

    objective: str | None = _reward_field("objective")
    estimator: str = _reward_field("estimator")
    estimator_params: dict | str | None = _reward_field("estimator_params")
    peer: str | None = _reward_field("peer")
    unextractable: str = _reward_field("unextractable")
    penalty: float = _reward_field("penalty")
    extractor: str = _reward_field("extractor")
    grouper: str = _reward_field("grouper")
    constraints: list | str | None = _reward_field("constraints")
    dual_step: float = _reward_field("dual_step")
    reference_estimator: str = _reward_field("reference_estimator")
    allow_collapse: bool = _reward_field("allow_collapse")
    reward: Reward = field(init=False, repr=False, metadata={"help": "The validated reward (built from the fields above)."})

    def __post_init__(self) -> None:
        carried = _CARRIED.get()
        self.reward = carried if carried is not None else Reward(**self._reward_values())  # a bad field fails here
        super().__post_init__()

    def _reward_values(self) -> dict[str, Any]:
        """The reward fields as Reward takes them (parameters and constraints also given as text)."""
        values = {f.name: getattr(self, f.name) for f in reward_fields()}
        values["estimator_params"] = self.estimator_params = parse_estimator_params(self.estimator_params)
        constraints = self.constraints or ()
        values["constraints"] = tuple(constraints.split(";") if isinstance(constraints, str) else constraints)
        return values

    @classmethod
    def for_reward(cls, reward: Reward, **training_arguments: Any) -> "AlftGRPOConfig":
        """A config that carries ``reward`` unchanged (not rebuilt, not validated again), its reward fields
        filled from it; ``training_arguments`` are GRPOConfig's."""
        with _carrying(reward):
            return cls(**training_arguments, **reward.as_fields())

    def to_dict(self) -> dict[str, Any]:
        """TrainingArguments' dict with the reward's fields JSON-safe (an objective as its spec, callables by
        name): trackers such as TensorBoard write the arguments as JSON."""
        return {**super().to_dict(), **self.reward.to_json()}


@contextmanager
def _carrying(reward: Reward) -> Iterator[None]:
    token = _CARRIED.set(reward)
    try:
        yield
    finally:
        _CARRIED.reset(token)


def reward_from_config(args: AlftGRPOConfig) -> AnswerLevelReward:
    """The answer-level reward function an :class:`AlftGRPOConfig` describes."""
    return AnswerLevelReward(args.num_generations, args.reward)
