"""The smallest hook into verl's default (v1) trainer: hand each sample's answer to the alft estimator (docs/guides/verl.md).

verl's v1 trainer reads only ``uid``, ``response_mask`` and ``rm_scores`` (and log-probs) from its
TransferQueue before ``compute_advantage``. :class:`AnswerHandoff` reads the ``reward_extra_info`` that alft's
``compute_score`` left in each row's ``extra_fields`` and opens :func:`.handoff.answers_for_batch` around
verl's own ``_compute_advantage``; everything else is verl's. It also checks ``algorithm.*`` before the first
step. Select it with ``trainer.v1.trainer_mode=alft_sync`` (or ``alft_colocate_async``,
``alft_separate_async``): the same trainers, under names the plugin registers.

Imports verl's v1 trainer (and TransferQueue): loaded by :mod:`.plugin` only.
"""

from __future__ import annotations

from typing import Any

import transfer_queue as tq
from verl.trainer.ppo.v1 import PPOTrainerColocateAsync, PPOTrainerSeparateAsync, PPOTrainerSync, register_trainer
from verl.trainer.ppo.v1.trainer_base import TRAINER_REGISTRY

from alft.errors import AlftInputError
from alft.integrations.verl.handoff import answers_for_batch
from alft.integrations.verl.rewards import check_config
from alft.integrations.verl.score import ANSWER_KEY, REFERENCE_ANSWERS_KEY, gold_of

TRAINER_PREFIX = "alft_"


def _as_list(column: Any) -> list[Any]:
    """A non-tensor TransferQueue column as a list: it comes back as a NonTensorStack, a numpy array or a
    tensordict LinkedList depending on the backend (verl's trainer notes the same)."""
    return list(column.tolist()) if hasattr(column, "tolist") else list(column)


def _row_extras(batch: Any) -> tuple[list[Any], list[Any], list[Any], list[Any] | None]:
    """(uids, answers, gold answers, reference answers or None) of the batch's rows, from TransferQueue, in ``batch.keys`` order."""
    data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=["uid", "extra_fields"])
    uids, answers, gold, drawn = _as_list(data["uid"]), [], [], []
    for row, extra in enumerate(_as_list(data["extra_fields"])):
        info = extra.get("reward_extra_info", {}) if isinstance(extra, dict) else {}
        if ANSWER_KEY not in info:
            raise AlftInputError(
                f"reward.custom_reward_function.path: row {row} has no '{ANSWER_KEY}' in its reward_extra_info, "
                "expected alft's compute_score (pkg://alft.integrations.verl.score, name compute_score) or one "
                f"that returns '{ANSWER_KEY}'"
            )
        answers.append(info[ANSWER_KEY])
        gold.append(gold_of(info))
        drawn.append(info.get(REFERENCE_ANSWERS_KEY))
    return uids, answers, gold, drawn if all(drawn) else None


class AnswerHandoff:
    """Mixin for a v1 ``PPOTrainer``: checks the config first, hands answers to the estimator each step."""

    def __init__(self, config: Any) -> None:
        check_config(config)
        super().__init__(config)

    # verl branches on ``trainer_mode == "sync"`` and reads ``trainer.v1.<mode>``: behave as the base mode.
    @property
    def trainer_mode(self) -> str:
        return self._alft_base_mode

    @trainer_mode.setter
    def trainer_mode(self, name: str) -> None:
        self._alft_base_mode = name.removeprefix(TRAINER_PREFIX)

    def _compute_advantage(self, batch: Any, metrics: dict) -> Any:
        if not str(self.config.algorithm.adv_estimator).startswith("alft"):
            return super()._compute_advantage(batch, metrics)
        with answers_for_batch(*_row_extras(batch)) as answers:
            batch = super()._compute_advantage(batch, metrics)
        metrics.update(answers.metrics)
        return batch


def _register(base: type) -> type:
    """``base`` with the hook, registered as ``alft_<base's mode>`` (once, whatever the import order)."""
    mode = next(name for name, cls in TRAINER_REGISTRY.items() if cls is base)
    name = TRAINER_PREFIX + mode
    if name in TRAINER_REGISTRY:
        return TRAINER_REGISTRY[name]
    cls = type(f"Alft{base.__name__}", (AnswerHandoff, base), {"__module__": __name__, "__doc__": AnswerHandoff.__doc__})
    return register_trainer(name)(cls)


AlftPPOTrainerSync = _register(PPOTrainerSync)
AlftPPOTrainerColocateAsync = _register(PPOTrainerColocateAsync)
AlftPPOTrainerSeparateAsync = _register(PPOTrainerSeparateAsync)
