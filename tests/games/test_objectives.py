"""Objectives: the envelope theorem for every objective, composition and parsing."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.special import logsumexp

from alft.errors import AlftInputError
from alft.games import (
    Constraint,
    DualState,
    bregman,
    coherence,
    constrained,
    diversity,
    gini_diversity,
    pairwise_coherence,
    parse_objective,
    verifier,
)
from alft.games.tabular import default_game

PROMPT = default_game().prompts[0]
ANSWERS = list(PROMPT.answers)
SCORES = np.array([1.0, 0.3, -0.5, 0.0])

OBJECTIVES = {
    "coherence": coherence(),
    "diversity": diversity(0.7),
    "gini": gini_diversity(),
    "pairwise": pairwise_coherence(2.0),
    "verifier": verifier(),
    "kl": bregman("kl"),
    "l2": bregman("l2", -1.5),
    "tsallis:3": bregman("tsallis:3"),
    "kl+l2:0.5": bregman("kl+l2:0.5", 0.3),
    "mixed": 0.5 * coherence() + verifier() - 0.2 * gini_diversity(),
    "constrained": constrained(
        diversity(), DualState((Constraint("no-7", {"7"}, 0.05), Constraint("share-12", {"12"}, 0.3, ">=")), (0.8, 0.4))
    ),
}


def _F_of_theta(objective, theta):
    pi = np.exp(theta - logsumexp(theta))
    return objective.F(PROMPT.marginal(pi), scores=SCORES, answers=ANSWERS)


@pytest.mark.parametrize("name", sorted(OBJECTIVES))
def test_envelope_theorem_finite_difference_equals_reinforce(name):
    """∇_θ F(p_πθ) = E_y~π[∂F/∂p(z(y)) ∇_θ log π(y)] at q = p_π (docs/concepts/game.md#the-game), to 1e−8."""
    objective = OBJECTIVES[name]
    theta = np.random.default_rng(1).normal(size=len(PROMPT.trace_answer))
    pi = np.exp(theta - logsumexp(theta))
    reward = objective.reward(PROMPT.marginal(pi), scores=SCORES, answers=ANSWERS)[PROMPT.index]
    reinforce = pi * reward - pi * np.dot(pi, reward)  # Σ_y π_y R(y) (e_y − π)
    h = 1e-5
    fd = np.array([
        (_F_of_theta(objective, theta + h * e) - _F_of_theta(objective, theta - h * e)) / (2 * h)
        for e in np.eye(theta.size)
    ])
    assert np.max(np.abs(fd - reinforce)) < 1e-8
    assert np.max(np.abs(reinforce)) > 1e-3  # the test is not vacuous


def test_named_F_values():
    p = np.array([0.5, 0.25, 0.25])
    entropy = -np.sum(p * np.log(p))
    assert coherence().F(p) == pytest.approx(-entropy)
    assert diversity().F(p) == pytest.approx(entropy)
    assert gini_diversity().F(p) == pytest.approx(1 - 0.375)
    assert pairwise_coherence().F(p) == pytest.approx(0.375)
    assert bregman("kl").F(p) == pytest.approx(entropy)
    assert bregman("tsallis:2").F(p) == pytest.approx(-np.sum(p**2 - p) / 2)


def test_sums_compose_and_merge():
    objective = 0.5 * coherence() + verifier() + coherence()
    assert [t.kind for t in objective.terms] == ["coherence", "verifier"]
    assert objective.terms[0].weight == 1.5
    p = np.array([0.2, 0.8])
    expected = 1.5 * coherence().F(p) + verifier().F(p, scores=[1.0, 0.0])
    assert objective.F(p, scores=[1.0, 0.0]) == pytest.approx(expected)
    assert (coherence() - coherence()).terms == ()
    assert objective.target.log_weight == 1.5 and objective.uses_verifier


@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.01, 0.99))
@settings(max_examples=50, deadline=None)
def test_reward_is_linear_in_weights(a, b, x):
    p = np.array([x, 1 - x])
    combined = (a * diversity() + b * pairwise_coherence()).reward(p)
    separate = a * diversity().reward(p) + b * pairwise_coherence().reward(p)
    assert np.allclose(combined, separate, atol=1e-12)


def test_parse_objective_round_trips():
    objective = parse_objective("coherence+0.5*verifier+-0.2*gini+kl+l2:0.5+tsallis:3")
    assert parse_objective(objective.name) == objective
    assert parse_objective("0.5*coherence") == 0.5 * coherence()


@pytest.mark.parametrize("spec", ["", "entropy", "coherence*2", "tsallis:2.5", "gini:3", "kl:2"])
def test_parse_objective_refuses_bad_specs(spec):
    with pytest.raises(AlftInputError, match="objective|generator"):
        parse_objective(spec)


def test_verifier_term_needs_scores():
    with pytest.raises(AlftInputError, match="verifier_scores"):
        verifier().reward(np.array([0.5, 0.5]))


@pytest.mark.parametrize("weight", [float("nan"), float("inf"), True])
def test_weights_must_be_finite(weight):
    with pytest.raises(AlftInputError, match="weight"):
        coherence(weight)


def test_games_layer_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, alft.games; assert 'torch' not in sys.modules, 'torch imported'"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0
