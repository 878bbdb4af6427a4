"""Where a run runs: the device resolved as accelerate does, and every missing piece refused before any work."""

import pytest
import torch

from alft.errors import AlftInputError
from alft.training.runtime import device_for, runtime, tracker_names
from alft.training.settings import HardwareSettings, ModelSettings, TrainSettings


def test_the_built_in_model_stays_on_cpu_and_a_given_model_takes_the_best_device(tmp_path):
    assert device_for(TrainSettings(preset="tiny")) == "cpu"
    best = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert device_for(TrainSettings(preset="tiny", policy=ModelSettings(model=str(tmp_path)))) == best


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_device_the_machine_lacks_is_refused_naming_the_option():
    with pytest.raises(AlftInputError, match="--device: got 'cuda'"):
        device_for(TrainSettings(preset="tiny", hardware=HardwareSettings(device="cuda")))


def test_trackers_are_read_like_report_to_and_unknown_ones_are_refused():
    assert tracker_names(" tensorboard, wandb ,") == ["tensorboard", "wandb"] and tracker_names("") == ["none"]
    with pytest.raises(AlftInputError, match="--report-to: got 'nosuchtracker'"):
        runtime(TrainSettings(preset="tiny", hardware=HardwareSettings(report_to="nosuchtracker")))


def test_a_batch_that_does_not_split_over_accumulation_steps_is_refused():
    # tiny: 2 prompts × K = 4 → 8 completions, not a multiple of 3 micro-batches
    with pytest.raises(AlftInputError, match="--prompts-per-step"):
        runtime(TrainSettings(preset="tiny", hardware=HardwareSettings(gradient_accumulation_steps=3)))
    hardware = runtime(TrainSettings(preset="tiny", hardware=HardwareSettings(gradient_accumulation_steps=2)))
    assert hardware.per_device_batch == 4 and hardware.processes == 1 and hardware.is_main and not hardware.bf16
