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
    assert TrainSettings(preset="tiny", model="m", dataset="x.jsonl").reward.extractor == "auto"


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
    relative = TrainSettings(preset="tiny", model="model", dataset="./data.jsonl")
    absolute = TrainSettings(preset="tiny", model=str(tmp_path / "model"), dataset=str(tmp_path / "data.jsonl"))
    assert relative.to_json() == absolute.to_json()
    assert TrainSettings(preset="tiny", model="org/hub-model").model == "org/hub-model"  # a hub id stays as it is


def test_a_dataset_needs_a_model():
    with pytest.raises(AlftInputError, match="--dataset.*--model"):
        TrainSettings(preset="tiny", dataset="data.jsonl")


@pytest.mark.parametrize(
    "changes, field",
    [({"device": "tpu"}, "--device"), ({"vllm_mode": "remote"}, "--vllm-mode"), ({"lora_alpha": 0.0}, "--lora-alpha"),
     ({"gradient_accumulation_steps": 0}, "--gradient-accumulation-steps"), ({"lora_target_modules": " "}, "--lora-target-modules")],
)
def test_bad_hardware_and_lora_settings_name_the_option(changes, field):
    with pytest.raises(AlftInputError, match=field):
        TrainSettings(**{"preset": "tiny", **changes})


def test_the_trl_config_carries_the_run_settings(tmp_path):
    from alft.training.pipeline import grpo_config, lora_config
    from alft.training.runtime import Runtime, runtime

    settings = TrainSettings(preset="tiny", prompts_per_step=4, num_generations=4, gradient_accumulation_steps=2,
                             report_to="tensorboard", lora=True, lora_rank=4, lora_target_modules="q_proj, v_proj",
                             use_vllm=True, vllm_mode="server", vllm_server_base_url="http://h:8000")
    hardware = runtime(settings.replace(use_vllm=False))  # vLLM is not installed here; the mapping is tested below
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
        runtime(TrainSettings(preset="tiny", prompts_per_step=1, num_generations=3, gradient_accumulation_steps=2))


def test_a_users_model_gets_small_one_off_stages_unless_they_are_given():
    user = TrainSettings(model="m", dataset="x.jsonl")
    assert (user.eval_problems, user.probe_prompts, user.probe_samples, user.draws_to_make) == (32, 0, 16, 8)
    assert (user.prompts_per_step, user.num_generations, user.steps) == (4, 8, 200)  # K and steps: the preset's
    assert user.reference_draws is None  # a dataset's own reference_answers column may still set M
    given = TrainSettings(model="m", dataset="x.jsonl", eval_problems=200, probe_prompts=4, reference_draws=32)
    assert (given.eval_problems, given.probe_prompts, given.draws_to_make) == (200, 4, 32)
    builtin = TrainSettings()  # the built-in model keeps the preset's sizes
    assert (builtin.eval_problems, builtin.probe_prompts, builtin.probe_samples, builtin.draws_to_make) == (1000, 64, 64, 64)
    assert builtin.prompts_per_step == 8
    assert TrainSettings(preset="tiny", model="m").eval_problems == PRESETS["tiny"].eval_problems  # never above the preset


def test_the_sizes_named_in_errors_are_options_of_alft_train():
    from typer.main import get_command

    from alft.cli import app

    options = {opt for p in get_command(app).commands["train"].params for opt in p.opts}
    for field, changes in (("--train-prompts", {"train_prompts": 0}), ("--probe-prompts", {"probe_prompts": -1}),
                           ("--probe-samples", {"probe_samples": 1}), ("--eval-problems", {"eval_problems": -1})):
        assert field in options
        with pytest.raises(AlftInputError, match=field):
            TrainSettings(preset="tiny", **changes)
