"""alft on verl, as a plugin (docs/guides/verl.md): answer-level advantages where large-scale reasoning RL runs.

``pip install "alft[verl]"`` (in its own environment: verl pins its own transformers) makes ``import verl``
load :mod:`.plugin`, which registers

* advantage estimators ``algorithm.adv_estimator=alft`` (any objective, ``algorithm.alft.objective``) and
  ``alft_coherence``, ``alft_diversity``, ``alft_gini``, ``alft_pairwise``, ``alft_ttrl``, ``alft_empo``;
  settings under ``algorithm.alft.*`` (:mod:`.settings`);
* v1 trainer modes ``alft_sync`` / ``alft_colocate_async`` / ``alft_separate_async``: verl's trainers plus
  the hook that hands each sample's answer to the estimator (:mod:`.trainer`).

Answers come from :func:`.score.compute_score` (``reward.custom_reward_function.path=
pkg://alft.integrations.verl.score``). This package's top level does not import verl or torch.
"""

from alft.deprecation import renamed_attributes
from alft.integrations.verl.handoff import BatchAnswers, answers_for_batch, answers_from_dataproto
from alft.integrations.verl.rewards import AnswerAdvantages, answer_advantages, check_config, preflight
from alft.integrations.verl.score import ANSWER_KEY, GOLD_KEY, REFERENCE_ANSWERS_KEY, compute_score
from alft.integrations.verl.settings import ADV_ESTIMATORS, BASELINES, VerlRewardSettings, settings_from_config

__all__ = [
    "ADV_ESTIMATORS",
    "ANSWER_KEY",
    "BASELINES",
    "GOLD_KEY",
    "REFERENCE_ANSWERS_KEY",
    "AnswerAdvantages",
    "BatchAnswers",
    "VerlRewardSettings",
    "answer_advantages",
    "answers_for_batch",
    "check_config",
    "answers_from_dataproto",
    "compute_score",
    "preflight",
    "settings_from_config",
]

__getattr__ = renamed_attributes("alft.integrations.verl", {
    "REFERENCE_KEY": ("alft.integrations.verl.GOLD_KEY (whose text is 'alft_gold')", lambda: GOLD_KEY)})
