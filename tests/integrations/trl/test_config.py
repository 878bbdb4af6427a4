"""AlftGRPOConfig: an ordinary dataclass whose reward fields are Reward's, carrying one Reward value."""

from __future__ import annotations

import dataclasses

import pytest

from alft.errors import AlftInputError
from alft.games import Reward, reward_fields
from alft.games.objectives import sharpened
from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer, answer_reward

MUTABLE_AS_NONE = {"estimator_params", "constraints"}  # a dataclass default cannot be mutable: None means "none"


def _config(tmp_path, **fields):
    return AlftGRPOConfig(output_dir=str(tmp_path), use_cpu=True, report_to="none", **fields)


def test_the_config_declares_exactly_the_reward_fields_with_their_defaults_and_help():
    config_fields = {f.name: f for f in dataclasses.fields(AlftGRPOConfig)}
    for reward_field in reward_fields():
        mine = config_fields[reward_field.name]
        expected = None if reward_field.name in MUTABLE_AS_NONE else reward_field.default
        assert mine.default == expected, reward_field.name
        assert mine.metadata["help"] == reward_field.metadata["help"], reward_field.name
    assert not config_fields["reward"].init  # the value is built, not passed: HfArgumentParser skips it


def test_the_default_config_is_the_anchored_game(tmp_path):
    assert _config(tmp_path).reward == Reward() and Reward().objective == sharpened(2.0)


def test_a_collapsing_objective_needs_the_switch(tmp_path):
    with pytest.raises(AlftInputError, match="allow_collapse"):
        _config(tmp_path, objective="coherence")
    assert _config(tmp_path, objective="coherence", allow_collapse=True).reward.objective.name == "coherence"


def test_for_reward_carries_the_value_without_rebuilding_it(tmp_path, monkeypatch):
    reward = Reward(estimator="digamma")
    built = []
    monkeypatch.setattr(Reward, "__post_init__", lambda self: built.append(self))
    config = AlftGRPOConfig.for_reward(reward, output_dir=str(tmp_path), use_cpu=True, report_to="none")
    assert config.reward is reward and built == []
    assert config.estimator == "digamma" and config.to_dict()["objective"] == reward.objective.name


def test_a_config_reward_that_differs_from_the_given_function_is_refused(tmp_path):
    args = _config(tmp_path, objective="diversity", num_generations=4, per_device_train_batch_size=4)
    function = answer_reward(4, "coherence", allow_collapse=True)
    with pytest.raises(AlftInputError, match="differs from the reward function"):
        AlftGRPOTrainer(model="unused", reward_funcs=[function], args=args)
