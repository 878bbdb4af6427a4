"""Grouping at scale (issue 20): caches across steps with a memory bound, the judge processes' time bound in any
thread, bad input, the process pool, and reference counts taken on answer classes."""

import sys
import threading
import time

import numpy as np
import pytest

from alft.answers import AnswerEquivalence, clear_caches
from alft.answers import equivalence
from alft.answers.fingerprint import AnswerKey
from alft.answers.groups import answer_groups, reference_counts
from alft.answers.judge import FAILED, JUDGES, KEY, VERIFY

STEPS = 10_000
CACHE_BYTES_BOUND = 96 * 2**20
"""What the three caches may hold when full of ~15-character answers (measured: 8.5 + 22 + 37 ≈ 67 MB)."""


def deep_size(value: object, seen: set[int]) -> int:
    """Bytes of an object and what it holds (containers, AnswerKey fields), each object counted once."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(deep_size(k, seen) + deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, (tuple, list, frozenset, set)):
        size += sum(deep_size(item, seen) for item in value)
    elif isinstance(value, AnswerKey):
        size += deep_size(value.tags, seen) + deep_size(value.values, seen)
    return size


def test_caches_stay_bounded_over_ten_thousand_steps_of_fresh_answers(monkeypatch):
    # A fake judge (every key matches, every verdict is "no") makes each step verify all pairs of its 8 fresh
    # answers: 80 000 new strings and 280 000 new pairs, more than every cache holds.
    def fake_run(operation, items, timeout_seconds, workers):
        return [AnswerKey(frozenset({("all",)}), form=item) if operation == KEY else False for item in items]

    monkeypatch.setattr(JUDGES, "run", fake_run)
    clear_caches()
    grouper = AnswerEquivalence()
    caches = (equivalence.CANONICAL_CACHE, equivalence.KEY_CACHE, equivalence.VERDICT_CACHE)
    for step in range(STEPS):
        ids = grouper([f"x_{{{step}}}+{i}" for i in range(8)])
        assert ids == list(range(8))
        if step % 1000 == 999:
            assert [len(c) for c in caches] <= [c.max_entries for c in caches]
    assert [len(c) for c in caches] == [equivalence.CANONICAL_CACHE_ENTRIES, equivalence.KEY_CACHE_ENTRIES,
                                        equivalence.VERDICT_CACHE_ENTRIES]  # full, and not beyond
    seen: set[int] = set()
    held = sum(deep_size(cache._items, seen) for cache in caches)
    assert held < CACHE_BYTES_BOUND, held
    clear_caches()


def test_a_later_step_reuses_keys_and_verdicts():
    clear_caches()
    grouper = AnswerEquivalence()
    step = [["2\\sqrt{3}", "\\sqrt{12}", "x+1", "1+x", "\\frac{\\pi}{2}", "90^\\circ"]] * 3
    first = grouper.group_batch(step)
    second = grouper.group_batch(step)
    assert first.class_ids == second.class_ids == ((0, 0, 1, 1, 2, 3),) * 3
    assert first.stats.parses == 6 and first.stats.verifies >= 1
    assert second.stats.parses == 0 and second.stats.verifies == 0


@pytest.mark.parametrize("in_thread", [False, True])
def test_bad_answers_neither_hang_nor_crash_in_any_thread(in_thread):
    clear_caches()
    grouper = AnswerEquivalence(timeout_seconds=1)
    huge = "\\frac{1}{2}+" * 900 + "x"  # 10 kB of LaTeX
    bomb = "\\frac{" * 60 + "1" + "}{2}" * 60
    nested = "{" * 500 + "x" + "}" * 500
    tower = "10^{10^{10^{10}}}"  # sympy would compute a 10^10-digit integer: only killing the judge stops it
    answers = [huge, bomb, nested, tower, "\\frac{1}{2}", "0.5", tower, "x+1", "1+x"]
    result = {}

    def run():
        start = time.perf_counter()
        result["grouping"] = grouper.group(answers)
        result["seconds"] = time.perf_counter() - start

    if in_thread:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(60)
        assert not worker.is_alive()
    else:
        run()
    grouping = result["grouping"]
    ids = grouping.class_ids
    assert ids[4] == ids[5] and ids[7] == ids[8] and ids[3] == ids[6]  # nothing lost: good answers still grouped
    assert len({ids[0], ids[1], ids[2], ids[3], ids[4], ids[7]}) == 6
    assert grouping.stats.fallbacks >= 3  # the huge one (length guard), the tower (time bound) and more
    assert result["seconds"] < 30
    again = grouper.group(answers)  # a fallback is remembered: the bad answers cost their bound once
    assert again.class_ids == ids and again.stats.parses == 0


def test_judge_restarts_after_a_kill_and_finishes_the_rest():
    results = JUDGES.run(KEY, ["10^{10^{10^{10}}}", "x+1", "\\frac{1}{3}"], 1, 1)
    assert results[0] == FAILED
    assert results[1] != FAILED and results[2] != FAILED
    assert JUDGES.run(VERIFY, [("x+1", "1+x")], 1, 1) == [True]


def test_in_process_and_pooled_judges_give_the_same_classes():
    groups = [["\\frac{1}{2}", "0.5", "2\\sqrt{3}", "\\sqrt{12}", f"x+{g}", f"{g}+x", "\\text{Yes}", "yes"]
              for g in range(80)]
    by_mode = {}
    for workers in (0, 1, 2):
        clear_caches()
        by_mode[workers] = AnswerEquivalence(workers=workers).group_batch(groups).class_ids
    assert by_mode[0] == by_mode[1] == by_mode[2] == ((0, 0, 1, 1, 2, 2, 3, 3),) * 80


def test_reference_counts_compare_classes_not_strings():
    # references in other spellings than the group's answers: math-verify says they are equal
    completions = ["0.5", "\\sqrt{12}", "x+1", "7", "\\frac{\\sqrt{2}}{2}", "\\text{Paris}", "", "3"]
    groups = answer_groups(completions, 4, extractor=lambda text: text or None, grouper="math")
    references = [["\\frac{1}{2}", "2\\sqrt{3}", "1+x", "2\\sqrt{3}", None, "8"],
                  ["\\frac{1}{\\sqrt{2}}", "paris", "3.0", "3", None, None]]
    counts, M = reference_counts(groups, references)
    assert M == 6
    assert counts.tolist() == [1, 2, 1, 0, 1, 1, 2, 2]
    exact_counts, _ = reference_counts(groups, references, grouper="exact")
    assert exact_counts.tolist() == [1, 0, 0, 0, 0, 0, 2, 2]  # string equality: only 1/2 = 0.5 and 3 = 3.0


def test_reference_counts_follow_the_groups_grouper():
    groups = answer_groups(["\\sqrt{12}", "2"], 2, extractor=lambda text: text, grouper="exact")
    assert reference_counts(groups, [["2\\sqrt{3}", "2"]])[0].tolist() == [0, 1]
    assert reference_counts(groups, [["2\\sqrt{3}", "2"]], grouper="math")[0].tolist() == [1, 1]
