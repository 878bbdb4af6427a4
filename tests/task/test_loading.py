"""Real-model and dataset loading on artefacts the tests write themselves (no hub access)."""

import json

import pytest

from alft.errors import AlftInputError
from alft.task.loading import load_policy, load_prompts


def write_jsonl(path, rows):
    path.write_text("\n".join(json.dumps(row) for row in rows))
    return str(path)


def test_load_policy_from_a_folder(tiny_warmup):
    model, tokenizer = load_policy(str(tiny_warmup.path))
    assert type(model).__name__ == "Qwen2ForCausalLM"
    assert tokenizer.padding_side == "left" and tokenizer.pad_token is not None


def test_load_policy_errors(tmp_path):
    with pytest.raises(AlftInputError, match="config.json"):
        load_policy(str(tmp_path))
    with pytest.raises(AlftInputError, match="model"):
        load_policy(str(tmp_path / "missing"))
    with pytest.raises(AlftInputError, match="model"):
        load_policy("")


def test_load_prompts_renames_and_stringifies(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"question": f"{i}+1=", "gold": i + 1, "extra": i} for i in range(5)])
    data = load_prompts(path, prompt_column="question", answer_column="gold")
    assert data.column_names == ["prompt", "answer", "extra"]
    assert data[2] == {"prompt": "2+1=", "answer": "3", "extra": 2}
    assert len(load_prompts(path, prompt_column="question", answer_column=None, limit=2)) == 2


def test_existing_answer_column_is_kept_aside(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "a", "answer": "long", "final": "x"}])
    data = load_prompts(path, answer_column="final")
    assert data[0]["answer"] == "x" and data[0]["original_answer"] == "long"


def test_load_prompts_errors(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", [{"question": "1+1=", "gold": 2}])
    with pytest.raises(AlftInputError, match=r"prompt_column.*\['question', 'gold'\]"):
        load_prompts(path)
    with pytest.raises(AlftInputError, match="answer_column"):
        load_prompts(path, prompt_column="question", answer_column="nope")
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(AlftInputError, match="at least one row"):
        load_prompts(str(tmp_path / "empty.jsonl"))
    with pytest.raises(AlftInputError, match="existing"):
        load_prompts(str(tmp_path / "missing.jsonl"))
    blank = write_jsonl(tmp_path / "blank.jsonl", [{"prompt": "ok", "answer": 1}, {"prompt": "  ", "answer": 2}])
    with pytest.raises(AlftInputError, match=r"prompt\[1\]"):
        load_prompts(blank)
    chat = write_jsonl(tmp_path / "chat.jsonl", [{"prompt": [{"role": "user", "content": "hi"}], "answer": 1}])
    assert load_prompts(chat)[0]["prompt"] == [{"role": "user", "content": "hi"}]  # TRL's conversational format
    nested = write_jsonl(tmp_path / "nested.jsonl", [{"prompt": {"text": "hi"}, "answer": 1}])
    with pytest.raises(AlftInputError, match="plain text"):
        load_prompts(nested)


def test_answers_are_checked_when_loaded_gsm8k_and_boxed_forms_pass(tmp_path):
    # an unreadable answer used to load fine and then score every completion 0 (or stop a run mid-way)
    good = write_jsonl(tmp_path / "good.jsonl", [{"prompt": "a", "gold": "4+4 = 8\n#### 8"},
                                                 {"prompt": "b", "gold": "\\boxed{9}"}, {"prompt": "c", "gold": None}])
    assert load_prompts(good, answer_column="gold")["answer"][:2] == ["4+4 = 8\n#### 8", "\\boxed{9}"]
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"prompt": "a", "gold": "8"}, {"prompt": "b", "gold": "#### "}])
    with pytest.raises(AlftInputError, match=r"gold\[1\]: got '#### ', expected a gold answer"):
        load_prompts(bad, answer_column="gold")
