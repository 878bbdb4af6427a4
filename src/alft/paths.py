"""Where alft keeps what it computes once and reuses (solved tables, warm-ups)."""

import os
from pathlib import Path

from platformdirs import user_cache_dir


def cache_root() -> Path:
    """``$ALFT_CACHE_DIR`` when set (tests and CI point it at a temporary folder), else the user cache dir."""
    return Path(os.environ.get("ALFT_CACHE_DIR") or user_cache_dir("alft"))
