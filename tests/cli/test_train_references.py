"""``alft train --dataset`` with a ``reference_answers`` column (alft references' output): read, or refused
before anything is written."""

import json

import pytest


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))


def _never(*args, **kwargs):
    raise AssertionError("nothing may be sampled: the dataset column holds the reference answers")


def _dataset_with_column(path, rows):
    lines = [{"prompt": f"{a}+{b}=", "answer": str(a + b), "reference_answers": json.dumps(rows[(a + b) % len(rows)])}
             for a in range(1, 4) for b in range(1, 4)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


TRAIN = ("--preset", "tiny", "--extractor", "last-number", "--steps", "1", "--eval-problems", "0", "--json")


def test_alft_train_uses_a_dataset_s_reference_column_and_draws_nothing(cli, tiny_policy_dir, tmp_path, monkeypatch):
    monkeypatch.setattr("alft.task.evaluate.sample_answers", _never)  # references only: the probe has its own
    data = _dataset_with_column(tmp_path / "data.jsonl", [["2", "3", "3"], ["4", None, "4"]])
    result = cli("train", *TRAIN, "--model", str(tiny_policy_dir), "--dataset", str(data),
                 "--output-dir", str(tmp_path / "run"))
    assert result.exit_code == 0, result.output
    references = json.loads(result.stdout)["references"]
    assert references["source"] == "dataset column reference_answers" and references["draws"] == 3
    assert json.loads(result.stdout)["settings"]["reference_draws"] is None  # M came from the column
    assert not (tmp_path / "cache" / "references").exists()


@pytest.mark.parametrize("rows, extra, words", [
    ([["2", "3", "3"], ["4", "4"]], (), ["reference_answers[", "like row 0"]),
    ([["2", "3", "3"]], ("--reference-draws", "4"), ["--reference-draws", "got 4, expected 3"]),
])
def test_alft_train_refuses_a_bad_reference_column_before_writing_anything(cli, tiny_policy_dir, tmp_path, rows,
                                                                         extra, words):
    data = _dataset_with_column(tmp_path / "data.jsonl", rows)
    folder = tmp_path / "run"
    result = cli("train", *TRAIN, *extra, "--model", str(tiny_policy_dir), "--dataset", str(data),
                 "--output-dir", str(folder))
    assert result.exit_code == 2 and result.stderr.count("error:") == 1, result.output
    assert all(word in result.stderr for word in words), result.stderr
    assert not folder.exists() and not (tmp_path / "cache" / "references").exists()
