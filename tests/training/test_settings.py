"""Run settings from presets, their groups and validation, labels and the run folder's config check."""

import dataclasses

import pytest

from alft.errors import AlftInputError
from alft.games import Reward
from alft.training.run_folder import RunFolder, default_run_name
from alft.training.presets import PRESETS
from alft.training.settings import (OPTION_GROUPS, DataSettings, HardwareSettings, ModelSettings, TrainSettings,
                                    setting_flags, train_settings)


def test_unset_sizes_come_from_the_preset_and_explicit_ones_win():
    settings = TrainSettings(preset="tiny", steps=7)
    assert settings.steps == 7 and settings.num_generations == PRESETS["tiny"].num_generations
    assert settings.reward.extractor == "arithmetic"  # built-in task
    assert _user_run(preset="tiny").reward.extractor == "auto"


@pytest.mark.parametrize(
    "changes, field",
    [({"num_generations": 1}, "--num-generations"), ({"steps": 0}, "--steps"), ({"learning_rate": float("nan")}, "--lr"),
     ({"scale_rewards": "std"}, "--scale-rewards"), ({"preset": "huge"}, "--preset"), ({"temperature": 0.0}, "--temperature")],
)
def test_bad_settings_name_the_option(changes, field):
    with pytest.raises(AlftInputError, match=field):
        TrainSettings(**{"preset": "tiny", **changes})


def test_method_labels_and_safe_folder_names():
    assert TrainSettings(preset="tiny", reward=Reward("coherence", allow_collapse=True)).label == "aqp"
    assert TrainSettings(preset="tiny", reward=Reward(peer="ttrl")).label == "ttrl"
    label = TrainSettings(preset="tiny", reward=Reward("coherence+0.5*verifier", "digamma", allow_collapse=True)).label
    assert label == "coherence+0.5*verifier:digamma"
    assert default_run_name(label).endswith("-coherence_0.5_verifier_digamma")


def test_run_folder_refuses_a_different_configuration_and_finds_the_last_checkpoint(tmp_path):
    folder = RunFolder(tmp_path / "run")
    folder.check_config({"seed": 0, "steps": 4})  # no folder yet: nothing to compare, nothing written
    assert not folder.path.exists()
    folder.create().write_config({"seed": 0, "steps": 4, "report_to": "none"})
    folder.check_config({"seed": 0, "steps": 4, "report_to": "none"})  # same settings: fine (a resume)
    folder.check_config({"seed": 0, "steps": 4, "report_to": "tensorboard"}, ignore=("report_to",))
    with pytest.raises(AlftInputError, match="--steps: got 5"):
        folder.check_config({"seed": 0, "steps": 5, "report_to": "none"})
    for step in (2, 10, 4):
        checkpoint = folder.checkpoints / f"checkpoint-{step}"
        checkpoint.mkdir(parents=True)
        (checkpoint / "trainer_state.json").write_text("{}")  # the Trainer writes it last: a complete checkpoint
    assert folder.last_checkpoint().name == "checkpoint-10"


def test_the_collapsing_game_is_refused_unless_asked_for():
    with pytest.raises(AlftInputError, match="--allow-collapse"):
        TrainSettings(preset="tiny", reward=Reward("coherence"))
    assert TrainSettings(preset="tiny", reward=Reward("coherence", allow_collapse=True)).label == "aqp"
    assert TrainSettings(preset="tiny", reward=Reward(peer="ttrl")).label == "ttrl"  # peers run as they are


def test_the_default_game_is_anchored():
    settings = TrainSettings(preset="tiny")
    assert settings.sharpening == pytest.approx(2.0) and settings.reward.uses_reference
    assert settings.label == "anchored-s2:aqp"


def test_a_local_path_is_one_setting_however_it_is_spelled(tmp_path, monkeypatch):
    (tmp_path / "model").mkdir()
    (tmp_path / "data.jsonl").write_text("{}\n")
    monkeypatch.chdir(tmp_path)
    relative = _user_run("model", "./data.jsonl", preset="tiny")
    absolute = _user_run(str(tmp_path / "model"), str(tmp_path / "data.jsonl"), preset="tiny")
    assert relative.to_json() == absolute.to_json()
    assert ModelSettings(model="org/hub-model").model == "org/hub-model"  # a hub id stays as it is


def test_a_dataset_needs_a_model():
    with pytest.raises(AlftInputError, match="--dataset.*--model"):
        TrainSettings(preset="tiny", data=DataSettings(dataset="data.jsonl"))


@pytest.mark.parametrize(
    "group, changes, field",
    [(HardwareSettings, {"device": "tpu"}, "--device"), (HardwareSettings, {"vllm_mode": "remote"}, "--vllm-mode"),
     (ModelSettings, {"lora_alpha": 0.0}, "--lora-alpha"), (ModelSettings, {"lora_target_modules": " "}, "--lora-target-modules"),
     (HardwareSettings, {"gradient_accumulation_steps": 0}, "--gradient-accumulation-steps")],
)
def test_bad_hardware_and_lora_settings_name_the_option(group, changes, field):
    with pytest.raises(AlftInputError, match=field):
        group(**changes)


