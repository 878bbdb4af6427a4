"""alft on TRL 1.x: answer-level rewards for ``GRPOTrainer`` (docs/concepts/game.md#the-training-step, docs/guides/trl.md).

Drop-in reward (three lines)::

    from alft.integrations.trl import answer_reward
    reward = answer_reward(num_generations=8, objective="coherence", estimator="aqp")
    trainer = GRPOTrainer(model=..., reward_funcs=reward, args=GRPOConfig(num_generations=8, ...), ...)

Whole groups across processes, answer-level metrics and bad-data checks::

    from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer
    trainer = AlftGRPOTrainer(model=..., args=AlftGRPOConfig(objective="coherence", estimator="aqp", ...), ...)
"""

from alft.deprecation import renamed_attributes
from alft.integrations.trl.callbacks import (
    DegenerateRunCallback,
    EquilibriumProbeCallback,
    PeriodicMeasureCallback,
    FailureTest,
    FailureWarningCallback,
    DualUpdateCallback,
)
from alft.integrations.trl.config import AlftGRPOConfig, reward_from_config
from alft.integrations.trl.rewards import AnswerLevelReward, ScoredBatch, answer_reward
from alft.integrations.trl.trainer import AlftGRPOTrainer

__all__ = [
    "DegenerateRunCallback",
    "EquilibriumProbeCallback",
    "PeriodicMeasureCallback",
    "FailureTest",
    "FailureWarningCallback",
    "AlftGRPOConfig",
    "AlftGRPOTrainer",
    "AnswerLevelReward",
    "DualUpdateCallback",
    "ScoredBatch",
    "answer_reward",
    "reward_from_config",
]


def _run_log(name: str) -> object:
    import importlib

    return getattr(importlib.import_module("alft.training.run_log"), name)  # a layer above: imported on demand


# alft train's own run-folder log and progress bar moved to the training layer, and the failure warning was
# named for collapse only: the old names still import, with a warning.
__getattr__ = renamed_attributes("alft.integrations.trl", {
    **{name: (f"alft.training.run_log.{name}", lambda name=name: _run_log(name))
       for name in ("JsonlMetricsCallback", "RichProgressCallback", "read_metrics")},
    "CollapseWarningCallback": ("alft.integrations.trl.FailureWarningCallback", lambda: FailureWarningCallback)})
