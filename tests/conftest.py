"""Repo-wide: solved tables and warm-ups go to a per-session temporary cache, never the user's."""

import os

import pytest
from hypothesis import settings

# CI shares 2 cores with xdist workers: no per-example deadline, and a fixed example sequence so a red run
# reproduces exactly.
settings.register_profile("alft", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("alft")


@pytest.fixture(autouse=True, scope="session")
def _alft_cache(tmp_path_factory):
    previous = os.environ.get("ALFT_CACHE_DIR")
    os.environ["ALFT_CACHE_DIR"] = str(tmp_path_factory.mktemp("alft-cache"))
    yield
    if previous is None:
        del os.environ["ALFT_CACHE_DIR"]
    else:
        os.environ["ALFT_CACHE_DIR"] = previous
