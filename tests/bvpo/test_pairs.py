"""The pair sets' checks (src/alft/bvpo/pairs.py) and the no-torch rule for the mathematics."""

import json
import subprocess
import sys

import pytest

from alft.bvpo.pairs import PairSets, PreferencePairs
from alft.errors import AlftInputError

TRACE = PreferencePairs(("1+2*3=", "4-1*2="), ("1+6=7", "4-2=2"), ("3*3=9", "3*2=6"))


def test_good_pair_sets_give_aligned_rows():
    sets = PairSets(TRACE, PreferencePairs(TRACE.prompts, ("7", "2"), ("9", "-6")))
    rows = sets.rows()
    assert rows["prompt"] == list(TRACE.prompts) and rows["rejected_empty"] == ["9", "-6"] and len(sets) == 2


def test_unequal_prompts_are_refused():
    with pytest.raises(AlftInputError, match=r"prompts\[1\]"):
        PairSets(TRACE, PreferencePairs(("1+2*3=", "5-1*2="), ("7", "2"), ("9", "6")))
    with pytest.raises(AlftInputError, match="one per trace pair"):
        PairSets(TRACE, PreferencePairs(("1+2*3=",), ("7",), ("9",)))


def test_an_empty_trace_that_is_not_empty_is_refused():
    with pytest.raises(AlftInputError, match=r"rejected\[0\].*empty trace"):
        PairSets(TRACE, PreferencePairs(TRACE.prompts, ("7", "2"), ("3*3=9", "6")))


def test_the_mathematics_loads_no_torch():
    code = "import sys, json, alft.bvpo, alft.bvpo.pairs, alft.bvpo.report; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers', 'trl'))))"
    assert json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout) == []
