"""``AlftGRPOConfig``: TRL's ``GRPOConfig`` plus the answer-level reward's settings (STYLE: TRL).

The reward fields are generated from :class:`alft.games.Reward`, with the same names, defaults and help,
so a setting of the reward exists once. ``config.reward`` is the validated value, built when the config is.
Names follow TRL where TRL has them (``num_generations`` is K, ``beta`` the KL weight, ``scale_rewards`` the
advantage scaling — SPEC §3.8 notes that std scaling changes the effective β per group).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from trl import GRPOConfig

from alft.games import Reward, parse_estimator_params, reward_fields
from alft.integrations.trl.rewards import AnswerLevelReward

# HfArgumentParser needs plain types; values (an Objective, a callable extractor) are accepted all the same.
_CONFIG_TYPES = {"estimator_params": dict | str | None, "constraints": list | str | None,
                 "penalty": float, "dual_step": float}


def _config_field(reward_field: dataclasses.Field) -> tuple[str, Any, dataclasses.Field]:
    default = reward_field.default
    if reward_field.name in ("estimator_params", "constraints"):
        default = None  # a mutable default is refused by dataclasses; None means "none"
    kind = _CONFIG_TYPES.get(reward_field.name, str | None)
    return reward_field.name, kind, dataclasses.field(default=default, metadata=dict(reward_field.metadata))


def _post_init(self: Any) -> None:
    values = {f.name: getattr(self, f.name) for f in reward_fields()}
    values["estimator_params"] = self.estimator_params = parse_estimator_params(values["estimator_params"])
    constraints = values["constraints"] or ()
    values["constraints"] = tuple(constraints.split(";") if isinstance(constraints, str) else constraints)
    self.reward = Reward(**values)  # validated here, once: a bad setting fails when the config is built
    GRPOConfig.__post_init__(self)


def _to_dict(self: Any) -> dict[str, Any]:
    """TrainingArguments' dict with the reward's fields JSON-safe (an objective as its spec, callables by
    name): trackers such as TensorBoard write the arguments as JSON."""
    return {**GRPOConfig.to_dict(self), **self.reward.to_json()}


AlftGRPOConfig = dataclasses.make_dataclass(
    "AlftGRPOConfig",
    [_config_field(f) for f in reward_fields()],
    bases=(GRPOConfig,),
    namespace={"__post_init__": _post_init, "to_dict": _to_dict, "__module__": __name__,
               "__doc__": "``GRPOConfig`` with the fields of :class:`alft.games.Reward`; see TRL's docs for the rest."},
)


def reward_from_config(args: Any) -> AnswerLevelReward:
    """The answer-level reward function an :class:`AlftGRPOConfig` describes."""
    return AnswerLevelReward(args.num_generations, args.reward)
