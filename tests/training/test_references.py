"""Reference answers of the anchor (docs/concepts/game.md#the-anchor): cached, resumable, never reused for other prompts or models;
drawn by one function for alft train and alft references, the same answers as before it existed; a dataset's
own reference_answers column checked and used as it is; and the equilibrium measurement."""

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.training.reference_cache import draw_references, read_reference_cache, reference_header, reference_path
from alft.training.references import draw_reference_answers, read_reference_column

ROOT = Path(__file__).resolve().parents[2]
BEFORE = "d65db5e"  # the last commit where alft train drew its reference answers with its own code


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / "cache"))


def _header(prompts, **changes):
    return reference_header("hub-model", prompts, **{"draws": 4, "max_new_tokens": 8, "temperature": 1.0,
                                                    "extractor": "arithmetic", "seed": 0, **changes})


def _sampler(calls):
    def sample(chunk, seed):
        calls.append(seed)
        rng = np.random.default_rng(seed)
        return [[str(int(x)) for x in rng.integers(0, 3, 4)] for _ in chunk]
    return sample


def test_a_killed_stage_resumes_without_redoing_finished_prompts():
    prompts = [f"p{i}" for i in range(20)]
    header = _header(prompts)
    full_calls = []
    full, path = draw_references(prompts, header, _sampler(full_calls))
    # simulate a kill after the first chunk, with a torn line
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2]) + "\n" + lines[2][:10])
    calls = []
    resumed, _ = draw_references(prompts, header, _sampler(calls))
    assert resumed == full
    assert calls == full_calls[1:]  # only the unfinished chunks were drawn again
    assert read_reference_cache(path, header) == full


def test_other_prompts_or_models_get_another_set_and_a_foreign_file_is_refused():
    prompts = ["a", "b"]
    header = _header(prompts)
    assert reference_path(header) != reference_path(_header(["a", "c"]))
    assert reference_path(header) != reference_path(_header(prompts, draws=8))
    _, path = draw_references(prompts, header, _sampler([]))
    other = _header(["a", "c"])
    with pytest.raises(AlftInputError, match="reference_answers"):
        read_reference_cache(path, other)


