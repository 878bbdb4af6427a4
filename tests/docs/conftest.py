"""The docs' build scripts live in docs/_build (not a package): make them importable for these tests."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_build"))
