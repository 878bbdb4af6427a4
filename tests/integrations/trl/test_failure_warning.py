"""The failure warning: fires on a fall beyond noise (collapse or scattering), not on a stationary run."""

from __future__ import annotations

import numpy as np

from alft.integrations.trl import FailureTest, FailureWarningCallback


def _steps(accuracy, share, entropy, groups=8):
    return [{"alft/sample_accuracy": a, "alft/majority_share": s, "alft/answer_entropy": e, "alft/n_groups": groups}
            for a, s, e in zip(accuracy, share, entropy)]


def _first_alarm(lines, test=None):
    test = test or FailureTest()
    for step, logs in enumerate(lines, start=1):
        evidence = test.add(step, logs)
        if evidence is not None:
            return evidence
    return None


def _noise(rng, n, mean, sd):
    return np.clip(rng.normal(mean, sd, n), 0, 1)


def test_a_stationary_run_of_3200_steps_gets_no_warning():
    rng = np.random.default_rng(0)
    n = 3200
    assert _first_alarm(_steps(_noise(rng, n, 0.75, 0.15), _noise(rng, n, 0.8, 0.05), _noise(rng, n, 0.5, 0.1))) is None


def test_a_rising_run_gets_no_warning():
    rng = np.random.default_rng(1)
    accuracy = np.clip(np.linspace(0.6, 0.9, 800) + rng.normal(0, 0.15, 800), 0, 1)
    assert _first_alarm(_steps(accuracy, _noise(rng, 800, 0.8, 0.05), _noise(rng, 800, 0.5, 0.1))) is None


def test_a_collapse_is_caught_soon_after_it_starts_and_named():
    rng = np.random.default_rng(2)
    accuracy = np.concatenate([_noise(rng, 50, 0.75, 0.15), _noise(rng, 100, 0.35, 0.15)])
    share = np.concatenate([_noise(rng, 50, 0.75, 0.05), _noise(rng, 100, 0.95, 0.03)])
    evidence = _first_alarm(_steps(accuracy, share, _noise(rng, 150, 0.5, 0.1)))
    assert evidence is not None and evidence["kind"] == "collapse" and 50 < evidence["step"] <= 65
    assert evidence["sample_accuracy"][1] < evidence["sample_accuracy"][0]


def test_scattering_is_caught_and_named():
    rng = np.random.default_rng(3)
    accuracy = np.concatenate([_noise(rng, 20, 0.7, 0.15), _noise(rng, 50, 0.1, 0.05)])
    share = np.concatenate([_noise(rng, 20, 0.75, 0.05), _noise(rng, 50, 0.2, 0.05)])
    entropy = np.concatenate([_noise(rng, 20, 0.5, 0.1), np.full(50, 2.0)])
    evidence = _first_alarm(_steps(accuracy, share, entropy))
    assert evidence is not None and evidence["kind"] == "scatter" and evidence["step"] <= 30


def test_without_accuracy_only_the_extremes_warn():
    steps = [{"alft/majority_share": s, "alft/answer_entropy": e} for s, e in [(0.7, 0.6)] * 10 + [(0.75, 0.55)] * 40]
    assert _first_alarm(steps) is None
    collapsed = steps[:10] + [{"alft/majority_share": 1.0, "alft/answer_entropy": 0.0}] * 10
    assert _first_alarm(collapsed)["kind"] == "collapse"


def test_the_callback_warns_once_with_its_evidence():
    lines = []
    callback = FailureWarningCallback(lines.append)
    rng = np.random.default_rng(4)
    accuracy = np.concatenate([_noise(rng, 20, 0.8, 0.1), np.zeros(40)])
    state = type("State", (), {"global_step": 0})()
    for step, logs in enumerate(_steps(accuracy, np.full(60, 0.9), np.full(60, 0.3)), start=1):
        state.global_step = step
        callback.on_log(None, state, None, logs=logs)
    assert len(lines) == 1 and "collapse" in lines[0] and callback.evidence["step"] < 30
