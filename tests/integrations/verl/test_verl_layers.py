"""The plugin's verl-free half imports neither verl nor torch: the main environment can use and test it."""

import subprocess
import sys

CHECK = """
import sys
import alft, alft.integrations, alft.integrations.verl
from alft.integrations.verl import handoff, rewards, score, settings
heavy = sorted(name for name in ("verl", "torch", "transformers", "trl") if name in sys.modules)
print(",".join(heavy))
"""


def test_the_package_top_level_imports_no_verl_and_no_torch():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.strip() == ""
