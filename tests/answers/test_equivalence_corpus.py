"""alft's classes against all-pairs math-verify on the corpus (issue 20): every disagreement is listed here with
its reason, and a listed one that no longer happens fails too. The oracle is stored in the corpus file
(``benchmarks/equivalence_corpus.py`` computes it: parse every string, verify every pair, union)."""

import itertools
import json
from pathlib import Path

from alft.answers import AnswerEquivalence, clear_caches

CORPUS = json.loads((Path(__file__).parent / "data" / "equivalence_corpus.json").read_text())

NFKC = ("canonicalize applies Unicode NFKC, so '²' becomes '2' and math-verify reads '…1,000.99m2' as another "
        "expression; a prose string from math-verify's extraction tests, not an extracted answer")
DISAGREEMENTS = {
    ("1000.99", "so the number is 10 which is 1,000.99m²"): NFKC,
    ("1000.99", "not it's not 10 it's 1,000.99m²"): NFKC,
    ("\\frac{1}{12}", "0.0833333333333333"): "two plain numbers are compared exactly, by design (docs/concepts/answers.md#equivalence): "
    "math-verify rounds a decimal to 6 places and joins them; alft keeps 0.0833333333333333 ≠ 1/12",
}
"""(earlier, later) string pairs where alft and all-pairs math-verify disagree, and why."""


def test_the_corpus_is_large_and_says_where_each_string_comes_from():
    assert CORPUS["distinct_strings"] >= 500
    groups = CORPUS["groups"] + CORPUS["mixed_groups"]
    assert {g["source"] for g in CORPUS["groups"]} <= set(CORPUS["sources"])
    assert len({a for g in groups for a in g["answers"]}) == CORPUS["distinct_strings"]


def test_same_classes_as_all_pairs_math_verify_except_the_listed_cases():
    clear_caches()
    grouper = AnswerEquivalence()
    found = {}
    for group in CORPUS["groups"] + CORPUS["mixed_groups"]:
        answers, oracle = group["answers"], group["all_pairs_classes"]
        ids = grouper(answers)
        for i, j in itertools.combinations(range(len(answers)), 2):
            ours = ids[i] is not None and ids[i] == ids[j]
            if answers[i] != answers[j] and ours != (oracle[i] == oracle[j]):
                found[(answers[i], answers[j])] = group["name"]
    assert set(found) == set(DISAGREEMENTS), found
