"""The on-disk table cache: reuse, corruption recovery, unwritable locations."""

import json

import numpy as np
import pytest

from alft.estimators import cache, get_estimator


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path))
    cache.clear_memory()
    yield cache.cache_dir()
    cache.clear_memory()


def _only_file(folder):
    (path,) = folder.glob("aqp-K8-*.json")
    return path


def test_a_solved_table_is_written_once_and_read_back(fresh_cache):
    first = get_estimator("aqp", 8).table
    path = _only_file(fresh_cache)
    cache.clear_memory()
    np.testing.assert_array_equal(get_estimator("aqp", 8).table, first)
    assert _only_file(fresh_cache) == path


@pytest.mark.parametrize("damage", ["truncate", "edit-number", "not-json", "wrong-length"])
def test_a_corrupt_file_is_recomputed_with_a_warning(fresh_cache, damage):
    first = get_estimator("aqp", 8).table.copy()
    path = _only_file(fresh_cache)
    text = path.read_text()
    if damage == "truncate":
        path.write_text(text[: len(text) // 2])
    elif damage == "not-json":
        path.write_text("\x00garbage")
    else:
        entry = json.loads(text)
        table = entry["payload"]["table"]
        entry["payload"]["table"] = table[:-1] if damage == "wrong-length" else [table[0] + 1e-3] + table[1:]
        path.write_text(json.dumps(entry))
    cache.clear_memory()
    with pytest.warns(UserWarning, match="corrupt"):
        again = get_estimator("aqp", 8).table
    np.testing.assert_array_equal(again, first)
    assert json.loads(path.read_text())["payload"]["table"] == first.tolist()


def test_an_unwritable_location_falls_back_to_memory(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("ALFT_CACHE_DIR", str(blocker / "below"))  # a directory under a file cannot exist
    cache.clear_memory()
    with pytest.warns(UserWarning, match="not writable"):
        table = get_estimator("aqp", 8).table
    assert np.all(np.isfinite(table))
    cache.clear_memory()