def test_the_trl_config_carries_the_run_settings(tmp_path):
    from alft.training.pipeline import grpo_config, lora_config
    from alft.training.runtime import Runtime, runtime

    gpu = HardwareSettings(gradient_accumulation_steps=2, report_to="tensorboard", use_vllm=True, vllm_mode="server",
                           vllm_server_base_url="http://h:8000")
    settings = TrainSettings(preset="tiny", prompts_per_step=4, num_generations=4, hardware=gpu,
                             policy=ModelSettings(lora=True, lora_rank=4, lora_target_modules="q_proj, v_proj"))
    # vLLM is not installed here; the mapping is tested below
    hardware = runtime(settings.replace(hardware=HardwareSettings(gradient_accumulation_steps=2)))
    assert hardware == Runtime(device="cpu", bf16=False, processes=1, is_main=True, per_device_batch=8)
    args = grpo_config(settings, RunFolder(tmp_path), hardware)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (8, 2)
    assert args.use_cpu and not args.bf16 and args.report_to == ["tensorboard"]
    assert (args.use_vllm, args.vllm_mode, args.vllm_server_base_url) == (True, "server", "http://h:8000")
    lora = lora_config(settings)
    assert (lora.r, lora.lora_alpha, sorted(lora.target_modules)) == (4, 8.0, ["q_proj", "v_proj"])


def test_the_built_in_model_stays_on_cpu_and_batches_must_split_evenly():
    from alft.training.runtime import runtime

    assert runtime(TrainSettings(preset="tiny")).device == "cpu"  # bit-for-bit reproducible numbers
    with pytest.raises(AlftInputError, match="--prompts-per-step"):
        runtime(TrainSettings(preset="tiny", prompts_per_step=1, num_generations=3,
                              hardware=HardwareSettings(gradient_accumulation_steps=2)))


def test_a_users_model_gets_small_one_off_stages_unless_they_are_given():
    user = _user_run()
    assert (user.data.eval_problems, user.data.probe_prompts, user.data.probe_samples, user.draws_to_make) == (32, 0, 16, 8)
    assert (user.prompts_per_step, user.num_generations, user.steps) == (4, 8, 200)  # K and steps: the preset's
    assert user.data.reference_draws is None  # a dataset's own reference_answers column may still set M
    given = _user_run(data=dict(eval_problems=200, probe_prompts=4, reference_draws=32))
    assert (given.data.eval_problems, given.data.probe_prompts, given.draws_to_make) == (200, 4, 32)
    builtin = TrainSettings().data  # the built-in model keeps the preset's sizes
    assert (builtin.eval_problems, builtin.probe_prompts, builtin.probe_samples, builtin.reference_draws) == (1000, 64, 64, 64)
    assert TrainSettings().prompts_per_step == 8
    tiny_user = TrainSettings(preset="tiny", policy=ModelSettings(model="m"))
    assert tiny_user.data.eval_problems == PRESETS["tiny"].eval_problems  # never above the preset


def test_the_sizes_named_in_errors_are_options_of_alft_train():
    from typer.main import get_command

    from alft.cli import app

    options = {opt for p in get_command(app).commands["train"].params for opt in p.opts}
    for field, changes in (("--train-prompts", {"train_prompts": 0}), ("--probe-prompts", {"probe_prompts": -1}),
                           ("--probe-samples", {"probe_samples": 1}), ("--eval-problems", {"eval_problems": -1})):
        assert field in options
        with pytest.raises(AlftInputError, match=field):
            DataSettings(**changes)
    assert set(setting_flags().values()) <= options  # every settings field's flag is an option


def test_one_option_sets_one_field_of_one_group():
    names = [f.name for group in OPTION_GROUPS for f in dataclasses.fields(group) if "flags" in f.metadata]
    assert len(names) == len(set(names))  # config.json is flat: a name may not repeat across groups
    settings = train_settings({"learning_rate": 1e-3, "eval_problems": 5, "lora": True, "use_vllm": True,
                               "sharpening": 3.0, "preset": "tiny"})
    assert (settings.learning_rate, settings.data.eval_problems, settings.policy.lora) == (1e-3, 5, True)
    assert settings.hardware.use_vllm and settings.sharpening == pytest.approx(3.0)
    with pytest.raises(AlftInputError, match="options"):
        train_settings({"lr": 1e-3})  # field names, not flags


def _user_run(model="m", dataset="x.jsonl", data=None, **changes):
    return TrainSettings(policy=ModelSettings(model=model), data=DataSettings(dataset=dataset, **(data or {})), **changes)
