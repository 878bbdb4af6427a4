"""Target-player variants: best response, running average, smoothing."""

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.games import TargetPlayer, TargetState, best_response, coherence, running_average, smoothed
from alft.games.target_player import UNSEEN


def test_best_response_is_the_empirical_distribution():
    assert best_response(["a", "b", "a", None]) == pytest.approx({"a": 2 / 3, "b": 1 / 3})
    assert best_response([None, None]) == {}


def test_running_average_accumulates_and_decays_per_prompt():
    q, state = running_average(TargetState(), "x", ["a", "a"])
    q, state = running_average(state, "x", ["b", "b"], decay=0.5)
    assert q == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    q_other, state = running_average(state, "y", ["c"])
    assert q_other == {"c": 1.0} and state.visits == {"x": 2, "y": 1}


def test_running_average_converges_to_the_sampling_distribution():
    rng, state = np.random.default_rng(0), TargetState()
    for _ in range(2000):
        q, state = running_average(state, "x", list(rng.choice(["a", "b"], size=4, p=[0.7, 0.3])))
    assert q["a"] == pytest.approx(0.7, abs=0.02)


def test_smoothing_keeps_mass_for_unseen_answers():
    q = smoothed(["a", "a", "b"], alpha=1.0)
    assert q == pytest.approx({"a": 3 / 6, "b": 2 / 6, UNSEEN: 1 / 6})
    player = TargetPlayer("smoothed", alpha=1.0)
    rewards = player.rewards(q, ["a", "z", None], coherence())
    assert rewards == pytest.approx([np.log(0.5), np.log(1 / 6), 0.0])


def test_rewards_are_finite_even_for_answers_off_the_target():
    player = TargetPlayer("best-response")
    q, _ = player.respond(TargetState(), "x", ["a"])
    assert np.all(np.isfinite(player.rewards(q, ["b"], coherence())))


@pytest.mark.parametrize("make, field", [
    (lambda: TargetPlayer("greedy"), "kind"),
    (lambda: smoothed(["a"], alpha=0.0), "alpha"),
    (lambda: running_average(TargetState(), "x", ["a"], decay=1.5), "decay"),
    (lambda: best_response(["a", 3]), r"answers\[1\]"),
])
def test_bad_target_player_input(make, field):
    with pytest.raises(AlftInputError, match=field):
        make()
