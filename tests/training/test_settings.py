"""Run settings from presets, their validation, labels and the run folder's config check."""

import pytest

from alft.errors import AlftInputError
from alft.games import Reward
from alft.training.run_folder import RunFolder, default_run_name
from alft.training.settings import PRESETS, TrainSettings


def test_unset_sizes_come_from_the_preset_and_explicit_ones_win():
    settings = TrainSettings(preset="tiny", steps=7)
    assert settings.steps == 7 and settings.num_generations == PRESETS["tiny"].num_generations
    assert settings.reward.extractor == "arithmetic"  # built-in task
    assert TrainSettings(preset="tiny", dataset="x.jsonl").reward.extractor == "auto"


@pytest.mark.parametrize(
    "changes, field",
    [({"num_generations": 1}, "--num-generations"), ({"steps": 0}, "--steps"), ({"learning_rate": float("nan")}, "--lr"),
     ({"scale_rewards": "std"}, "--scale-rewards"), ({"preset": "huge"}, "--preset"), ({"temperature": 0.0}, "--temperature")],
)
def test_bad_settings_name_the_option(changes, field):
    with pytest.raises(AlftInputError, match=field):
        TrainSettings(**{"preset": "tiny", **changes})


def test_method_labels_and_safe_folder_names():
    assert TrainSettings(preset="tiny", reward=Reward("coherence"), allow_collapse=True).label == "aqp"
    assert TrainSettings(preset="tiny", reward=Reward(peer="ttrl")).label == "ttrl"
    label = TrainSettings(preset="tiny", reward=Reward("coherence+0.5*verifier", "digamma"), allow_collapse=True).label
    assert label == "coherence+0.5*verifier:digamma"
    assert default_run_name(label).endswith("-coherence_0.5_verifier_digamma")


def test_run_folder_refuses_a_different_configuration_and_finds_the_last_checkpoint(tmp_path):
    folder = RunFolder(tmp_path / "run").create()
    folder.check_config({"seed": 0, "steps": 4})
    folder.check_config({"seed": 0, "steps": 4})  # same settings: fine (a resume)
    with pytest.raises(AlftInputError, match="--steps: got 5"):
        folder.check_config({"seed": 0, "steps": 5})
    for step in (2, 10, 4):
        checkpoint = folder.checkpoints / f"checkpoint-{step}"
        checkpoint.mkdir(parents=True)
        (checkpoint / "trainer_state.json").write_text("{}")  # the Trainer writes it last: a complete checkpoint
    assert folder.last_checkpoint().name == "checkpoint-10"


def test_the_collapsing_game_is_refused_unless_asked_for():
    with pytest.raises(AlftInputError, match="--allow-collapse"):
        TrainSettings(preset="tiny", reward=Reward("coherence"))
    assert TrainSettings(preset="tiny", reward=Reward("coherence"), allow_collapse=True).label == "aqp"
    assert TrainSettings(preset="tiny", reward=Reward(peer="ttrl")).label == "ttrl"  # peers run as they are


def test_the_default_game_is_anchored():
    settings = TrainSettings(preset="tiny")
    assert settings.sharpening == pytest.approx(2.0) and settings.reward.uses_reference
    assert settings.label == "anchored-s2:aqp"
