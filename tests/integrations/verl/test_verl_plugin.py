"""verl finds the plugin through the `verl.plugins` entry point on `import verl`, unless told not to."""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("verl.protocol")  # a submodule: this very folder imports as a namespace "verl"

from alft.integrations.verl import ADV_ESTIMATORS  # noqa: E402

PROBE = """
import json, verl
from verl.trainer.ppo.core_algos import ADV_ESTIMATOR_REGISTRY
from verl.trainer.ppo.v1.trainer_base import TRAINER_REGISTRY
print(json.dumps({"estimators": sorted(k for k in ADV_ESTIMATOR_REGISTRY if k.startswith("alft")),
                  "trainers": sorted(k for k in TRAINER_REGISTRY if k.startswith("alft"))}))
"""


def _registered(policy):
    """What a fresh `import verl` registers under VERL_USE_EXTERNAL_PLUGINS=policy (None: verl's default)."""
    env = {k: v for k, v in os.environ.items() if k != "VERL_USE_EXTERNAL_PLUGINS"}
    if policy is not None:
        env["VERL_USE_EXTERNAL_PLUGINS"] = policy
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", PROBE], env=env, capture_output=True, text=True,
                          timeout=600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_verl_registers_alft_with_the_default_policy():
    found = _registered(None)
    assert found["estimators"] == sorted(ADV_ESTIMATORS)
    assert found["trainers"] == ["alft_colocate_async", "alft_separate_async", "alft_sync"]


def test_plugin_is_not_loaded_with_none():
    assert _registered("none") == {"estimators": [], "trainers": []}
