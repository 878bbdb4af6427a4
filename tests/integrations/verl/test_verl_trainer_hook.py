"""The v1 trainer hook, run through verl's own PPOTrainer._compute_advantage on CPU.

Only TransferQueue is replaced (by an in-memory store built with verl's own list_of_dict_to_tensordict, as
verl's agent loop writes rows): a real TransferQueue needs a Ray cluster and a rollout."""

import pytest

pytest.importorskip("verl.protocol")  # a submodule: this very folder imports as a namespace "verl"

import torch  # noqa: E402
import transfer_queue as tq  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from verl.trainer.ppo.v1 import PPOTrainerColocateAsync, PPOTrainerSync, get_trainer_cls  # noqa: E402
from verl.utils.tensordict_utils import list_of_dict_to_tensordict  # noqa: E402
from verl_batches import rows  # noqa: E402

from alft.errors import AlftInputError  # noqa: E402
from alft.integrations.verl import answer_advantages, settings_from_config  # noqa: E402
from alft.integrations.verl.trainer import AlftPPOTrainerSync  # noqa: E402


class _Batch:
    """The KVBatchMeta fields _compute_advantage reads."""

    def __init__(self, keys):
        self.keys, self.partition_id = keys, "train"

    def __len__(self):
        return len(self.keys)


@pytest.fixture
def queue(monkeypatch):
    """An in-memory TransferQueue holding the test rows; returns (rows, batch, what was written back)."""
    batch_rows = rows(seed=5)
    fields = [
        {"uid": row["uid"], "response_mask": torch.ones(row["length"], dtype=torch.int64),
         "rm_scores": torch.zeros(row["length"]).index_fill_(0, torch.tensor([row["length"] - 1]), row["scored"]["score"]),
         "extra_fields": {"reward_extra_info": row["scored"]}}
        for row in batch_rows
    ]
    store, written = list_of_dict_to_tensordict(fields), {}

    def kv_batch_get(keys, partition_id, select_fields):
        return store.select(*[f for f in select_fields if f in store.keys()])

    def kv_batch_put(keys, partition_id, fields):
        written.update(fields.items())
        return _Batch(keys)

    monkeypatch.setattr(tq, "kv_batch_get", kv_batch_get)
    monkeypatch.setattr(tq, "kv_batch_put", kv_batch_put)
    keys = [f"{row['uid']}_{i}_0" for i, row in enumerate(batch_rows)]  # verl's {uid}_{session}_{index}
    return batch_rows, _Batch(keys), written, store


def _trainer(adv_estimator="alft_coherence", alft=None):
    trainer = object.__new__(AlftPPOTrainerSync)  # no Ray workers: only the advantage step runs
    trainer.config = OmegaConf.create({
        "algorithm": {"adv_estimator": adv_estimator, "use_kl_in_reward": False, "gamma": 1.0, "lam": 1.0,
                      "norm_adv_by_std_in_grpo": True, "alft": alft or {"allow_collapse": True}},
        "actor_rollout_ref": {"rollout": {"n": 5}},
    })
    return trainer


def test_the_hook_hands_answers_to_the_estimator_and_metrics_to_verl(queue):
    batch_rows, batch, written, _ = queue
    metrics = {}
    _trainer()._compute_advantage(batch, metrics)
    settings = settings_from_config({"adv_estimator": "alft_coherence", "alft": {"allow_collapse": True}})
    expected = answer_advantages([r["scored"]["alft_answer"] for r in batch_rows], [r["uid"] for r in batch_rows],
                                 settings).advantages
    padded = written["advantages"].to_padded_tensor(0.0)
    for i, row in enumerate(batch_rows):
        assert torch.equal(padded[i, : row["length"]], torch.full((row["length"],), float(expected[i])))
    assert metrics["alft/singleton_groups"] == 1.0 and 0 < metrics["alft/label_accuracy"] < 1
    assert {"alft/answer_entropy", "alft/majority_share", "alft/n_distinct", "alft/unanswered",
            "alft/sample_accuracy", "alft/estimator_seconds"} <= set(metrics)


def test_rows_without_alft_answers_name_the_reward_function_key(queue, monkeypatch):
    _, batch, _, store = queue
    store.set("extra_fields", list_of_dict_to_tensordict([{"e": {"reward_extra_info": {"acc": 1.0}}}] * len(batch))["e"])
    with pytest.raises(AlftInputError, match=r"^reward.custom_reward_function.path: row 0 has no 'alft_answer'"):
        _trainer()._compute_advantage(batch, {})


def test_other_estimators_pass_through_untouched(queue):
    _, batch, written, store = queue
    del store["extra_fields"]  # not even read
    _trainer("grpo")._compute_advantage(batch, {})
    assert "advantages" in written


@pytest.mark.parametrize(
    ("adv_estimator", "alft", "key"),
    [
        ("alft_cohernce", {}, "algorithm.adv_estimator"),
        ("alft", {"objective": "coherence*2"}, "algorithm.alft.objective"),
        ("alft_coherence", {"estimator_params": {"no_such_parameter": 1}}, "algorithm.alft.estimator"),
    ],
)
def test_bad_alft_config_fails_when_the_trainer_is_built_before_any_step(adv_estimator, alft, key):
    config = _trainer(adv_estimator, alft).config
    with pytest.raises(AlftInputError, match=rf"^{key.replace('.', '[.]')}"):
        AlftPPOTrainerSync(config)


def test_alft_trainer_modes_are_verls_trainers_under_new_names():
    assert get_trainer_cls("alft_sync") is AlftPPOTrainerSync and issubclass(AlftPPOTrainerSync, PPOTrainerSync)
    assert issubclass(get_trainer_cls("alft_colocate_async"), PPOTrainerColocateAsync)
    trainer = object.__new__(AlftPPOTrainerSync)
    trainer.trainer_mode = "alft_sync"  # what PPOTrainer.__init__ assigns from trainer.v1.trainer_mode
    assert trainer.trainer_mode == "sync"  # verl's `== "sync"` branches and trainer.v1.sync settings apply
