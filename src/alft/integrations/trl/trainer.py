"""``AlftGRPOTrainer``: TRL's ``GRPOTrainer`` scoring whole groups across processes (docs/guides/trl.md).

TRL computes rewards on each process's own completions, then gathers them. A group is K consecutive
completions of the global batch, and unless (per_device_train_batch_size × steps_per_generation) is a
multiple of K, a group is split between processes: any count-based reward is then silently wrong. This
trainer gathers prompts, completions and dataset columns from every process first, computes every reward
function on the whole batch (identically on each process) and returns the global reward tensor TRL expects.

It also refuses bad data before training starts (empty dataset, no ``prompt`` column), turns ±inf from user
reward functions into "no reward" (NaN, which TRL excludes from the group baseline and gives advantage 0)
and logs how many there were (``alft/nonfinite_rewards``).
"""

from __future__ import annotations

from typing import Any

import torch
from accelerate.utils import gather_object
from trl import GRPOTrainer

from alft.errors import AlftInputError, require
from alft.games import Reward
from alft.integrations.trl.callbacks import DualUpdateCallback
from alft.integrations.trl.config import AlftGRPOConfig, reward_from_config
from alft.integrations.trl.rewards import AnswerLevelReward


class AlftGRPOTrainer(GRPOTrainer):
    """A ``GRPOTrainer`` for answer-level rewards.

    Args:
        model: as for ``GRPOTrainer`` (a model, a local folder or a hub id).
        reward_funcs: as for ``GRPOTrainer``; the alft reward an :class:`AlftGRPOConfig` describes is added to
            them (with K = the config's ``num_generations``) unless an answer-level reward is already there.
        args: a ``GRPOConfig`` (an :class:`AlftGRPOConfig` when ``reward_funcs`` is None).
        **kwargs: everything else ``GRPOTrainer`` takes (``train_dataset``, ``processing_class``,
            ``peft_config``, ``callbacks``, …).
    """

    def __init__(self, model: Any, reward_funcs: Any = None, args: Any = None, **kwargs: Any) -> None:
        if reward_funcs is None:
            require(
                isinstance(args, AlftGRPOConfig),
                "args",
                type(args).__name__,
                "an AlftGRPOConfig when reward_funcs is None (it says which answer-level reward to use)",
            )
        reward_funcs = _with_config_reward(reward_funcs, args)
        _check_dataset(kwargs.get("train_dataset"))
        super().__init__(model=model, reward_funcs=reward_funcs, args=args, **kwargs)
        if any(reward.duals is not None for reward in self.alft_rewards):
            self.add_callback(DualUpdateCallback(self._update_duals))

    def _update_duals(self) -> None:
        """Once per optimizer step: move every constraint multiplier and log it (docs/concepts/game.md#constraints)."""
        for reward in self.alft_rewards:
            for name, value in reward.update_duals().items():
                self._metrics["train"][f"alft/{name}"].append(value)

    @property
    def alft_rewards(self) -> list[AnswerLevelReward]:
        """The answer-level reward functions among ``reward_funcs``."""
        return [f for f in self.reward_funcs if isinstance(f, AnswerLevelReward)]

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):  # noqa: ANN001 — TRL's hook
        n_processes = self.accelerator.num_processes
        if n_processes > 1:
            # Every process scores the whole global batch (same inputs, same result), so groups are whole.
            inputs, prompts, completions, completion_ids_list = (
                gather_object(list(x)) for x in (inputs, prompts, completions, completion_ids_list)
            )
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        if n_processes > 1:
            # TRL's own gather at the end concatenated n_processes identical copies: keep one.
            rewards = rewards[: len(prompts)]
        return self._finite_or_missing(rewards)

    def _finite_or_missing(self, rewards: torch.Tensor) -> torch.Tensor:
        """±inf → NaN ("no reward": excluded from the baseline, advantage 0 if no function scored the row)."""
        infinite = torch.isinf(rewards)
        nonfinite = int((infinite | torch.isnan(rewards)).sum().item())
        mode = "train" if self.model.training else "eval"
        self._metrics[mode]["alft/nonfinite_rewards"].append(float(nonfinite))
        return rewards.masked_fill(infinite, float("nan"))


def _with_config_reward(reward_funcs: Any, args: Any) -> list[Any]:
    """The user's reward functions plus the answer-level reward an AlftGRPOConfig describes, unless one is
    already among them: a config that names a reward never has it dropped silently, and a config whose reward
    differs from the given function's is refused rather than ignored. Its K is the trainer's."""
    funcs = [] if reward_funcs is None else list(reward_funcs) if isinstance(reward_funcs, (list, tuple)) else [reward_funcs]
    if not isinstance(args, AlftGRPOConfig):
        return funcs
    given = [f for f in funcs if isinstance(f, AnswerLevelReward)]
    if not given:
        funcs.append(reward_from_config(args))
    else:
        _refuse_conflicting_reward(args.reward, [f.reward for f in given])
    return funcs


def _refuse_conflicting_reward(config: Reward, given: list[Reward]) -> None:
    """A reward field the config sets (away from its default) must agree with the reward function's."""
    default = Reward().as_fields()
    set_in_config = {k: v for k, v in config.as_fields().items() if v != default[k]}
    for reward in given:
        differing = sorted(k for k, v in set_in_config.items() if getattr(reward, k) != v)
        if differing:
            raise AlftInputError(
                f"args.{differing[0]}: the config's reward {config.name!r} differs from the reward function's "
                f"{reward.name!r} ({', '.join(differing)}); give the reward once: set it in AlftGRPOConfig and "
                "leave answer_reward out of reward_funcs, or pass answer_reward(...) with a config that sets no "
                "reward field")


def _check_dataset(dataset: Any) -> None:
    """A clear error for an empty dataset or one without a ``prompt`` column, before TRL starts."""
    if dataset is None or not hasattr(dataset, "column_names"):
        return
    columns = dataset.column_names
    if isinstance(columns, dict):  # a DatasetDict
        raise AlftInputError(f"train_dataset: got a DatasetDict with splits {sorted(columns)}, expected one split")
    if columns is not None and "prompt" not in columns:
        raise AlftInputError(f"train_dataset: columns {columns} have no 'prompt' column (TRL's GRPO needs one)")
    if hasattr(dataset, "__len__") and len(dataset) == 0:
        raise AlftInputError("train_dataset: got an empty dataset, expected at least one prompt")
