"""Equivalence classes: math-verify semantics, the fast paths, thread safety and the reported cost."""

import itertools
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.answers import (GROUPERS, AnswerEquivalence, EquivalenceStats, canonicalize, clear_caches, get_grouper,
                          group_equivalent)
from alft.errors import AlftInputError

MATH = AnswerEquivalence()


def same(answers, i, j):
    ids = group_equivalent(answers)
    return ids[i] == ids[j]


def test_one_half_three_ways():
    ids = group_equivalent(["1/2", "0.5", "\\frac{1}{2}", "$0.50$", "1/3"])
    assert ids == [0, 0, 0, 0, 1]


def test_documented_math_verify_behaviour():
    # verify simplifies: 2√3 and √12 are one answer; x+1 and 1+x too (docs/concepts/answers.md#equivalence notes parse alone does not simplify)
    assert same(["2\\sqrt{3}", "\\sqrt{12}"], 0, 1)
    assert same(["x+1", "1+x"], 0, 1)
    assert not same(["x+1", "x+2"], 0, 1)
    # plain numbers are exact: rounding alike is not enough
    assert not same(["0.333333", "1/3"], 0, 1)


def test_none_and_empty_stay_none_and_ids_follow_first_appearance():
    assert group_equivalent([None, "7", "  ", "8", "7", None]) == [None, 0, None, 1, 0, None]
    assert group_equivalent([]) == []


def test_unparsable_strings_fall_back_to_string_equality():
    ids = group_equivalent(["Paris", "paris", "Paris.", "\\text{Paris}", "@@##", "@@##"])
    assert ids[0] == ids[2] == ids[3]
    assert ids[4] == ids[5] != ids[0]


def test_plain_numbers_need_no_math_verify():
    grouping = MATH.group(["1", "2", "3", "1", "4", "-5", "2.0"])
    assert grouping.class_ids == (0, 1, 2, 0, 3, 4, 1)
    assert grouping.stats.parses == 0 and grouping.stats.verifies == 0
    assert grouping.stats.answers == 7 and grouping.stats.distinct == 5 and grouping.stats.classes == 5


def test_parse_once_per_process_and_verify_only_candidates():
    clear_caches()
    groups = [["\\frac{1}{2}", "\\sqrt{2}", "x", "\\sqrt{8}/2"], ["\\sqrt{2}", "x", "\\frac{1}{2}", "2^{1/2}"]]
    batch = MATH.group_batch(groups)
    assert batch.stats.parses == 4  # each distinct non-number string parsed once for the whole batch
    # keys match only between the three spellings of √2: two pairs decided, never x against √2 or 1/2;
    # 2^{1/2} parses to the same expression as \sqrt{2} (math-verify's first rule: no verify call)
    assert batch.stats.verifies == 1 and batch.stats.same_parse == 1
    assert batch.class_ids == ((0, 1, 2, 1), (0, 1, 2, 0))
    assert batch.stats.seconds > 0
    again = MATH.group_batch(groups)  # a later step: everything is cached
    assert again.class_ids == batch.class_ids
    assert again.stats.parses == 0 and again.stats.verifies == 0 and again.stats.cache_hits > 0


def test_exact_grouper_never_calls_math_verify():
    grouping = GROUPERS["exact"].group(["\\frac{1}{2}", "0.5", "2\\sqrt{3}", "\\sqrt{12}"])
    assert grouping.class_ids == (0, 0, 1, 2)
    assert grouping.stats.parses == 0


def test_works_outside_the_main_thread():
    results = {}

    def run():
        results["ids"] = group_equivalent(["\\frac{1}{2}", "0.5", "x+1", "1+x"])
        results["stats"] = MATH.group(["\\frac{1}{3}", "\\sqrt{2}"]).stats

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    assert results["ids"] == [0, 0, 1, 1]
    assert results["stats"].fallbacks == 0


def test_stats_add_up():
    a = EquivalenceStats(seconds=1.0, answers=2, distinct=2, parses=1, verifies=1, fallbacks=0, classes=2)
    assert (a + a).answers == 4 and (a + a).seconds == 2.0


def test_bad_inputs():
    with pytest.raises(AlftInputError, match=r"answers\[i\]"):
        group_equivalent(["1", 2])  # type: ignore[list-item]
    with pytest.raises(AlftInputError, match="timeout_seconds"):
        AnswerEquivalence(timeout_seconds=0)
    with pytest.raises(AlftInputError, match="workers"):
        AnswerEquivalence(workers=-1)
    with pytest.raises(AlftInputError, match="grouper"):
        get_grouper("nope")
    assert get_grouper("math") is GROUPERS["math"]


def test_equal_to_naive_all_pairs_on_a_mixed_group():
    answers = ["1/2", "0.5", "\\frac{1}{2}", "2\\sqrt{3}", "\\sqrt{12}", "3", "x+1", "1+x", "\\pi", "3.0"]
    ids = group_equivalent(answers)
    import math_verify

    parsed = [math_verify.parse(f"${a}$") for a in answers]
    for i, j in itertools.combinations(range(len(answers)), 2):
        assert (ids[i] == ids[j]) == math_verify.verify(parsed[i], parsed[j]), (answers[i], answers[j])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30), st.integers(-50, 50).map(str)), max_size=16))
def test_any_answers_give_a_consistent_partition(answers):
    ids = GROUPERS["exact"](answers)
    assert len(ids) == len(answers)
    assert all((i is None) == (canonicalize(a) is None) for i, a in zip(ids, answers))
    seen = [i for i in ids if i is not None]
    assert sorted(set(seen)) == list(range(len(set(seen))))  # 0..m-1 by first appearance
    for a, b, i, j in ((a, b, i, j) for (a, i), (b, j) in itertools.combinations(zip(answers, ids), 2)):
        if a is not None and a == b:
            assert i == j


@settings(max_examples=20, deadline=None)
@given(st.lists(st.text(alphabet="0123456789/.-+x\\{}^ ", max_size=8), max_size=8))
def test_math_grouper_never_crashes_and_refines_nothing_exact_merges(answers):
    exact = GROUPERS["exact"](answers)
    math = MATH(answers)
    for (e1, m1), (e2, m2) in itertools.combinations(zip(exact, math), 2):
        if e1 is not None and e1 == e2:
            assert m1 == m2
