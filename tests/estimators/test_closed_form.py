"""Plug-in, digamma and exact U-statistic tables (docs/concepts/estimators.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alft.errors import AlftInputError
from alft.estimators import digamma_bias, get_estimator, polynomial_target

P = np.linspace(0.001, 1.0, 400)


@settings(max_examples=60, deadline=None)
@given(
    K=st.integers(2, 24),
    data=st.data(),
)
def test_ustat_is_exactly_unbiased_for_every_polynomial_of_degree_below_K(K, data):
    coefficients = data.draw(st.lists(st.floats(-1, 1), min_size=1, max_size=K))
    est = get_estimator("ustat", K, polynomial_target(coefficients))
    assert np.max(np.abs(est.bias(P))) <= 1e-12


@pytest.mark.parametrize("K", [4, 8, 16])
@pytest.mark.parametrize("target", ["l2", "tsallis:2", "tsallis:3", "tsallis:4"])
def test_bregman_generators_have_exact_tables(K, target):
    assert np.max(np.abs(get_estimator("ustat", K, target).bias(P))) <= 1e-12


@pytest.mark.parametrize("K", [2, 4, 16, 64])
def test_digamma_bias_equals_its_closed_form_and_is_nonnegative(K):
    est = get_estimator("digamma", K)
    exact = digamma_bias(K, P)
    assert np.all(exact >= -1e-12)
    np.testing.assert_allclose(est.bias(P), exact, atol=1e-11)


def test_plugin_tables_are_the_documented_formulas():
    K = 8
    np.testing.assert_allclose(get_estimator("plugin", K).table, np.log(np.arange(1, K + 1) / K))
    np.testing.assert_allclose(get_estimator("plugin-half", K).table, np.log((np.arange(K) + 0.5) / K))


def test_plugin_bias_is_order_one_over_K_in_the_weighted_metric():
    # Jensen: K·(weighted bias) stays bounded away from zero, unlike the Θ(1/K²) tables.
    values = [K * get_estimator("plugin", K).weighted_bias() for K in (8, 16, 32, 64)]
    assert min(values) > 0.4 and max(values) / min(values) < 1.5


def test_mixed_target_is_ustat_part_plus_log_part():
    K = 8
    mixed = get_estimator("digamma", K, "kl+l2:0.5")
    expected = get_estimator("digamma", K).table + get_estimator("ustat", K, [1.0, 0.5]).table
    np.testing.assert_allclose(mixed.table, expected)
    np.testing.assert_allclose(mixed.bias(P), get_estimator("digamma", K).bias(P), atol=1e-12)


def test_degree_at_least_K_has_no_unbiased_estimator():
    with pytest.raises(AlftInputError, match="no unbiased estimator exists for degree 4 with K=4"):
        get_estimator("ustat", 4, "tsallis:5")


def test_ustat_refuses_log_targets():
    with pytest.raises(AlftInputError, match="polynomial targets only"):
        get_estimator("ustat", 8, "log")
