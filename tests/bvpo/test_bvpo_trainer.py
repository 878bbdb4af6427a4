"""BVPOTrainer (src/alft/bvpo/trainer.py) on the shipped built-in model, one CPU step at a time."""

import datasets
import pytest
import torch
from transformers import PrinterCallback
from trl import DPOConfig, DPOTrainer

from alft.bvpo.trainer import BVPOConfig, BVPOTrainer
from alft.errors import AlftInputError
from alft.task.loading import load_policy
from alft.task.shipped import SHIPPED_DIR

ROWS = {"prompt": ["3+4*2-5=", "2*3+1-4=", "9-2*3+1=", "4+4*4-2="],
        "chosen": ["3+8-5=11-5=6", "6+1-4=7-4=3", "9-6+1=3+1=4", "4+16-2=20-2=18"],
        "rejected": ["7*2-5=14-5=9", "6+1-4=6-3=3", "7*3+1=21+1=22", "8*4-2=32-2=30"],
        "chosen_empty": ["6", "3", "4", "18"],
        "rejected_empty": ["9", "5", "22", "30"]}
COMMON = dict(output_dir="unused", per_device_train_batch_size=4, max_steps=1, learning_rate=1e-3, use_cpu=True,
              bf16=False, report_to="none", save_strategy="no", logging_steps=1, disable_tqdm=True, beta=0.1,
              max_length=64, seed=0)


@pytest.fixture(autouse=True)
def _one_thread():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _train(trainer_class, config, data, tmp_path):
    model, tokenizer = load_policy(str(SHIPPED_DIR))
    config.output_dir = str(tmp_path)
    trainer = trainer_class(model=model, args=config, train_dataset=data, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return trainer, torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _logged(trainer, key):
    return [h[key] for h in trainer.state.log_history if key in h]


def test_one_step_logs_alpha_and_both_losses(tmp_path):
    trainer, _ = _train(BVPOTrainer, BVPOConfig(alpha=0.25, **COMMON), datasets.Dataset.from_dict(ROWS), tmp_path)
    assert _logged(trainer, "bvpo/alpha") == [0.25]
    loss_t, loss_e = _logged(trainer, "bvpo/loss_trace")[0], _logged(trainer, "bvpo/loss_empty")[0]
    assert _logged(trainer, "loss")[0] == pytest.approx(0.25 * loss_t + 0.75 * loss_e, rel=1e-3)
    assert _logged(trainer, "empty/rewards/margins") and _logged(trainer, "rewards/margins")


def test_alpha_one_is_plain_dpo_on_the_trace_pairs(tmp_path):
    _, bvpo = _train(BVPOTrainer, BVPOConfig(alpha=1.0, **COMMON), datasets.Dataset.from_dict(ROWS), tmp_path / "a")
    trace_only = datasets.Dataset.from_dict({k: ROWS[k] for k in ("prompt", "chosen", "rejected")})
    _, plain = _train(DPOTrainer, DPOConfig(**COMMON), trace_only, tmp_path / "b")
    initial = torch.cat([p.detach().reshape(-1) for p in load_policy(str(SHIPPED_DIR))[0].parameters()])
    assert (plain - initial).abs().max() > 1e-5  # the step moved the weights
    assert torch.allclose(bvpo, plain, atol=1e-7, rtol=0)
    _, mixed = _train(BVPOTrainer, BVPOConfig(alpha=0.5, **COMMON), datasets.Dataset.from_dict(ROWS), tmp_path / "c")
    assert (mixed - plain).abs().max() > 1e-5  # and α < 1 is not


@pytest.mark.parametrize("width", [None, 256])
def test_estimated_alpha_is_logged_with_the_gradient_statistics(tmp_path, width):
    config = BVPOConfig(estimate_alpha=True, alpha_sketch_width=width, **COMMON)
    trainer, _ = _train(BVPOTrainer, config, datasets.Dataset.from_dict(ROWS), tmp_path)
    alpha = _logged(trainer, "bvpo/alpha")[0]
    assert 0.0 <= alpha <= 1.0 and trainer.alpha_history == [alpha]
    stats = {k: _logged(trainer, f"bvpo/{k}")[0] for k in ("var_trace", "var_empty", "gap_sq", "alpha_unclipped")}
    assert stats["var_trace"] > 0 and stats["var_empty"] > 0 and stats["gap_sq"] > 0
    assert alpha == pytest.approx(min(1.0, max(0.0, stats["alpha_unclipped"])))


def test_a_last_batch_of_one_pair_keeps_the_previous_alpha(tmp_path):
    five = {k: v + v[:1] for k, v in ROWS.items()}  # 5 pairs, batches of 4: the second step sees one pair
    config = BVPOConfig(estimate_alpha=True, **{**COMMON, "max_steps": 2})
    trainer, _ = _train(BVPOTrainer, config, datasets.Dataset.from_dict(five), tmp_path)
    assert len(trainer.alpha_history) == 2 and trainer.alpha_history[1] == trainer.alpha_history[0]
    assert len(_logged(trainer, "bvpo/var_trace")) == 1  # estimated once, reused once


def test_non_finite_log_probabilities_stop_training_with_a_clear_error(tmp_path):
    from alft.errors import AlftNumericalError

    model, tokenizer = load_policy(str(SHIPPED_DIR))
    reference, _ = load_policy(str(SHIPPED_DIR))
    with torch.no_grad():
        model.model.norm.weight.fill_(float("nan"))  # every log-probability of the policy becomes NaN
    config = BVPOConfig(**{**COMMON, "output_dir": str(tmp_path / "out")})
    trainer = BVPOTrainer(model=model, ref_model=reference, args=config, train_dataset=datasets.Dataset.from_dict(ROWS),
                          processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    with pytest.raises(AlftNumericalError, match="loss_trace: got nan at step 0"):
        trainer.train()
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing written


def test_bad_settings_and_pairs_are_refused(tmp_path):
    with pytest.raises(AlftInputError, match=r"alpha.*\[0, 1\]"):
        BVPOConfig(alpha=1.5, **COMMON)
    with pytest.raises(AlftInputError, match="at least 2 pairs"):
        BVPOConfig(estimate_alpha=True, **{**COMMON, "per_device_train_batch_size": 1})
    bad = dict(ROWS, rejected_empty=["9", "5", "7*3+1=22", "30"])
    with pytest.raises(AlftInputError, match=r"rejected\[2\].*empty trace"):
        _train(BVPOTrainer, BVPOConfig(**COMMON), datasets.Dataset.from_dict(bad), tmp_path)
    with pytest.raises(AlftInputError, match="chosen_empty"):
        _train(BVPOTrainer, BVPOConfig(**COMMON), datasets.Dataset.from_dict({k: ROWS[k] for k in ("prompt", "chosen", "rejected")}), tmp_path)
    assert not any(tmp_path.iterdir())  # refused before anything was written
