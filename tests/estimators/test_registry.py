"""Bad input to the registry gets a clear error naming the field."""

import math

import numpy as np
import pytest

from alft.errors import AlftInputError
from alft.estimators import ESTIMATORS, get_estimator, parse_target


@pytest.mark.parametrize("K", [1, 0, -3, 257, 2.5, True, "8"])
def test_bad_group_sizes(K):
    with pytest.raises(AlftInputError, match="K: got"):
        get_estimator("plugin", K)


def test_unknown_estimator_lists_the_known_ones():
    with pytest.raises(AlftInputError) as error:
        get_estimator("plug-in", 8)
    assert all(name in str(error.value) for name in ESTIMATORS)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_parameters(value):
    with pytest.raises(AlftInputError, match="kappa"):
        get_estimator("aqp", 8, kappa=value)


def test_unknown_parameter_names_the_accepted_ones():
    with pytest.raises(AlftInputError, match="kapa: not a parameter of 'aqp' \\(accepted: kappa, budget\\)"):
        get_estimator("aqp", 8, kapa=2.0)


@pytest.mark.parametrize("spec", ["tsallis:1", "tsallis:2.5", "poly:", "poly:1,x", "entropy", "kl+l2:nan", [1.0, math.inf]])
def test_bad_targets(spec):
    with pytest.raises(AlftInputError, match="target"):
        parse_target(spec)


def test_tables_are_immutable_and_finite():
    est = get_estimator("digamma", 8)
    assert np.all(np.isfinite(est.table))
    with pytest.raises(ValueError):
        est.table[0] = 1.0


def test_summary_is_the_documented_json_shape():
    summary = get_estimator("aqp", 8).summary()
    assert list(summary) == ["estimator", "K", "target", "params", "table", "weighted_bias", "floor_bias", "max_variance"]
    assert len(summary["table"]) == 8
