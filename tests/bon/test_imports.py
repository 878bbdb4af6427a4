"""``import alft.bon`` is numpy/scipy only: no torch, transformers or trl, and no matplotlib until a figure
is drawn (a fresh interpreter, since this test process may have loaded them already)."""

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "trl", "matplotlib")

_PROBE = f"""
import json, sys
import alft.bon
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})))
"""


def test_import_alft_bon_loads_no_torch_transformers_trl_or_matplotlib():
    result = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout) == []
