"""A training run killed mid-run and resumed (issue 7, item 2): metrics continue, nothing lost or doubled.

The real ``alft train`` runs in its own process and gets SIGKILL as soon as its first checkpoint is complete;
re-running the same command resumes it. The deterministic variants (a torn metrics line, a half-written
checkpoint) reproduce the two states a kill can leave on disk at the worst moment.
"""

import json
import shutil

import pytest
from reliability_helpers import TINY, complete_checkpoints, kill_after_checkpoint, metrics_steps, run_alft

STEPS = 6
RUN = [*TINY, "--steps", str(STEPS), "--save-steps", "2", "--eval-problems", "4", "--seed", "5"]


def _lines(folder):
    return [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """One warm-up cache for the module's runs (the tiny warm-up is trained once, by the first run)."""
    return tmp_path_factory.mktemp("train-cache")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cache_dir):
    folder = tmp_path_factory.mktemp("uninterrupted") / "run"
    result = run_alft("train", *RUN, "--output-dir", str(folder), "--json", cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.mark.slow  # three tiny runs in fresh processes (~10 s each on a busy 2-core machine)
def test_a_run_killed_after_its_first_checkpoint_resumes_with_each_step_once(tmp_path, cache_dir, uninterrupted):
    folder = tmp_path / "run"
    killed = kill_after_checkpoint([*RUN, "--json"], folder, cache_dir)
    if not killed["killed"]:
        pytest.skip("the run finished before the kill landed; nothing to resume")  # not seen in practice
    assert killed["checkpoints"] and not (folder / "summary.json").exists()
    checkpoint = max(killed["checkpoints"])
    kept_before = [line for line in _lines(folder) if line["step"] <= checkpoint]

    result = run_alft("train", *RUN, "--output-dir", str(folder), "--json", cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert metrics_steps(folder) == list(range(1, STEPS + 1))  # each step exactly once, in order
    # lines up to the checkpoint were kept as written (continued, not re-run); the rest was redone from it
    assert _lines(folder)[: len(kept_before)] == kept_before
    summary = json.loads(result.stdout)
    assert summary["training"]["steps_logged"] == STEPS
    # the resumed run's rewards are the uninterrupted run's: nothing lost, nothing doubled
    resumed = [line["reward"] for line in _lines(folder)]
    reference = [line["reward"] for line in _lines(uninterrupted)]
    assert resumed == pytest.approx(reference, rel=1e-6, abs=1e-9)


@pytest.mark.slow
def test_a_torn_metrics_line_and_a_half_written_checkpoint_are_survived(tmp_path, cache_dir, uninterrupted):
    folder = tmp_path / "run"
    shutil.copytree(uninterrupted, folder)
    # the worst moment of a kill during step 5-6: checkpoint-6 half written (no trainer_state.json),
    # metrics.jsonl ending in half a line, no summary and no final policy
    (folder / "checkpoints" / "checkpoint-6" / "trainer_state.json").unlink()
    shutil.rmtree(folder / "policy")
    (folder / "summary.json").unlink()
    text = (folder / "metrics.jsonl").read_text().splitlines(keepends=True)
    (folder / "metrics.jsonl").write_text("".join(text[:5]) + text[5][: len(text[5]) // 2])
    assert complete_checkpoints(folder) == [4]

    result = run_alft("train", *RUN, "--output-dir", str(folder), "--json", cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert metrics_steps(folder) == list(range(1, STEPS + 1))
    assert [line["reward"] for line in _lines(folder)] == pytest.approx(
        [line["reward"] for line in _lines(uninterrupted)], rel=1e-6, abs=1e-9)
    assert (folder / "checkpoints" / "checkpoint-6" / "trainer_state.json").exists()


def test_read_metrics_drops_only_a_torn_last_line(tmp_path):
    from alft.errors import AlftInputError
    from alft.training.run_log import read_metrics

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n{"step": 2}\n{"step": 3, "rew')
    assert read_metrics(path) == [{"step": 1}, {"step": 2}]
    path.write_text('{"step": 1}\n{"st\n{"step": 3}\n')  # damage in the middle is not a torn write: refuse it
    with pytest.raises(AlftInputError, match="line 2"):
        read_metrics(path)


def test_last_checkpoint_skips_a_checkpoint_without_a_readable_trainer_state(tmp_path):
    from alft.training.run_folder import RunFolder

    run = RunFolder(tmp_path)
    for step, state in ((2, "{}"), (4, '{"global_st'), (6, None)):
        folder = tmp_path / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        if state is not None:
            (folder / "trainer_state.json").write_text(state)
    assert run.last_checkpoint() == tmp_path / "checkpoints" / "checkpoint-2"
