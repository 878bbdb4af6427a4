"""Repo-wide: solved tables and warm-ups go to a per-session temporary cache, never the user's."""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _alft_cache(tmp_path_factory):
    previous = os.environ.get("ALFT_CACHE_DIR")
    os.environ["ALFT_CACHE_DIR"] = str(tmp_path_factory.mktemp("alft-cache"))
    yield
    if previous is None:
        del os.environ["ALFT_CACHE_DIR"]
    else:
        os.environ["ALFT_CACHE_DIR"] = previous
