"""Faults of the table cache (issue 7, item 2): two writers at once, a truncated or edited file at any byte, a
writer killed while holding the lock, a vanished cache folder, an unwritable location.

(``tests/estimators/test_cache.py`` covers the basic corrupt-file kinds; these are the multi-process and
adversarial cases.)
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.estimators import cache, get_estimator

_SOLVE = textwrap.dedent(
    """
    import json, sys
    from alft.estimators import get_estimator
    print(json.dumps(get_estimator(sys.argv[1], int(sys.argv[2])).table.tolist()))
    """
)


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))
    cache.clear_memory()
    yield cache.cache_dir()
    cache.clear_memory()


def _solve_in(processes, name, K, cache_root):
    env = {**os.environ, "ALFT_CACHE_DIR": str(cache_root), "OMP_NUM_THREADS": "1"}
    children = [subprocess.Popen([sys.executable, "-c", _SOLVE, name, str(K)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env) for _ in range(processes)]
    outputs = [child.communicate(timeout=240) for child in children]
    assert all(child.returncode == 0 for child in children), [err[-2000:] for _, err in outputs]
    assert not any("UserWarning" in err for _, err in outputs), [err for _, err in outputs]
    return [json.loads(out) for out, _ in outputs]


@pytest.mark.slow  # two fresh interpreters solving minimax and aqp at K = 32 at the same time
def test_two_processes_writing_the_same_table_at_once_agree_and_leave_one_valid_file(fresh_cache):
    tables = _solve_in(2, "aqp", 32, fresh_cache.parent.parent)
    assert tables[0] == tables[1]
    files = sorted(p.name for p in fresh_cache.iterdir() if p.suffix == ".json")
    assert len([f for f in files if f.startswith("aqp-K32-")]) == 1
    assert not [p for p in fresh_cache.iterdir() if p.name.endswith(".tmp")]  # no half-written leftovers
    (path,) = fresh_cache.glob("aqp-K32-*.json")
    assert cache._read(path, 32)["table"] == tables[0]  # the file verifies (checksum, shape, finite)
    np.testing.assert_array_equal(get_estimator("aqp", 32).table, tables[0])  # and this process reads it back


@contextlib.contextmanager
def _cache_at(root):
    """ALFT_CACHE_DIR = root (and no in-process copies) for the block; the previous value restored after."""
    old = os.environ.get("ALFT_CACHE_DIR")
    os.environ["ALFT_CACHE_DIR"] = str(root)
    cache.clear_memory()
    try:
        yield cache.cache_dir()
    finally:
        cache.clear_memory()
        if old is None:
            os.environ.pop("ALFT_CACHE_DIR", None)
        else:
            os.environ["ALFT_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def reference_entry(tmp_path_factory):
    """A verified cache file for aqp at K = 8 and its table."""
    with _cache_at(tmp_path_factory.mktemp("reference-cache")) as folder:
        table = get_estimator("aqp", 8).table.tolist()
        (path,) = folder.glob("aqp-K8-*.json")
        return path.name, path.read_text(), table


def _recovered(fresh_cache, name, text, table):
    """Write ``text`` as the cache file, then check the table comes back exactly and the file is repaired."""
    fresh_cache.mkdir(parents=True, exist_ok=True)
    path = fresh_cache / name
    path.write_text(text)
    cache.clear_memory()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = get_estimator("aqp", 8).table.tolist()
    assert again == table
    assert cache._read(path, 8)["table"] == table
    return [str(w.message) for w in caught]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_a_cache_file_truncated_at_any_byte_is_recomputed(reference_entry, tmp_path_factory, data):
    name, text, table = reference_entry
    cut = data.draw(st.integers(0, len(text) - 1))
    with _cache_at(tmp_path_factory.mktemp("truncated")) as folder:
        messages = _recovered(folder, name, text[:cut], table)
    assert any("corrupt" in m for m in messages)


@pytest.mark.parametrize("edit", ["nan entry", "inf entry", "flipped digit", "extra entry", "table a string",
                                  "payload missing", "checksum missing", "a JSON list", "valid checksum, NaN entry"])
def test_an_edited_cache_file_is_refused_and_recomputed(fresh_cache, reference_entry, edit):
    name, text, table = reference_entry
    entry = json.loads(text)
    payload = entry["payload"]
    if edit == "nan entry":
        payload["table"][3] = float("nan")
    elif edit == "inf entry":
        payload["table"][0] = float("inf")
    elif edit == "flipped digit":
        payload["table"][5] = payload["table"][5] * (1 + 1e-12)
    elif edit == "extra entry":
        payload["table"].append(0.0)
    elif edit == "table a string":
        payload["table"] = "0,0,0,0,0,0,0,0"
    elif edit == "payload missing":
        del entry["payload"]
    elif edit == "checksum missing":
        del entry["sha256"]
    elif edit == "a JSON list":
        entry = [entry]
    else:  # someone "repaired" the checksum after editing: shape/finiteness checks must still catch it
        payload["table"][1] = float("nan")
        entry["sha256"] = cache._checksum(payload)
    messages = _recovered(fresh_cache, name, json.dumps(entry), table)
    assert any("corrupt" in m for m in messages)


def test_a_writer_killed_while_holding_the_lock_blocks_nobody(fresh_cache, reference_entry):
    name, _, table = reference_entry
    fresh_cache.mkdir(parents=True)
    lock_path = fresh_cache / (name + ".lock")
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from filelock import FileLock
            lock = FileLock({str(lock_path)!r}); lock.acquire()
            open({str(fresh_cache / (name + '.partial.tmp'))!r}, 'w').write('{{"sha256": "')  # a half-written temp file
            print('locked', flush=True); time.sleep(600)
            """)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    os.kill(holder.pid, signal.SIGKILL)  # our own child, by its id
    holder.wait()
    cache.clear_memory()
    assert get_estimator("aqp", 8).table.tolist() == table  # the OS released the lock with the process
    assert cache._read(fresh_cache / name, 8)["table"] == table


