"""The plugin's settings, read once from verl's Hydra config (``algorithm.*``) and carried unchanged (docs/guides/verl.md).

verl hands every advantage estimator its ``algorithm`` config. alft reads from it:

* ``algorithm.adv_estimator``: ``alft`` (objective from ``algorithm.alft.objective``) or ``alft_<name>`` for a
  named objective (:data:`NAMED_OBJECTIVES`: the game objectives and the peers TTRL / EMPO, docs/concepts/peers.md);
* ``algorithm.norm_adv_by_std_in_grpo``: divide by the group's reward std, as verl's GRPO does;
* ``algorithm.alft.*``: the fields of :class:`alft.games.Reward` (:data:`REWARD_KEYS`: objective — default the
  anchored game —, estimator, estimator_params, unextractable, penalty, grouper, constraints, dual_step,
  reference_estimator, allow_collapse) and verl's own ``baseline`` and ``epsilon``.

K is not a setting: each uid group is scored with the table for its own size (filtered samples leave
unequal groups). Every bad value raises :class:`alft.errors.AlftInputError` naming the config key.
No verl import here: the main environment can read and test settings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from alft import games
from alft.errors import AlftInputError, is_finite_number, require
from alft.games import PEERS as PEER_METHODS

GENERIC_ESTIMATOR = "alft"
NAMED_OBJECTIVES: Mapping[str, str] = MappingProxyType(
    {
        "alft_coherence": "coherence",
        "alft_diversity": "diversity",
        "alft_gini": "gini",
        "alft_pairwise": "pairwise",
        "alft_ttrl": "ttrl",
        "alft_empo": "empo",
    }
)
ADV_ESTIMATORS = (GENERIC_ESTIMATOR, *NAMED_OBJECTIVES)
"""The names the plugin registers with verl (``algorithm.adv_estimator=...``)."""
BASELINES = ("mean", "loo")
"""``mean``: the group mean, as verl's GRPO; ``loo``: alft's exactly unbiased leave-one-out baseline (docs/concepts/estimators.md#grpo-caveats)."""
CONFIG_PREFIX = "algorithm.alft."


REWARD_KEYS = tuple(f.name for f in games.reward_fields() if f.name not in ("peer", "extractor"))
"""``algorithm.alft.*`` keys that are fields of :class:`alft.games.Reward`: a peer is named by ``objective``, and the
extractor is compute_score's."""
VERL_KEYS = ("baseline", "epsilon")


@dataclass(frozen=True)
class VerlRewardSettings:
    """What the plugin's advantage estimator computes: one :class:`alft.games.Reward` plus verl's own fields.

    Attributes:
        adv_estimator: the registered name verl called (``alft`` or ``alft_<name>``).
        reward: the answer-level reward (``algorithm.alft.objective`` — a game objective or a peer, ``ttrl`` /
            ``empo`` —, ``estimator``, ``estimator_params``, ``unextractable``, ``penalty``, ``grouper``,
            ``constraints``, ``dual_step``, ``reference_estimator``, ``allow_collapse``; defaults are
            ``Reward``'s: the anchored game p* ∝ p_ref^2, whose reference answers come from the dataset's
            ``extra_info.reference_answers``, written by ``alft references --verl``).
        baseline: one of :data:`BASELINES`.
        norm_by_std: divide by the group's reward std plus ``epsilon`` (verl's ``norm_adv_by_std_in_grpo``).
        epsilon: verl's GRPO epsilon.
    """

    adv_estimator: str = GENERIC_ESTIMATOR
    reward: games.Reward = field(default_factory=games.Reward)
    baseline: str = "mean"
    norm_by_std: bool = True
    epsilon: float = 1e-6

    def __post_init__(self) -> None:
        _check_choice("algorithm.adv_estimator", self.adv_estimator, ADV_ESTIMATORS)
        _check_choice(CONFIG_PREFIX + "baseline", self.baseline, BASELINES)
        _check_number(CONFIG_PREFIX + "epsilon", self.epsilon, lambda x: x > 0, "a finite number > 0")
        if self.is_peer and self.baseline == "loo":
            raise AlftInputError(
                f"{CONFIG_PREFIX}baseline: got 'loo' with the peer {self.reward.peer.name!r}, expected 'mean' (the "
                "leave-one-out baseline is defined for game objectives only)"
            )

    @property
    def is_peer(self) -> bool:
        return self.reward.peer is not None

    @property
    def objective(self) -> str:
        """The objective's spec, or the peer's name."""
        return self.reward.peer.name if self.is_peer else self.reward.objective.name

    @property
    def grouper(self) -> str:
        return self.reward.grouper

    @property
    def needs_verifier(self) -> bool:
        """True when the objective has a verifier term: it needs each row's gold answer (``ground_truth``)."""
        return self.reward.uses_verifier

    @property
    def needs_reference_answers(self) -> bool:
        """True for an anchored objective: each prompt's M reference answers must reach the estimator."""
        return self.reward.uses_reference


def _reward(raw: dict[str, Any]) -> games.Reward:
    """The Reward of ``algorithm.alft.*``; its errors name the config key."""
    values = {k: raw[k] for k in REWARD_KEYS if k in raw}
    objective = values.pop("objective", None)
    peer = objective if objective in PEER_METHODS else None
    if isinstance(values.get("constraints"), str):
        values["constraints"] = tuple(values["constraints"].split(";"))
    try:
        return games.Reward(None if peer else objective, peer=peer, **values)
    except AlftInputError as error:
        raise AlftInputError(f"{CONFIG_PREFIX}{error}") from None


def _check_choice(key: str, value: object, accepted: tuple[str, ...]) -> None:
    if value not in accepted:
        raise AlftInputError(f"{key}: got {value!r}, expected one of {', '.join(accepted)}")


def _check_number(key: str, value: object, ok, expected: str) -> None:
    require(is_finite_number(value) and ok(value), key, value, expected)


def _plain(value: Any) -> Any:
    """A Hydra DictConfig/ListConfig (or verl's dataclass config) as plain dicts, lists and scalars."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ListConfig":
        return [_plain(v) for v in value]
    return value


def _get(config: Any, key: str, default: Any) -> Any:
    """``config.key`` for a DictConfig, a dict or verl's ``AlgoConfig`` (all three reach an estimator)."""
    if config is None:
        return default
    if hasattr(config, "get"):
        value = config.get(key, default)
        return default if value is None else value
    return getattr(config, key, default)


def settings_from_config(algorithm: Any, adv_estimator: str | None = None) -> VerlRewardSettings:
    """The settings verl's ``algorithm`` config describes (cached: called once per step).

    Args:
        algorithm: verl's ``algorithm`` config (DictConfig, dict or ``AlgoConfig``); ``algorithm.alft`` may be
            absent (all defaults).
        adv_estimator: the registered name being run; default ``algorithm.adv_estimator``.

    Returns:
        A :class:`VerlRewardSettings`.

    Raises:
        AlftInputError: an unknown key under ``algorithm.alft``, or any bad value, naming its config key.
    """
    name = adv_estimator if adv_estimator is not None else _get(algorithm, "adv_estimator", None)
    raw = _plain(_get(algorithm, "alft", {}))
    if not isinstance(raw, dict):
        raise AlftInputError(f"algorithm.alft: got {raw!r}, expected a mapping of alft settings")
    norm = _get(algorithm, "norm_adv_by_std_in_grpo", True)
    key = json.dumps({"name": name, "alft": raw, "norm": norm}, sort_keys=True, default=repr)
    return _cached_settings(key)


@lru_cache(maxsize=64)
def _cached_settings(key: str) -> VerlRewardSettings:
    data = json.loads(key)
    raw, name = dict(data["alft"]), data["name"]
    known = set(REWARD_KEYS) | set(VERL_KEYS)
    for unknown in sorted(set(raw) - known):
        raise AlftInputError(f"{CONFIG_PREFIX}{unknown}: unknown setting, expected one of {', '.join(sorted(known))}")
    if name in NAMED_OBJECTIVES:
        objective = raw.pop("objective", NAMED_OBJECTIVES[name])
        if objective != NAMED_OBJECTIVES[name]:
            raise AlftInputError(
                f"{CONFIG_PREFIX}objective: got {objective!r} with algorithm.adv_estimator={name}, expected "
                f"{NAMED_OBJECTIVES[name]!r} or no value (or algorithm.adv_estimator=alft for any objective)"
            )
        raw["objective"] = objective
    if not isinstance(raw.get("estimator_params", {}), dict):
        raise AlftInputError(f"{CONFIG_PREFIX}estimator_params: got {raw['estimator_params']!r}, expected a mapping")
    verl_only = {k: raw[k] for k in VERL_KEYS if k in raw}
    return VerlRewardSettings(adv_estimator=name, reward=_reward(raw), norm_by_std=bool(data["norm"]), **verl_only)