def test_runs_drawing_at_once_share_one_set_drawn_once(tmp_path):
    """Parallel seeds of a comparison start together: the first draws, the others wait and read its set
    (unlocked, both appended every chunk and the file held twice the prompts)."""
    import threading
    import time

    prompts = [f"p{i}" for i in range(24)]
    header = _header(prompts)
    calls, results = [], []
    slow = _sampler(calls)

    def sample(chunk, seed):
        time.sleep(0.02)  # let the other run reach the file mid-draw
        return slow(chunk, seed)

    runs = [threading.Thread(target=lambda: results.append(draw_references(prompts, header, sample)[0]))
            for _ in range(3)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert len(calls) == len(range(0, len(prompts), 8))  # every chunk drawn once
    assert results[0] == results[1] == results[2] == read_reference_cache(reference_path(header), header)
    assert len(results[0]) == len(prompts)


def test_a_file_with_more_answers_than_prompts_is_refused():
    prompts = ["a", "b"]
    header = _header(prompts)
    _, path = draw_references(prompts, header, _sampler([]))
    path.write_text(path.read_text() + path.read_text().splitlines()[1] + "\n")
    with pytest.raises(AlftInputError, match="holds 4 prompts' answers, expected at most 2"):
        read_reference_cache(path, header)


def _never(*args, **kwargs):
    raise AssertionError("a reference answer was drawn")


@pytest.fixture(scope="module")
def other_policy_dir(tmp_path_factory):
    """A second tiny model: the same architecture as tiny_policy_dir, other weights."""
    from alft.task.model import ModelConfig, build_model, save_policy
    from alft.task.tokenizer import build_tokenizer

    tokenizer = build_tokenizer(model_max_length=64)
    config = ModelConfig(n_layers=1, hidden_size=32, n_heads=2, intermediate_size=64, max_positions=64)
    return save_policy(build_model(tokenizer, config, seed=1), tokenizer, tmp_path_factory.mktemp("other_model"))


def _draw(model, prompts, **changes):
    options = {"draws": 4, "max_new_tokens": 4, "temperature": 1.0, "seed": 0, "extractor": "last-number", **changes}
    return draw_reference_answers(str(model), prompts, **options)


PROMPTS = [f"{a}+{b}=" for a in range(1, 4) for b in range(1, 4)]  # 9 prompts: two chunks


def test_draw_reference_answers_draws_once_then_reads_the_cache(tiny_policy_dir, monkeypatch):
    first = _draw(tiny_policy_dir, PROMPTS)
    assert len(first.answers) == len(PROMPTS) and {len(row) for row in first.answers} == {4}
    assert first.drawn == len(PROMPTS) and first.summary()["draws"] == 4
    monkeypatch.setattr("alft.task.evaluate.sample_answers", _never)
    again = _draw(tiny_policy_dir, PROMPTS)
    assert again.answers == first.answers and again.path == first.path and again.drawn == 0


def test_a_dataset_of_chat_prompts_is_rendered_as_alft_train_renders_it(tiny_policy_dir, tmp_path):
    import shutil

    import datasets
    from transformers import AutoTokenizer

    folder = tmp_path / "chat_model"
    shutil.copytree(tiny_policy_dir, folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    tokenizer.chat_template = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}={% endif %}"
    tokenizer.save_pretrained(folder)
    chat = datasets.Dataset.from_dict({"prompt": [[{"role": "user", "content": p[:-1]}] for p in PROMPTS]})
    assert _draw(folder, chat).answers == _draw(folder, PROMPTS).answers  # the template adds the "="


def test_a_cache_file_of_another_model_is_refused_naming_the_file(tiny_policy_dir, other_policy_dir):
    mine = _draw(tiny_policy_dir, PROMPTS)
    other_header = reference_header(str(other_policy_dir), PROMPTS, draws=4, max_new_tokens=4, temperature=1.0,
                                    extractor="last-number", seed=0)
    path = reference_path(other_header)
    assert path != mine.path  # another model: another file
    path.write_bytes(mine.path.read_bytes())  # a file that claims the other model's key
    with pytest.raises(AlftInputError, match=rf"{path.name}.*another model"):
        _draw(other_policy_dir, PROMPTS)
    with pytest.raises(AlftInputError, match="other prompts"):
        read_reference_cache(mine.path, reference_header(str(tiny_policy_dir), PROMPTS[:3], draws=4, max_new_tokens=4,
                                                         temperature=1.0, extractor="last-number", seed=0))


@pytest.mark.parametrize("draws", [0, 256, 2.5, True])
def test_m_outside_the_count_tables_is_refused_before_anything_is_drawn(tiny_policy_dir, draws, tmp_path):
    with pytest.raises(AlftInputError, match=r"draws: got .*expected an integer M in 1\.\.255"):
        _draw(tiny_policy_dir, PROMPTS, draws=draws)
    assert not (tmp_path / "cache" / "references").exists()


# Names that moved since BEFORE: the old code imports them from where they are now (the code itself is BEFORE's).
MOVED = {"from alft.task.warmup import base_policy_path": "from alft.task.base_policies import base_policy_path",
         "from alft.training.probe import": "from alft.games.probe import",
         "settings.warmup_seed": "settings.task_seed"}
# Settings that moved into groups since BEFORE, read there by the old code.
GROUPED = {"data": ("dataset", "dataset_split", "prompt_column", "answer_column", "train_prompts", "eval_problems",
                    "reference_draws", "probe_prompts", "probe_samples"),
           "policy": ("model", "lora", "lora_rank", "lora_alpha", "lora_targets"),
           "hardware": ("gradient_accumulation_steps", "log_completions", "report_to", "use_vllm", "vllm_mode",
                        "vllm_server_base_url")}


def _old_module(path, name, monkeypatch):
    """A module as it was at BEFORE (git show), importing today's alft for everything else."""
    shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE}:{path}"], capture_output=True, text=True)
    if shown.returncode != 0:
        pytest.skip(f"no git history with {BEFORE} here")
    source = shown.stdout
    for old, new in MOVED.items():
        source = source.replace(old, new)
    for group, names in GROUPED.items():
        source = re.sub(rf"\bsettings\.({'|'.join(names)})\b", rf"settings.{group}.\1", source)
    module = types.ModuleType(name)
    monkeypatch.setitem(sys.modules, name, module)  # dataclasses look their module up
    exec(compile(source, f"{BEFORE}:{path}", "exec"), module.__dict__)
    return module


