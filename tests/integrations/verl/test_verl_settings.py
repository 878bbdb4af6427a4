"""algorithm.alft.* → settings: defaults, named objectives, and every bad value named by its config key."""

import pytest

from alft.errors import AlftInputError
from alft.integrations.verl import ADV_ESTIMATORS, settings_from_config


def test_defaults_and_named_objectives():
    settings = settings_from_config({"adv_estimator": "alft"})
    assert (settings.objective, settings.reward.estimator, settings.baseline, settings.norm_by_std) == (
        "0.5*coherence+anchor", "aqp", "mean", True,
    )
    assert settings.needs_reference_answers  # the default is the anchored game
    assert settings_from_config({"adv_estimator": "alft_ttrl"}).is_peer
    assert settings_from_config({"adv_estimator": "alft_gini"}).objective == "gini"
    custom = settings_from_config(
        {"adv_estimator": "alft", "norm_adv_by_std_in_grpo": False,
         "alft": {"objective": "coherence+0.5*verifier", "estimator": "digamma", "baseline": "loo",
                  "allow_collapse": True}}
    )
    assert custom.needs_verifier and not custom.norm_by_std and custom.reward.estimator == "digamma"
    assert set(ADV_ESTIMATORS) >= {"alft", "alft_coherence", "alft_ttrl", "alft_empo"}


@pytest.mark.parametrize(
    ("algorithm", "key"),
    [
        ({"adv_estimator": "alft_unknown"}, "algorithm.adv_estimator"),
        ({"adv_estimator": "alft", "alft": {"objective": "coherense"}}, "algorithm.alft.objective"),
        ({"adv_estimator": "alft_gini", "alft": {"objective": "coherence"}}, "algorithm.alft.objective"),
        ({"adv_estimator": "alft", "alft": {"estimator": "magic"}}, "algorithm.alft.estimator"),
        ({"adv_estimator": "alft", "alft": {"unextractable": "drop"}}, "algorithm.alft.unextractable"),
        ({"adv_estimator": "alft", "alft": {"baseline": "median"}}, "algorithm.alft.baseline"),
        ({"adv_estimator": "alft_ttrl", "alft": {"baseline": "loo"}}, "algorithm.alft.baseline"),
        ({"adv_estimator": "alft", "alft": {"penalty": float("nan")}}, "algorithm.alft.penalty"),
        ({"adv_estimator": "alft", "alft": {"grouper": "fuzzy"}}, "algorithm.alft.grouper"),
        ({"adv_estimator": "alft", "alft": {"kappa": 3}}, "algorithm.alft.kappa"),
        ({"adv_estimator": "alft", "alft": {"estimator_params": 3}}, "algorithm.alft.estimator_params"),
        ({"adv_estimator": "alft", "alft": "coherence"}, "algorithm.alft"),
    ],
)
def test_bad_settings_name_their_config_key(algorithm, key):
    with pytest.raises(AlftInputError, match=rf"^{key.replace('.', '[.]')}:"):
        settings_from_config(algorithm)


def test_dataclass_configs_without_an_alft_section_read_as_defaults():
    class AlgoConfig:  # verl's AlgoConfig has attributes, and no `alft` field
        adv_estimator = "alft_empo"
        norm_adv_by_std_in_grpo = False

    settings = settings_from_config(AlgoConfig())
    assert settings.objective == "empo" and not settings.norm_by_std
