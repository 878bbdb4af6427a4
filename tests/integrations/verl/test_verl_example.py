"""examples/verl: the launch overrides compose against verl's own config and pass verl's and alft's checks;
the GSM8K rows carry what alft's compute_score reads."""

import importlib.util
import os
from pathlib import Path

import pytest

from alft.integrations.verl import compute_score

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "verl"


def _overrides() -> list[str]:
    lines = (EXAMPLE / "gsm8k_overrides.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_gsm8k_rows_carry_the_reference_compute_score_reads():
    spec = importlib.util.spec_from_file_location("prepare_gsm8k", EXAMPLE / "prepare_gsm8k.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    row = module.to_verl_row({"question": "How many?", "answer": "10 * 100 = 1000\n#### 1,000"}, 7, "train")
    assert row["reward_model"]["ground_truth"] == "1000" and row["prompt"][0]["role"] == "user"
    scored = compute_score(row["data_source"], "10 * 100 = 1000 so #### 1000", row["reward_model"]["ground_truth"])
    assert scored["score"] == 1.0 and scored["alft_answer"] == "1000"


def test_the_launch_overrides_compose_and_pass_verls_and_alfts_checks():
    pytest.importorskip("verl.protocol")  # a submodule: this very folder imports as a namespace "verl"
    import verl
    from hydra import compose, initialize_config_dir
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config

    from alft.integrations.verl import check_config

    config_dir = os.path.join(os.path.dirname(verl.__file__), "trainer", "config")
    with initialize_config_dir(config_dir=config_dir, version_base=None):
        config = compose("ppo_trainer", overrides=_overrides())
    assert config.algorithm.adv_estimator == "alft" and config.trainer.v1.trainer_mode == "alft_sync"
    assert config.reward.custom_reward_function.path == "pkg://alft.integrations.verl.score"
    check_config(config)  # alft's settings, tried on a group of rollout.n = 16
    validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))


@pytest.mark.parametrize(("override", "message"), [
    ("algorithm.adv_estimator=alft_coherense", "algorithm.adv_estimator: got 'alft_coherense', expected one of alft,"),
    ("+algorithm.alft.estimator=magic", "algorithm.alft.estimator: got 'magic'"),
])
def test_the_launcher_refuses_bad_alft_settings_in_the_driver_before_ray(tmp_path, override, message):
    """python -m alft.integrations.verl.main (run_gsm8k.sh's launcher) checks alft's settings before verl's
    main_ppo starts Ray: one error line, no Ray instance."""
    pytest.importorskip("verl.protocol")
    import subprocess
    import sys

    key = override.lstrip("+").split("=")[0]
    overrides = [o for o in _overrides() if o.lstrip("+").split("=")[0] != key] + [override]
    done = subprocess.run([sys.executable, "-m", "alft.integrations.verl.main", *overrides], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode != 0 and message in done.stderr, done.stderr[-2000:]
    assert "Ray instance" not in done.stderr + done.stdout  # refused before ray.init (which announces one)
