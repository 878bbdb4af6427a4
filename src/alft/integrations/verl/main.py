"""verl's ``main_ppo`` with alft's checks first, in the driver, before Ray starts a worker (docs/guides/verl.md).

    python -m alft.integrations.verl.main [verl's Hydra overrides]

Same config, same overrides and the same run as ``python -m verl.trainer.main_ppo``; a misspelled
``algorithm.adv_estimator=alft_…`` or a bad ``algorithm.alft.*`` value is refused at once with alft's message
(through verl's own entry point it surfaces inside a Ray worker, tens of seconds after launch).
"""

from __future__ import annotations

from pathlib import Path

import hydra
from verl.trainer import main_ppo

from alft.errors import AlftInputError
from alft.integrations.verl.rewards import check_config

CONFIG_DIR = str(Path(main_ppo.__file__).parent / "config")


@hydra.main(config_path=CONFIG_DIR, config_name="ppo_trainer", version_base=None)
def main(config) -> None:  # noqa: ANN001 — Hydra's DictConfig
    try:
        check_config(config)
    except AlftInputError as error:
        raise SystemExit(f"error: {error}") from None  # one line, before Ray starts anything
    main_ppo.main.__wrapped__(config)  # verl's body, undecorated: the config is already composed


if __name__ == "__main__":
    main()
