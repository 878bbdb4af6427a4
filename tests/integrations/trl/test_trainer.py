"""AlftGRPOTrainer on a tiny model the test saves itself: metrics per step, bad data, non-finite user rewards."""

import math

import pytest
from datasets import Dataset
from transformers import AutoTokenizer, PrinterCallback

from alft.errors import AlftInputError
from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer, answer_reward


def _args(tmp_path, **changes):
    options = dict(
        output_dir=str(tmp_path / "out"), num_generations=4, per_device_train_batch_size=8, max_completion_length=6,
        max_steps=2, learning_rate=1e-3, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
        logging_steps=1, disable_tqdm=True, seed=0, extractor="last-number", grouper="exact",
    )
    return AlftGRPOConfig(**{**options, **changes})


def _data(n=8):
    return Dataset.from_dict({"prompt": [f"{i}+1=" for i in range(n)], "answer": [str(i + 1) for i in range(n)]})


def _train(tiny_policy, args, reward_funcs=None, data=None):
    tokenizer = AutoTokenizer.from_pretrained(tiny_policy)
    trainer = AlftGRPOTrainer(model=str(tiny_policy), reward_funcs=reward_funcs, args=args,
                              train_dataset=data if data is not None else _data(), processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    return [entry for entry in trainer.state.log_history if "loss" in entry]


def test_training_logs_answer_level_metrics_every_step(tiny_policy, tmp_path):
    logs = _train(tiny_policy, _args(tmp_path, objective="coherence", allow_collapse=True))
    assert len(logs) == 2
    for entry in logs:
        for key in ("alft/answer_entropy", "alft/majority_share", "alft/n_distinct", "alft/n_unextractable",
                    "alft/equivalence_seconds", "alft/estimator_seconds", "alft/nonfinite_rewards"):
            assert key in entry and math.isfinite(entry[key])
        assert math.isfinite(entry["loss"]) and entry["alft/nonfinite_rewards"] == 0


def test_infinite_and_nan_user_rewards_are_counted_and_never_reach_the_advantage(tiny_policy, tmp_path):
    def broken(completions, **kwargs):
        return [float("inf") if i % 3 == 0 else float("nan") if i % 3 == 1 else 0.0 for i in range(len(completions))]

    alft = answer_reward(4, "coherence", "digamma", extractor="last-number", grouper="exact", allow_collapse=True)
    logs = _train(tiny_policy, _args(tmp_path), reward_funcs=[alft, broken])
    assert all(entry["alft/nonfinite_rewards"] > 0 for entry in logs)
    assert all(math.isfinite(entry["loss"]) and math.isfinite(entry["grad_norm"]) for entry in logs)


def test_constraint_multipliers_are_updated_and_logged_each_step(tiny_policy, tmp_path):
    from alft.games import Constraint

    any_answer = Constraint("answered", lambda z: 0.0 if z is None else 1.0, bound=-1.0, kind="<=")
    reward = answer_reward(4, "coherence", "digamma", extractor="last-number", grouper="exact",
                           constraints=[any_answer], dual_step=0.5, allow_collapse=True)
    logs = _train(tiny_policy, _args(tmp_path), reward_funcs=[reward])
    multipliers = [entry["alft/constraint/answered/multiplier"] for entry in logs]
    assert multipliers[0] > 0 and multipliers[1] > multipliers[0]  # violated every step: μ keeps rising


@pytest.mark.parametrize(
    "data, message",
    [
        (Dataset.from_dict({"prompt": []}), "empty dataset"),
        (Dataset.from_dict({"question": ["1+1="]}), "no 'prompt' column"),
    ],
)
def test_bad_datasets_are_refused_before_training(tiny_policy, tmp_path, data, message):
    with pytest.raises(AlftInputError, match=message):
        AlftGRPOTrainer(model=str(tiny_policy), args=_args(tmp_path), train_dataset=data,
                        processing_class=AutoTokenizer.from_pretrained(tiny_policy))


def test_config_reads_the_estimator_spec_and_still_reads_text_parameters_with_a_warning(tmp_path):
    assert _args(tmp_path, estimator="aqp:kappa=4").reward.estimator_params == (("kappa", 4.0),)
    with pytest.warns(FutureWarning, match="aqp:kappa=4"):
        assert _args(tmp_path, estimator_params='{"kappa": 4}').estimator_params == {"kappa": 4}
    with pytest.warns(FutureWarning), pytest.raises(AlftInputError, match="estimator_params"):
        _args(tmp_path, estimator_params="{kappa")
    with pytest.raises(AlftInputError, match="estimator"):
        _args(tmp_path, estimator="aqp:kappa")


def test_plain_grpo_config_needs_reward_funcs(tiny_policy, tmp_path):
    from trl import GRPOConfig

    args = GRPOConfig(output_dir=str(tmp_path), num_generations=4, per_device_train_batch_size=8, use_cpu=True,
                      report_to="none")
    with pytest.raises(AlftInputError, match="AlftGRPOConfig"):
        AlftGRPOTrainer(model=str(tiny_policy), args=args, train_dataset=_data())


def test_a_config_reward_is_added_to_the_users_reward_functions_not_dropped(tiny_policy, tmp_path):
    def length_bonus(completions, **kwargs):
        return [0.0 for _ in completions]

    args = _args(tmp_path, peer="ttrl", max_steps=1)
    trainer = AlftGRPOTrainer(model=str(tiny_policy), reward_funcs=[length_bonus], args=args, train_dataset=_data(),
                              processing_class=AutoTokenizer.from_pretrained(tiny_policy))
    assert trainer.reward_funcs[0] is length_bonus
    assert len(trainer.alft_rewards) == 1 and trainer.alft_rewards[0].num_generations == args.num_generations
    assert trainer.alft_rewards[0].reward == args.reward
