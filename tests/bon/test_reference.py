"""The reference and its file format; bad input: every error names the field, the value and what was expected."""

import json

import numpy as np
import pytest

from alft.bon import Reference, read_reference
from alft.errors import AlftInputError


@pytest.mark.parametrize(
    ("probs", "rewards", "words"),
    [
        ([0.5, -0.1, 0.6], [0, 1, 2], ["probs", "-0.1", "index 1", "non-negative"]),
        ([0.5, float("nan"), 0.5], [0, 1, 2], ["probs", "nan", "index 1", "finite"]),
        ([0.5, 0.4], [0, 1], ["probs", "0.9", "off by -0.1", "sum of 1"]),
        ([0.5, 0.5], [0, 1, 2], ["rewards", "3 rewards for 2 probabilities", "equal length"]),
        ([], [], ["probs", "empty", "non-empty support"]),
        ([0.5, 0.5], [0, float("inf")], ["rewards", "inf", "index 1", "finite"]),
        ([[0.5, 0.5]], [[0, 1]], ["probs", "shape (1, 2)", "flat list"]),
        (["a", "b"], [0, 1], ["probs", "list of numbers"]),
    ],
)
def test_bad_input_names_the_field(probs, rewards, words):
    with pytest.raises(AlftInputError) as info:
        Reference.from_arrays(probs, rewards)
    for word in words:
        assert word in str(info.value)


def test_within_tolerance_is_renormalised_exactly():
    ref = Reference.from_arrays([0.3333333, 0.3333333, 0.3333334 + 5e-7], [0, 1, 2])
    assert ref.probs.sum() == pytest.approx(1.0, abs=1e-15)


def test_levels_group_ties_and_skip_zero_mass():
    ref = Reference.from_arrays([0.2, 0.0, 0.3, 0.1, 0.4], [1, 5, 1, 2, 0])
    lv = ref.levels
    np.testing.assert_allclose(lv.rewards, [0, 1, 2])  # the zero-mass reward 5 is no level
    np.testing.assert_allclose(lv.mass, [0.4, 0.5, 0.1])
    np.testing.assert_allclose(lv.cdf, [0.4, 0.9, 1.0])
    np.testing.assert_allclose(lv.cdf_below, [0.0, 0.4, 0.9])
    assert lv.index.tolist() == [1, -1, 1, 2, 0]
    np.testing.assert_allclose(np.exp(lv.log_cdf), lv.cdf)
    np.testing.assert_allclose(np.exp(lv.log_below_ratio), lv.cdf_below / lv.cdf)


def test_log_cdf_keeps_the_tail_of_a_tiny_top_level():
    # 1 − F just below the top is 1e-18, far below float64's resolution around 1.
    ref = Reference.from_arrays([1 - 1e-18, 1e-18], [0, 1])
    assert ref.levels.log_cdf[0] == pytest.approx(-1e-18, rel=1e-12)


def test_reference_file_round_trip(tmp_path):
    path = tmp_path / "ref.json"
    path.write_text(json.dumps({"probs": [0.5, 0.3, 0.2], "rewards": [0, 2, 1]}))
    ref = read_reference(path)
    np.testing.assert_allclose(ref.probs, [0.5, 0.3, 0.2])
    np.testing.assert_allclose(ref.levels.rewards, [0, 1, 2])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"probs": [1.0]}', ["--input", "['probs']", 'keys "probs" and "rewards"']),
        ("[0.5, 0.5]", ["--input", "'list'", "JSON object"]),
        ("{probs: [1.0]", ["--input", "not valid JSON", '{"probs": [...], "rewards": [...]}']),
        ('{"probs": [0.5, 0.6], "rewards": [0, 1]}', ["probs", "off by +0.1"]),
    ],
)
def test_bad_reference_file_names_the_field(tmp_path, text, words):
    path = tmp_path / "ref.json"
    path.write_text(text)
    with pytest.raises(AlftInputError) as info:
        read_reference(path, "--input")
    for word in words:
        assert word in str(info.value)


def test_unreadable_reference_file_names_the_path(tmp_path):
    with pytest.raises(AlftInputError, match="path: cannot read .*missing.json"):
        read_reference(tmp_path / "missing.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(AlftInputError, match="path: .*not valid JSON"):
        read_reference(binary)
