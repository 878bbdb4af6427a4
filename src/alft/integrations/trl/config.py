"""``AlftGRPOConfig``: TRL's ``GRPOConfig`` plus the answer-level reward's settings (STYLE: TRL).

Names follow TRL where TRL has them (``num_generations`` is K, ``beta`` the KL weight, ``scale_rewards`` the
advantage scaling — SPEC §3.8 notes that std scaling changes the effective β per group).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from trl import GRPOConfig

from alft.errors import AlftInputError
from alft.integrations.trl.rewards import AnswerLevelReward, answer_reward


@dataclass
class AlftGRPOConfig(GRPOConfig):
    """``GRPOConfig`` with the answer-level reward's fields; see TRL's docs for every other field."""

    objective: str = field(
        default="coherence",
        metadata={
            "help": "Answer-level objective: a game objective of alft.games (coherence, diversity, "
            "pairwise-coherence, …) or a peer method (ttrl: majority vote; empo: log-frequency)."
        },
    )
    estimator: str = field(
        default="aqp",
        metadata={"help": "Reward table estimating ∂F/∂p from the group's counts: aqp, digamma, plugin, ustat, …"},
    )
    estimator_params: dict | str | None = field(
        default=None,
        metadata={"help": "Estimator parameters as a dict or JSON string, e.g. '{\"kappa\": 8}' for aqp."},
    )
    unextractable: str = field(
        default="own-class",
        metadata={"help": "Completions without an answer: own-class, exclude, or penalty."},
    )
    unextractable_penalty: float = field(
        default=-1.0, metadata={"help": "Reward of an unextractable completion when unextractable='penalty'."}
    )
    answer_extractor: str = field(
        default="auto", metadata={"help": "Answer extractor: auto, boxed, last-number, arithmetic."}
    )
    answer_grouper: str = field(
        default="math",
        metadata={"help": "Answer equivalence: math (math-verify, with fast paths) or exact (normalised strings)."},
    )

    def __post_init__(self) -> None:
        if isinstance(self.estimator_params, str):
            try:
                self.estimator_params = json.loads(self.estimator_params)
            except json.JSONDecodeError as error:
                raise AlftInputError(
                    f"estimator_params: got {self.estimator_params!r}, expected a JSON object ({error})"
                ) from None
        if self.estimator_params is not None and not isinstance(self.estimator_params, dict):
            raise AlftInputError(f"estimator_params: got {self.estimator_params!r}, expected a dict")
        super().__post_init__()


def reward_from_config(args: AlftGRPOConfig) -> AnswerLevelReward:
    """The answer-level reward function an :class:`AlftGRPOConfig` describes."""
    params: dict[str, Any] = dict(args.estimator_params or {})
    return answer_reward(
        args.num_generations,
        args.objective,
        args.estimator,
        estimator_params=params,
        unextractable=args.unextractable,
        penalty=args.unextractable_penalty,
        extractor=args.answer_extractor,
        grouper=args.answer_grouper,
    )