@pytest.mark.slow
def test_alft_train_draws_the_answers_and_file_it_drew_before_draw_reference_answers(monkeypatch, tmp_path):
    """The tiny preset's reference answers through the old with_references and its old cache code, and through
    today's: the same cache file name (header), byte for byte the same file, the same column."""
    from alft.training import pipeline
    from alft.training.runtime import runtime
    from alft.training.settings import TrainSettings

    old_references = _old_module("src/alft/training/references.py", "alft_references_before", monkeypatch)
    old_pipeline = _old_module("src/alft/training/pipeline.py", "alft_pipeline_before", monkeypatch)
    for name in ("draw_references", "reference_header", "unanswered_prompts"):
        setattr(old_pipeline, name, getattr(old_references, name))  # the old chunking, seeds and header too
    settings = TrainSettings(preset="tiny")
    policy = pipeline.base_policy(settings, show_progress=False)
    train, _ = pipeline.prompts(settings)
    drawn = {}
    for label, module in (("before", old_pipeline), ("now", pipeline)):
        monkeypatch.setenv("ALFT_CACHE_DIR", str(tmp_path / label))
        data, description = module.with_references(policy, train, settings, runtime(settings), None, lambda m: None)
        cache = tmp_path / label / "references" / description["file"]
        drawn[label] = (description["file"], data["reference_answers"], cache.read_bytes())
    assert drawn["before"] == drawn["now"]


DEFAULT_HEADER = {"format": 1, "policy": "bd8d726ceb86ceb8", "prompts": "f7a685358bbd499c", "n_prompts": 256,
                  "draws": 64, "max_new_tokens": 32, "temperature": 0.7, "extractor": "arithmetic", "seed": 0}
DEFAULT_FILE = "4c629b2f09f5db956bbc.jsonl"  # the default run's reference set, before alft references existed


def test_the_default_run_reads_the_reference_file_it_read_before(monkeypatch):
    from alft.paths import cache_root
    from alft.training.pipeline import base_policy, prompts, with_references
    from alft.training.runtime import runtime
    from alft.training.settings import TrainSettings

    path = cache_root() / "references" / DEFAULT_FILE
    path.parent.mkdir(parents=True)
    rows = [[str(i)] * 64 for i in range(256)]
    path.write_text(json.dumps(DEFAULT_HEADER) + "\n" + "".join(json.dumps(rows[i : i + 8]) + "\n" for i in range(0, 256, 8)))
    monkeypatch.setattr("alft.task.evaluate.sample_answers", _never)
    settings = TrainSettings()
    train, _ = prompts(settings)
    data, description = with_references(base_policy(settings, False), train, settings, runtime(settings), None, print)
    assert description["file"] == DEFAULT_FILE and description["drawn_now"] == 0
    assert json.loads(data["reference_answers"][5]) == ["5"] * 64


def _column(values):
    import datasets

    return datasets.Dataset.from_dict({"prompt": ["a"] * len(values), "reference_answers": values})


def test_a_reference_column_is_read_as_lists_or_json_text():
    assert read_reference_column(_column(['["1", null]', '["2", "2"]'])) == [["1", None], ["2", "2"]]
    assert read_reference_column(_column([["1", None], ["2", "2"]]), draws=2) == [["1", None], ["2", "2"]]


@pytest.mark.parametrize("values, draws, words", [
    (['["1", "2"]', '["1"]'], None, r"reference_answers\[1\]: got 1 answers, expected 2 like row 0"),
    (['["1", "2"]', '7'], None, r"reference_answers\[1\]: got 7, expected a list of answers"),
    (['["1", "2"]', 'not json'], None, r"reference_answers\[1\]: got 'not json', expected a list"),
    (['[1, 2]'], None, r"reference_answers\[0\]: got \[1, 2\], expected a list of answers \(text"),
    (['[]', '[]'], None, r"reference_answers \(answers per row\): got 0, expected an integer M in 1..255"),
    (['["1", "2"]'], 3, r"--reference-draws: got 3, expected 2, the number of answers per row"),
])
def test_a_bad_reference_column_names_the_row_and_what_was_expected(values, draws, words):
    with pytest.raises(AlftInputError, match=words):
        read_reference_column(_column(values), draws)
