"""A run that cannot learn is told from its first step: empty completions, no answers, one reward per group."""

from types import SimpleNamespace

from alft.integrations.trl import DegenerateRunCallback

STATE = SimpleNamespace(global_step=1, is_world_process_zero=True)


def test_empty_unextractable_and_constant_steps_warn_once_each_from_the_first_step():
    lines = []
    callback = DegenerateRunCallback(lines.append, K=4, extractor="auto")
    # the plain-text-prompts run of SmolLM2: 27 of 32 completions empty, 30 without an answer
    logs = {"alft/n_groups": 8, "alft/n_empty": 27, "alft/n_unextractable": 30, "frac_reward_zero_std": 0.875}
    callback.on_log(None, STATE, None, logs=logs)
    assert len(lines) == 3 and all(line.startswith("warning: step 1: ") for line in lines)
    assert "84% of the completions are empty" in lines[0] and "plain-text prompts" in lines[0]
    assert "94% of the completions are without an answer the extractor (auto) reads" in lines[1]
    assert "88% of the prompts are in groups whose K completions all got the same reward" in lines[2]
    assert [w["kind"] for w in callback.warnings] == ["empty", "unextractable", "constant"]
    callback.on_log(None, SimpleNamespace(global_step=2, is_world_process_zero=True), None, logs=logs)
    assert len(lines) == 3  # once per kind


def test_a_trainable_step_gives_no_warning():
    lines = []
    callback = DegenerateRunCallback(lines.append, K=8)
    # the worst step of a 200-step built-in default run: 1 unextractable of 64, 62.5 % constant groups
    callback.on_log(None, STATE, None, logs={"alft/n_groups": 8, "alft/n_empty": 0, "alft/n_unextractable": 1,
                                             "frac_reward_zero_std": 0.625})
    callback.on_log(None, STATE, None, logs={"train_runtime": 3.0})  # the trainer's closing log has no groups
    assert lines == [] and callback.warnings == []
