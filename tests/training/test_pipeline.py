"""The pipeline's stages one at a time: the training summary, the prompts, the stored evaluation."""

import json

import pytest

from alft.task.evaluate import EvalReport, ProblemOutcome
from alft.training.evaluation import write_evaluation
from alft.training.pipeline import prompts, training_summary
from alft.training.run_folder import RunFolder
from alft.training.settings import DataSettings, ModelSettings, TrainSettings


def test_the_summary_averages_the_first_and_last_fifth_of_the_steps():
    metrics = [{"step": s, "reward": float(s), "alft/sample_accuracy": None if s == 10 else s / 10,
                "alft/nonfinite_rewards": 1 if s == 3 else 0} for s in range(1, 11)]
    summary = training_summary(metrics)
    assert summary["steps_logged"] == 10
    assert summary["reward_first"] == pytest.approx(1.5) and summary["reward_last"] == pytest.approx(9.5)
    assert summary["sample_accuracy_last"] == pytest.approx(0.9)  # the missing value is left out, not a zero
    assert summary["nonfinite_rewards_total"] == 1 and "answer_entropy_first" not in summary


def test_built_in_prompts_are_the_sizes_asked_for_and_the_same_held_out_problems_for_every_seed():
    train, evaluation = prompts(TrainSettings(preset="tiny", data=DataSettings(train_prompts=5, eval_problems=7), seed=1))
    _, again = prompts(TrainSettings(preset="tiny", data=DataSettings(train_prompts=5, eval_problems=7), seed=2))
    assert len(train) == 5 and len(evaluation) == 7 and evaluation["prompt"] == again["prompt"]
    assert not set(train["prompt"]) & set(evaluation["prompt"])  # disjoint splits
    assert prompts(TrainSettings(preset="tiny", data=DataSettings(eval_problems=0)))[1] is None


def test_an_evaluation_is_stored_with_its_per_problem_outputs(tmp_path):
    outcome = ProblemOutcome("3", ("3", None), True, (True, False), True)
    report = EvalReport(n_prompts=1, k=2, greedy_accuracy=1.0, majority_accuracy=1.0, mean_sample_accuracy=0.5,
                        pass_at_k={1: 0.5, 2: 1.0}, answer_entropy=0.0, distinct_answers=1.0, unextractable_rate=0.5,
                        seconds=0.1, equivalence_seconds=0.0, problems=(outcome,))
    run = RunFolder(tmp_path).create()
    metrics = write_evaluation(run, "after", report)
    assert metrics["pass@2"] == 1.0 and "problems" not in metrics
    rows = [json.loads(line) for line in run.problems("after").read_text().splitlines()]
    assert rows == [{"greedy": "3", "samples": ["3", None], "greedy_correct": True, "samples_correct": [True, False],
                     "majority_correct": True}]
    assert write_evaluation(run, "before", None) is None and not run.problems("before").exists()


def test_a_dataset_run_keeps_the_training_prompts_it_can_reach_and_says_so(tmp_path):
    rows = [{"prompt": f"{a}+{b}=", "answer": str(a + b)} for a in range(10) for b in range(5)]  # 50 rows
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    lines = []
    settings = TrainSettings(preset="tiny", policy=ModelSettings(model="m"), steps=3, prompts_per_step=2,
                             data=DataSettings(dataset=str(tmp_path / "d.jsonl"), eval_problems=10))
    train, evaluation = prompts(settings, lines.append)
    assert (len(train), len(evaluation)) == (6, 10)  # 3 steps × 2 prompts; the held-out problems untouched
    assert not set(train["prompt"]) & set(evaluation["prompt"])
    assert lines == ["training prompts: 6 of the dataset's 40 (--steps 3 × --prompts-per-step 2: a run sees no more)"]
    many_steps = prompts(settings.replace(steps=100), lines.append)[0]
    assert len(many_steps) == 40 and len(lines) == 1  # every prompt reachable: all kept, nothing said
