"""The extractor against human-read labels of real completions, and the extractor–grouper agreement (issue 25).

The corpus (data/extraction_corpus.jsonl) holds SmolLM2-135M-Instruct completions of grade-school word problems
and public model outputs, each labelled with the answer a human reader says it commits to (``null`` for none).
An extracted answer agrees with a label when both are ``None`` or the gold-answer check scores it equal
(:func:`alft.answers.equivalent_to`, the ``math`` grouper) — and then the grouper must count it in the label's
class too, whichever comes first: what is scored equal is counted equal.
"""

import json
import logging
import warnings
from pathlib import Path

import pytest

from alft.answers import (
    canonicalize,
    equivalent_to,
    extract_answer,
    extract_answers,
    extract_arithmetic,
    get_grouper,
)
from alft.errors import AlftInputError

CORPUS_PATH = Path(__file__).parent / "data" / "extraction_corpus.jsonl"
CORPUS = [json.loads(line) for line in CORPUS_PATH.read_text().splitlines() if line.strip()]
logging.getLogger("math_verify").setLevel(logging.ERROR)


def _agrees(answer, label) -> bool:
    answer, label = canonicalize(answer), canonicalize(label)
    if answer is None or label is None:
        return answer is None and label is None
    return bool(equivalent_to([answer], [label], "math")[0])


def test_the_corpus_is_labelled_and_sourced():
    assert len(CORPUS) >= 200
    assert len({item["id"] for item in CORPUS}) == len(CORPUS)
    for item in CORPUS:
        assert isinstance(item["text"], str) and item["text"], item["id"]
        assert item["label"] is None or (isinstance(item["label"], str) and item["label"].strip()), item["id"]
        assert item["source"] and isinstance(item["note"], str), item["id"]
        assert item["split"] in ("dev", "heldout"), item["id"]
    committing = sum(item["label"] is not None for item in CORPUS)
    assert 0.5 * len(CORPUS) < committing < len(CORPUS)  # both kinds present
    assert 0.2 * len(CORPUS) < sum(item["split"] == "heldout" for item in CORPUS) < 0.4 * len(CORPUS)


# Floors per split, below today's agreement (dev 0.975, held-out 0.895 — the held-out split was not looked at
# while the rules were tuned, so it is the honest estimate on new completions; see benchmarks/results).
SPLIT_FLOORS = {"dev": 0.95, "heldout": 0.85}


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_auto_agrees_with_the_human_labels(split):
    items = [item for item in CORPUS if item["split"] == split]
    agree = [_agrees(extract_answer(item["text"]), item["label"]) for item in items]
    committing = [ok for ok, item in zip(agree, items) if item["label"] is not None]
    floor = SPLIT_FLOORS[split]
    assert sum(agree) / len(agree) >= floor, f"{split}: {sum(agree)}/{len(agree)}"
    assert sum(committing) / len(committing) >= floor, f"{split} committing: {sum(committing)}/{len(committing)}"


def test_auto_reaches_the_issue_bar_on_the_whole_corpus():
    agree = [_agrees(extract_answer(item["text"]), item["label"]) for item in CORPUS]
    assert sum(agree) / len(agree) >= 0.95, f"{sum(agree)}/{len(agree)}"


def test_what_is_scored_equal_is_counted_equal():
    """For every corpus answer: scored equal to the label ⇔ one class with it, in either order."""
    grouper = get_grouper("math")
    for item in CORPUS:
        answer, label = canonicalize(extract_answer(item["text"])), canonicalize(item["label"])
        if answer is None or label is None:
            continue
        scored = bool(equivalent_to([answer], [label], "math")[0])
        first, second = grouper([label, answer]), grouper([answer, label])
        assert (first[0] == first[1]) == scored == (second[0] == second[1]), (item["id"], answer, label)


@pytest.mark.parametrize(
    ("answer", "reference"),
    [("20 - 9 = 11", "11"), ("x = 11", "11"), ("11 pencils", "11"), ("12 + 84 = 208", "208")],
)
def test_a_calculation_and_its_result_are_one_class_in_either_order(answer, reference):
    # before: the grouper put '20 - 9 = 11' apart from '11' when it came first, while scoring matched it
    grouper = get_grouper("math")
    ids = [grouper([canonicalize(answer), reference]), grouper([reference, canonicalize(answer)])]
    assert all(pair[0] == pair[1] for pair in ids)
    assert equivalent_to([canonicalize(answer)], [reference], "math")[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the failures issue 25 lists, in the words of the completions it quotes
        ("so the answer is 10, but for a total of 40 - 10 =", "10"),
        ("The answer is wrong. The correct answer is 24.", "24"),
        ("Put the final answer in \\boxed{N}.\nThe answer is \\boxed{N}", None),
        ("\\boxed{6}\nLet me check again: 4 + 5 = 9, so the final answer is 9.", "9"),
        ("First, 12 + 8 = 20 pencils. Then she gives away 14, so 20 - 14 = 6", None),  # cut mid-calculation
        ("She buys 8 more pencils.\nAnna has 20 pencils.", "20"),
        ("So 20 - 9 = 11.\nThe answer is 20 - 9 = 11.", "11"),
    ],
)
def test_the_issue_failures(text, expected):
    assert extract_answer(text) == expected


def test_the_built_in_task_reads_the_same_under_auto_and_arithmetic():
    # the built-in task's traces ("3+8-5=11-5=6") have no prose: auto reads them as the arithmetic rule does
    traces = ["3+8-5=11-5=6", "11-14=-3", "6", "2*3+1=6+1=7", "9-9=0", "3+8-5=11-", "1+1=2x"]
    for trace in traces:
        assert extract_answer(trace) == extract_arithmetic(trace), trace


def test_a_batch_with_a_non_string_is_refused_by_index():
    with pytest.raises(AlftInputError, match=r"completions\[1\]: got int"):
        extract_answers(["The answer is 3.", 5])


def test_an_all_empty_batch_warns_and_keeps_every_completion():
    with pytest.warns(UserWarning, match="all 3 are empty"):
        answers = extract_answers(["", "  ", "\n"])
    assert answers == [None, None, None]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert extract_answers(["", "The answer is 4."]) == [None, "4"]
