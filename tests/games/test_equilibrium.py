"""Equilibria: docs/concepts/game.md#closed-form-equilibria closed forms, root-found stationary points, estimator fixed points."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from alft.errors import AlftInputError
from alft.estimators import get_estimator
from alft.games import (
    bregman,
    closed_form_equilibrium,
    coherence,
    diversity,
    estimator_fixed_point,
    gini_diversity,
    objective_equilibrium,
    pairwise_coherence,
    stationary_point,
    total_variation,
    verifier,
)

P_REF = np.array([0.45, 0.3, 0.15, 0.1])


def test_closed_form_matches_spec_formula():
    r = np.array([1.0, 0.0, 0.0, 0.5])
    beta, tau = 1.0, 0.5
    p = closed_form_equilibrium(P_REF, beta, tau, r)
    expected = P_REF ** (beta / (beta + tau)) * np.exp(r / (beta + tau))
    assert np.allclose(p, expected / expected.sum(), atol=1e-15)


def test_coherence_power_sharpens_and_diversity_flattens():
    sharp = objective_equilibrium(0.5 * coherence(), P_REF, 1.0)
    flat = objective_equilibrium(0.5 * diversity(), P_REF, 1.0)
    assert np.allclose(sharp, P_REF**2 / np.sum(P_REF**2), atol=1e-15)  # exponent β/(β−γ) = 2
    assert np.allclose(flat, P_REF ** (2 / 3) / np.sum(P_REF ** (2 / 3)), atol=1e-15)


@given(st.floats(0.05, 0.9), st.floats(0.3, 3.0), st.lists(st.floats(-2, 2), min_size=4, max_size=4))
@settings(max_examples=30, deadline=None)
def test_root_finder_agrees_with_closed_form(tau_fraction, beta, r):
    tau = -tau_fraction * beta  # coherence below the collapse threshold
    numeric = stationary_point(P_REF, beta, lambda p: -tau * np.log(p), np.array(r))
    assert total_variation(numeric, closed_form_equilibrium(P_REF, beta, tau, np.array(r))) < 1e-12


@pytest.mark.parametrize("objective", [0.5 * pairwise_coherence(), gini_diversity(2.0), bregman("tsallis:3", 1.0), bregman("kl+l2:2", 0.5)])
def test_polynomial_equilibria_satisfy_stationarity(objective):
    beta = 1.0
    p = objective_equilibrium(objective, P_REF, beta)
    residual = objective.reward(p) - beta * np.log(p / P_REF)  # constant across answers (docs/concepts/game.md#closed-form-equilibria)
    assert p.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.ptp(residual) < 1e-10
    assert total_variation(p, P_REF) > 1e-3


def test_verifier_tilts_toward_correct_answer():
    p = objective_equilibrium(verifier(), P_REF, 0.5, scores=[0.0, 1.0, 0.0, 0.0])
    assert p[1] > P_REF[1] and np.allclose(p, closed_form_equilibrium(P_REF, 0.5, 0.0, np.array([0, 1.0, 0, 0])))


def test_collapse_is_refused():
    with pytest.raises(AlftInputError, match="beta"):
        objective_equilibrium(1.5 * coherence(), P_REF, 1.0)
    with pytest.raises(AlftInputError, match="several solutions"):
        objective_equilibrium(pairwise_coherence(1.0), P_REF, 1.0)  # p·R′ = 2p reaches 2 > β


def test_bad_reference_is_refused():
    with pytest.raises(AlftInputError, match="p_ref"):
        closed_form_equilibrium(np.array([0.5, 0.0, 0.5]), 1.0, 0.1)


def test_unbiased_table_has_no_shift_and_plugin_shifts():
    """A U-statistic table's mean is R itself, so its fixed point is p*; the plug-in's is not (docs/concepts/estimators.md#bias-moves-the-equilibrium)."""
    objective = 0.4 * pairwise_coherence()
    exact = objective_equilibrium(objective, P_REF, 1.0)
    ustat = estimator_fixed_point(objective, get_estimator("ustat", 4, target=objective.target), P_REF, 1.0)
    assert total_variation(ustat, exact) < 1e-12
    log_objective = 0.5 * coherence()
    plugin = estimator_fixed_point(log_objective, get_estimator("plugin", 4, target=log_objective.target), P_REF, 1.0)
    assert total_variation(plugin, objective_equilibrium(log_objective, P_REF, 1.0)) > 0.05


def test_estimator_must_match_objective_target():
    with pytest.raises(AlftInputError, match="target"):
        estimator_fixed_point(0.5 * coherence(), get_estimator("plugin", 4), P_REF, 1.0)  # table for 1·log p


def test_anchored_equilibrium_is_the_power_sharpened_reference():
    """docs/concepts/game.md#the-anchor: p* ∝ p_ref^s·exp(r/(β−γ)), the closed form of docs/concepts/game.md#closed-form-equilibria at τ = −γ."""
    from alft.games import default_game
    from alft.games.equilibrium import anchored_equilibrium, equilibria
    from alft.games.objectives import sharpened

    game, objective = default_game(), sharpened(2.5, beta=0.8) + verifier()
    gamma = objective.anchor_weights[0]
    for prompt, p in zip(game.prompts, equilibria(game, objective)):
        expected = prompt.answer_reference**2.5 * np.exp(np.asarray(prompt.scores) / (0.8 - gamma))
        assert np.allclose(p, expected / expected.sum(), atol=1e-14)
    same = equilibria(game, 0.5 * coherence())  # coherence γ = 0.5 with KL β = 1 is the anchored game s = 2
    anchored = [anchored_equilibrium(sharpened(2.0), pr) for pr in game.prompts]
    assert all(np.allclose(a, b, atol=1e-14) for a, b in zip(same, anchored))
