"""The predicted equilibrium as a measurement: p̂* ∝ p̂_ref^s, the sampled TV to it, the best-fitting exponent."""

import subprocess
import sys

import numpy as np
import pytest

from alft.games.probe import equilibrium_distance, predicted_equilibrium, sample_total_variation


def test_predicted_equilibrium_sharpens_the_reference():
    p_star = predicted_equilibrium(["1", "1", "1", "2", None], 2.0)
    assert p_star == pytest.approx({"1": 0.9, "2": 0.1})
    assert sample_total_variation(["1"] * 9 + ["2"], p_star) == pytest.approx(0.0)
    assert sample_total_variation([None, None], p_star) == 1.0


def test_equilibrium_distance_recovers_the_exponent_of_a_sharpened_policy():
    rng = np.random.default_rng(0)
    p_ref = np.array([0.5, 0.3, 0.2])
    references = [[str(x) for x in rng.choice(3, 400, p=p_ref)] for _ in range(30)]
    p3 = p_ref**3 / np.sum(p_ref**3)
    samples = [[str(x) for x in rng.choice(3, 400, p=p3)] for _ in range(30)]
    report = equilibrium_distance(samples, references, 3.0)
    assert report["tv_to_p_star"] < 0.1 and abs(report["best_exponent"] - 3.0) <= 0.5
    assert report["tv_to_reference"] > report["tv_to_p_star"]


def test_total_variation_does_not_depend_on_the_process_string_hash():
    code = ("from alft.games.probe import sample_total_variation as tv; "
            "print(repr(tv(['a'] * 7 + ['b'] * 13 + ['c'] * 3 + [str(i) for i in range(40)], "
            "{'a': 0.1, 'b': 0.7, 'd': 0.2})))")
    values = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
              for seed in range(6)}
    assert len(values) == 1