def test_a_cache_folder_deleted_mid_session_is_rebuilt(fresh_cache, reference_entry):
    import shutil

    _, _, table = reference_entry
    assert get_estimator("aqp", 8).table.tolist() == table
    shutil.rmtree(fresh_cache)
    cache.clear_memory()
    assert get_estimator("aqp", 8).table.tolist() == table
    assert len(list(fresh_cache.glob("aqp-K8-*.json"))) == 1


def test_an_unwritable_cache_warns_once_then_serves_tables_from_memory(tmp_path, monkeypatch, reference_entry):
    _, _, table = reference_entry
    blocker = tmp_path / "a-regular-file"
    blocker.write_text("")
    # root ignores permission bits, so a path below a regular file is the reliable "cannot be written" location
    monkeypatch.setenv("ALFT_CACHE_DIR", str(blocker / "sub"))
    cache.clear_memory()
    with pytest.warns(UserWarning, match="not writable"):
        assert get_estimator("aqp", 8).table.tolist() == table
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the second call is served from memory: no warning, no solve
        assert get_estimator("aqp", 8).table.tolist() == table
    cache.clear_memory()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores permission bits; covered by the path-under-a-file test")
def test_a_read_only_cache_folder_falls_back_to_memory(tmp_path, monkeypatch):
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o500)
    monkeypatch.setenv("ALFT_CACHE_DIR", str(folder))
    cache.clear_memory()
    with pytest.warns(UserWarning, match="not writable"):
        assert np.all(np.isfinite(get_estimator("aqp", 8).table))
    cache.clear_memory()


def test_an_error_inside_the_solver_is_not_mistaken_for_an_unwritable_cache(fresh_cache):
    calls = []

    def compute():
        calls.append(1)
        raise TimeoutError("solver interrupted")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a "not writable" warning here would be false
        with pytest.raises(TimeoutError):
            cache.cached("test-solver", 4, {}, compute)
    assert calls == [1]
