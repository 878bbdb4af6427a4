"""verl loads this module on ``import verl`` (entry-point group ``verl.plugins``; docs/guides/verl.md).

Importing it registers alft's advantage estimators (:data:`.settings.ADV_ESTIMATORS`) with verl's
``core_algos`` registry and the hooked v1 trainers (``trainer.v1.trainer_mode=alft_sync``, …). verl swallows
a plugin's import errors (it logs them at debug level), so the trainers, which need TransferQueue, are
registered apart: without them the estimators still register, and an estimator run without the hook says so.
``VERL_USE_EXTERNAL_PLUGINS=none`` keeps verl from loading it.
"""

from __future__ import annotations

import logging

from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY, register_adv_est

from alft.integrations.verl.estimator import ESTIMATOR_FUNCTIONS

logger = logging.getLogger(__name__)


def register() -> None:
    """Register the estimators and, when verl's v1 trainer imports, the hooked trainers (idempotent)."""
    for name, estimator in ESTIMATOR_FUNCTIONS.items():
        if ADV_ESTIMATOR_REGISTRY.get(name) is not estimator:
            register_adv_est(name)(estimator)
    try:
        import alft.integrations.verl.trainer  # noqa: F401 — registers alft_sync, alft_colocate_async, …
    except ImportError as error:
        logger.warning("alft: verl's v1 trainer did not import (%s); the alft_* trainer modes are not registered", error)


register()
