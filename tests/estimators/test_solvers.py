"""Minimax LP and AQP tables (docs/concepts/estimators.md)."""

import pytest

from alft.errors import AlftInputError, AlftNumericalError
from alft.estimators import check_trainable, get_estimator, minimax_value


@pytest.mark.parametrize("K", [4, 8, 16, 32])
def test_minimax_reaches_the_ditzian_totik_constant(K):
    # docs/concepts/estimators.md#minimax (measured): K²·E*_K = 0.320 … 0.326; the limit is 0.326.
    assert abs(K * K * minimax_value(K) - 0.326) <= 0.02 * 0.326


def test_minimax_table_achieves_its_lp_value_on_a_dense_grid():
    est = get_estimator("minimax", 16)
    assert est.weighted_bias() == pytest.approx(minimax_value(16), rel=1e-3)


def test_no_table_beats_the_minimax_value():
    for name in ("plugin", "digamma", "aqp", "aqp-floor"):
        assert get_estimator(name, 16).weighted_bias() >= minimax_value(16) * (1 - 1e-6)


@pytest.mark.parametrize("K", [4, 16, 32])
@pytest.mark.parametrize("kappa", [4.0, 8.0])
def test_aqp_meets_its_global_budget(K, kappa):
    est = get_estimator("aqp", K, kappa=kappa)
    assert est.weighted_bias() <= kappa * minimax_value(K) * (1 + 2e-3)


@pytest.mark.parametrize("K", [4, 16])
def test_aqp_floor_meets_its_floor_budget(K):
    est = get_estimator("aqp-floor", K, c=2.0)
    assert est.floor_bias() <= 2.0 / K**2 * (1 + 2e-3)


def test_aqp_trades_bias_for_variance_along_kappa():
    tight, loose = get_estimator("aqp", 16, kappa=2.0), get_estimator("aqp", 16, kappa=16.0)
    assert tight.weighted_bias() < loose.weighted_bias()
    assert tight.max_variance() > loose.max_variance()


def test_worst_case_variant_has_no_larger_worst_case_variance():
    average, worst = get_estimator("aqp", 16), get_estimator("aqp-worst", 16)
    assert worst.max_variance() <= average.max_variance() * (1 + 1e-9)
    assert worst.weighted_bias() <= 8 * minimax_value(16) * (1 + 2e-3)


def test_aqp_beats_plugin_in_bias_at_equal_variance_order():
    # Θ(1/K²) against Θ(1/K): at K = 32 the AQP bias is several times smaller.
    assert get_estimator("aqp", 32).weighted_bias() * 4 < get_estimator("plugin", 32).weighted_bias()


def test_budgets_below_the_minimax_value_are_refused():
    with pytest.raises(AlftInputError, match="kappa"):
        get_estimator("aqp", 8, kappa=0.5)
    with pytest.raises(AlftInputError, match="below the minimax value"):
        get_estimator("aqp", 8, budget=minimax_value(8) / 2)
    with pytest.raises(AlftInputError, match="below the minimax value"):
        get_estimator("aqp-floor", 8, c=1e-6)


def test_unreachable_budget_names_one_that_solves():
    # κ = 1 is the minimax value itself: no table lies strictly inside it.
    with pytest.raises(AlftNumericalError, match="out of reach at K=32.*solves"):
        get_estimator("aqp", 32, kappa=1.0)


def test_exact_minimax_tables_are_refused_for_training():
    with pytest.raises(AlftInputError, match="aqp"):
        check_trainable(get_estimator("minimax", 32))
    check_trainable(get_estimator("aqp", 32))
