"""The advantage estimators the plugin registers with verl (``algorithm.adv_estimator=alft…``; docs/guides/verl.md).

Each has verl's estimator signature: it gets ``token_level_rewards`` and ``response_mask`` of shape (bs, L),
verl's ``algorithm`` config and ``index`` (the uid per row), and returns (advantages, returns), both the
per-sample advantage broadcast over the response tokens, as verl's GRPO does. The answers come through
:mod:`.handoff`; ``token_level_rewards`` summed per row is compute_score's score, read only by objectives
with a verifier term. torch only: verl itself is imported by :mod:`.plugin`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from alft.integrations.verl.handoff import take_answers
from alft.integrations.verl.rewards import answer_advantages
from alft.integrations.verl.settings import ADV_ESTIMATORS, settings_from_config

AdvantageEstimator = Callable[..., tuple[torch.Tensor, torch.Tensor]]


def alft_advantages(
    name: str,
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    config: Any = None,
    index: Any = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Answer-level advantages for the batch verl hands the estimator registered as ``name``.

    Args:
        name: the registered estimator name (``alft`` or ``alft_<objective>``).
        token_level_rewards: (bs, L); summed per row, the verifier score.
        response_mask: (bs, L).
        config: verl's ``algorithm`` config (``algorithm.alft.*`` holds alft's settings).
        index: verl's uid per row.
        **kwargs: what else verl passes (e.g. ``reward_baselines``), unused.

    Returns:
        (advantages, returns), both (bs, L), zero outside the response.
    """
    settings = settings_from_config(config, name)
    batch = take_answers(index, name)
    scores = token_level_rewards.sum(dim=-1).double().cpu().numpy() if settings.needs_verifier else None
    result = answer_advantages(batch.answers, batch.uids, settings, scores, batch.gold_answers,
                               reference_answers=batch.reference_answers)
    batch.metrics.update(result.metrics())
    per_row = torch.as_tensor(result.advantages, dtype=token_level_rewards.dtype, device=token_level_rewards.device)
    advantages = per_row.unsqueeze(-1) * response_mask
    return advantages, advantages


def _named(name: str) -> AdvantageEstimator:
    def estimator(token_level_rewards, response_mask, config=None, index=None, **kwargs):  # noqa: ANN001 — verl's
        return alft_advantages(name, token_level_rewards, response_mask, config, index, **kwargs)

    estimator.__name__ = estimator.__qualname__ = name
    estimator.__doc__ = f"verl advantage estimator '{name}': see alft.integrations.verl.estimator.alft_advantages."
    return estimator


ESTIMATOR_FUNCTIONS: dict[str, AdvantageEstimator] = {name: _named(name) for name in ADV_ESTIMATORS}
"""One function per registered name; the name fixes the objective for ``alft_<objective>``."""
