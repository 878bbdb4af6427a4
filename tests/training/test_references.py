"""Reference answers of the anchor (SPEC §2.6): cached, resumable, never reused for other prompts or models;
and the equilibrium measurement."""

import json

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.training.probe import equilibrium_distance, predicted_equilibrium, total_variation
from alft.training.references import draw_references, read_reference_cache, reference_header, reference_path


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))


def _header(prompts, **changes):
    return reference_header("hub-model", prompts, **{"draws": 4, "max_new_tokens": 8, "temperature": 1.0,
                                                    "extractor": "arithmetic", "seed": 0, **changes})


def _sampler(calls):
    def sample(chunk, seed):
        calls.append(seed)
        rng = np.random.default_rng(seed)
        return [[str(int(x)) for x in rng.integers(0, 3, 4)] for _ in chunk]
    return sample


def test_a_killed_stage_resumes_without_redoing_finished_prompts():
    prompts = [f"p{i}" for i in range(20)]
    header = _header(prompts)
    full_calls = []
    full, path = draw_references(prompts, header, _sampler(full_calls))
    # simulate a kill after the first chunk, with a torn line
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n" + lines[2][:10])
    calls = []
    resumed, _ = draw_references(prompts, header, _sampler(calls))
    assert resumed == full
    assert calls == full_calls[1:]  # only the unfinished chunks were drawn again
    assert read_reference_cache(path, header) == full


def test_other_prompts_or_models_get_another_set_and_a_foreign_file_is_refused():
    prompts = ["a", "b"]
    header = _header(prompts)
    assert reference_path(header) != reference_path(_header(["a", "c"]))
    assert reference_path(header) != reference_path(_header(prompts, draws=8))
    _, path = draw_references(prompts, header, _sampler([]))
    other = _header(["a", "c"])
    with pytest.raises(AlftInputError, match="reference_answers"):
        read_reference_cache(path, other)


def test_runs_drawing_at_once_share_one_set_drawn_once(tmp_path):
    """Parallel seeds of a comparison start together: the first draws, the others wait and read its set
    (unlocked, both appended every chunk and the file held twice the prompts)."""
    import threading
    import time

    prompts = [f"p{i}" for i in range(24)]
    header = _header(prompts)
    calls, results = [], []
    slow = _sampler(calls)

    def sample(chunk, seed):
        time.sleep(0.02)  # let the other run reach the file mid-draw
        return slow(chunk, seed)

    runs = [threading.Thread(target=lambda: results.append(draw_references(prompts, header, sample)[0]))
            for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(calls) == len(range(0, len(prompts), 8))  # every chunk drawn once
    assert results[0] == results[1] == results[2] == read_reference_cache(reference_path(header), header)
    assert len(results[0]) == len(prompts)


def test_a_file_with_more_answers_than_prompts_is_refused():
    prompts = ["a", "b"]
    header = _header(prompts)
    _, path = draw_references(prompts, header, _sampler([]))
    path.write_text(path.read_text() + path.read_text().splitlines()[1] + "\n")
    with pytest.raises(AlftInputError, match="holds 4 prompts' answers, expected at most 2"):
        read_reference_cache(path, header)


def test_predicted_equilibrium_sharpens_the_reference():
    p_star = predicted_equilibrium(["1", "1", "1", "2", None], 2.0)
    assert p_star == pytest.approx({"1": 0.9, "2": 0.1})
    assert total_variation(["1"] * 9 + ["2"], p_star) == pytest.approx(0.0)
    assert total_variation([None, None], p_star) == 1.0


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
    import subprocess
    import sys

    code = ("from alft.training.probe import total_variation as tv; "
            "print(repr(tv(['a'] * 7 + ['b'] * 13 + ['c'] * 3 + [str(i) for i in range(40)], "
            "{'a': 0.1, 'b': 0.7, 'd': 0.2})))")
    values = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
              for seed in range(6)}
    assert len(values) == 1
