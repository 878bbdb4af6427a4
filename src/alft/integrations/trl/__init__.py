"""alft on TRL 1.x: answer-level rewards for ``GRPOTrainer`` (docs/concepts/game.md#the-training-step, docs/guides/trl.md).

Drop-in reward (three lines)::

    from alft.integrations.trl import answer_reward
    reward = answer_reward(num_generations=8, objective="coherence", estimator="aqp")
    trainer = GRPOTrainer(model=..., reward_funcs=reward, args=GRPOConfig(num_generations=8, ...), ...)

Whole groups across processes, answer-level metrics and bad-data checks::

    from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer
    trainer = AlftGRPOTrainer(model=..., args=AlftGRPOConfig(objective="coherence", estimator="aqp", ...), ...)
"""

from alft.integrations.trl.callbacks import (
    CollapseWarningCallback,
    DegenerateRunCallback,
    EquilibriumProbeCallback,
    PeriodicMeasureCallback,
    FailureTest,
    FailureWarningCallback,
    DualUpdateCallback,
    JsonlMetricsCallback,
    RichProgressCallback,
    read_metrics,
)
from alft.integrations.trl.config import AlftGRPOConfig, reward_from_config
from alft.integrations.trl.rewards import AnswerLevelReward, ScoredBatch, answer_reward
from alft.integrations.trl.trainer import AlftGRPOTrainer

__all__ = [
    "CollapseWarningCallback",
    "DegenerateRunCallback",
    "EquilibriumProbeCallback",
    "PeriodicMeasureCallback",
    "FailureTest",
    "FailureWarningCallback",
    "AlftGRPOConfig",
    "AlftGRPOTrainer",
    "AnswerLevelReward",
    "DualUpdateCallback",
    "JsonlMetricsCallback",
    "RichProgressCallback",
    "ScoredBatch",
    "answer_reward",
    "read_metrics",
    "reward_from_config",
]
