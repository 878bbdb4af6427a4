"""The worst-case-variance AQP (docs/concepts/estimators.md#aqp): a certified solution that meets the budget it was given, and
what it does when it cannot."""

import warnings

import numpy as np
import pytest

from alft.errors import AlftInputError, AlftNumericalError
from alft.estimators import get_estimator, minimax_value
from alft.estimators.aqp import AqpProblem, ConditionedBasis, _CheckGrids, _phase_one_start, solve_aqp
from alft.estimators.base import metric_grid
from alft.estimators.bernstein import binomial_basis


def _budget(reference, K):
    return get_estimator(reference, K).weighted_bias()


@pytest.mark.parametrize("K", [4, 16])
@pytest.mark.parametrize("reference", ["plugin", "digamma"])
def test_certificate_brackets_the_optimum_and_the_budget_holds(reference, K):
    budget = _budget(reference, K)
    solution = solve_aqp(AqpProblem(K, budget), worst_case=True)
    assert solution.converged
    assert 0 < solution.lower_bound <= solution.objective <= solution.lower_bound * 1.005
    assert solution.sup_bias <= budget * (1 + 1e-5)


@pytest.mark.parametrize("reference", ["plugin", "digamma"])
def test_the_lower_bound_is_below_every_feasible_tables_worst_case_variance(reference):
    # The reference table itself and the average-variance AQP both meet the budget: neither may have a
    # worst-case variance below a valid lower bound.
    K = 16
    budget = _budget(reference, K)
    lower = solve_aqp(AqpProblem(K, budget), worst_case=True).lower_bound
    assert get_estimator(reference, K).max_variance() >= lower
    assert get_estimator("aqp", K, budget=budget).max_variance() >= lower


def test_worst_case_table_dominates_plugin_at_plugins_bias():
    # docs/concepts/estimators.md#aqp: at plug-in's weighted bias the optimal worst-case variance is 0.144 against plug-in's 0.245.
    K = 16
    budget = _budget("plugin", K)
    est = get_estimator("aqp-worst", K, budget=budget)
    assert est.weighted_bias() <= budget * (1 + 1e-5)
    assert est.max_variance() < 0.7 * get_estimator("plugin", K).max_variance()
    assert est.certificate["converged"] and est.certificate["lower_bound"] <= est.max_variance()


def test_an_absolute_budget_is_used_as_given():
    K = 8
    budget = 3.0 * minimax_value(K)
    by_budget, by_kappa = get_estimator("aqp-worst", K, budget=budget), get_estimator("aqp-worst", K, kappa=3.0)
    np.testing.assert_allclose(by_budget.table, by_kappa.table, rtol=1e-9, atol=1e-12)
    assert budget * 0.99 <= by_budget.weighted_bias() <= budget * (1 + 1e-5)  # the budget binds


def test_running_out_of_rounds_raises_instead_of_returning():
    # digamma's budget at K = 16 needs more than one exchange round from the design grid.
    with pytest.raises(AlftNumericalError, match="not converged after 1 exchange rounds"):
        solve_aqp(AqpProblem(16, _budget("digamma", 16)), worst_case=True, max_rounds=1)


def test_phase_one_finds_a_strictly_feasible_start():
    # The path taken where the least-distance start over the well-determined directions cannot reach the
    # budget (K = 256, κ = 8).
    K, budget = 16, 4.0 * minimax_value(16)
    problem = AqpProblem(K, budget)
    basis = ConditionedBasis.of(problem)
    table = basis.table(_phase_one_start(problem, _CheckGrids.of(problem), basis))
    p = metric_grid()
    err = p * np.abs(binomial_basis(K - 1, p) @ table - np.log(p))
    assert err.max() < 0.95 * budget


@pytest.mark.parametrize("value", [-1e-3, float("nan")])
def test_bad_budgets_name_the_field(value):
    with pytest.raises(AlftInputError, match="budget"):
        get_estimator("aqp-worst", 8, budget=value)


def test_budget_below_the_minimax_value_is_refused_for_the_worst_case_too():
    with pytest.raises(AlftInputError, match="budget: .*below the minimax value"):
        get_estimator("aqp-worst", 8, budget=minimax_value(8) * 0.5)


@pytest.mark.parametrize("K", [2, 3])
def test_tiny_groups_get_a_certified_zero_variance_table(K):
    # κ = 8 is loose enough at K ≤ 3 for a constant table: the optimal variance is 0, which a relative gap
    # alone never certifies (this raised before), and the barrier must not divide by it.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = get_estimator("aqp-worst", K)
    assert est.certificate["converged"] and est.max_variance() < 1e-12
    assert est.weighted_bias() <= 8 * minimax_value(K) * (1 + 1e-5)
