"""Shared artefacts for the task tests: one tiny warm-up per session, in a temporary cache."""

import pytest


@pytest.fixture(scope="session")
def tiny_warmup(tmp_path_factory):
    from alft.task.warmup import WarmupConfig, warm_up

    return warm_up(WarmupConfig.tiny(), seed=0, cache_dir=tmp_path_factory.mktemp("cache"), progress=False)


@pytest.fixture(scope="session")
def tiny_policy(tiny_warmup):
    from alft.task.loading import load_policy

    return load_policy(str(tiny_warmup.path))
