"""Solved tables go to a per-session temporary cache, never the user's."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _table_cache(tmp_path_factory):
    if os.environ.get("ALFT_CACHE_DIR"):  # the repo-wide conftest already chose one
        yield
        return
    os.environ["ALFT_CACHE_DIR"] = str(tmp_path_factory.mktemp("alft-cache"))
    yield
    del os.environ["ALFT_CACHE_DIR"]
