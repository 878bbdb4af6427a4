"""Old public names keep working, each with a DeprecationWarning that names its replacement (alft.deprecation).

"Reference" meant both a prompt's gold answer (a dataset's answer column) and the answers drawn from the reference
policy; the gold answer's names changed (read_gold_answer, equivalent_to, gold_answers=, GOLD_KEY).
"""

import importlib

import numpy as np
import pytest

from alft.deprecation import renamed_attributes, renamed_keywords
from alft.errors import AlftInputError

OLD_MODULE_NAMES = [
    ("alft.answers", "read_reference", "read_gold_answer"),
    ("alft.answers", "read_references", "read_gold_answers"),
    ("alft.answers", "reference_hits", "equivalent_to"),
    ("alft.answers.references", "read_reference", "read_gold_answer"),
    ("alft.answers.references", "read_references", "read_gold_answers"),
    ("alft.answers.references", "reference_hits", "equivalent_to"),
    ("alft.answers.references", "REFERENCE_FORMS", "GOLD_FORMS"),
    ("alft.integrations.verl", "REFERENCE_KEY", "GOLD_KEY"),
    ("alft.integrations.verl.score", "REFERENCE_KEY", "GOLD_KEY"),
    ("alft.integrations.trl", "JsonlMetricsCallback", "alft.training.run_log.JsonlMetricsCallback"),
    ("alft.integrations.trl", "RichProgressCallback", "alft.training.run_log.RichProgressCallback"),
    ("alft.integrations.trl", "read_metrics", "alft.training.run_log.read_metrics"),
    ("alft.integrations.trl", "CollapseWarningCallback", "alft.integrations.trl.FailureWarningCallback"),
]


@pytest.mark.parametrize("module, old, new", OLD_MODULE_NAMES)
def test_an_old_module_name_warns_naming_its_replacement(module, old, new):
    with pytest.warns(DeprecationWarning, match=rf"{module}\.{old} is deprecated: use .*{new}"):
        value = getattr(importlib.import_module(module), old)
    assert value is not None
    with pytest.raises(AttributeError, match="no_such_name"):
        importlib.import_module(module).no_such_name  # noqa: B018 — an unknown name is still an AttributeError


def test_the_old_answer_functions_compute_what_the_new_ones_do():
    from alft.answers import equivalent_to, read_gold_answer, read_gold_answers

    with pytest.warns(DeprecationWarning):
        from alft.answers import read_reference, read_references, reference_hits
    assert read_reference("#### 1,000") == read_gold_answer("#### 1,000") == "1000"
    with pytest.warns(DeprecationWarning, match=r"\(reference=...\) is deprecated: use gold=..."):
        assert read_reference(reference="\\boxed{72}") == "72"
    assert read_references(["3", "4"], 2, 2) == read_gold_answers(["3", "4"], 2, 2)
    labels, gold = ["0.5", "x", None], ["1/2", "y", "3"]
    assert reference_hits(labels, gold).tolist() == equivalent_to(labels, gold).tolist() == [True, False, False]
    with pytest.warns(DeprecationWarning, match="use targets="):
        assert reference_hits(labels, references=gold).tolist() == [True, False, False]


def test_a_renamed_keyword_still_works_warns_and_cannot_be_given_twice():
    from alft.answers.groups import answer_groups
    from alft.answers.stats import answer_stats

    groups = answer_groups(["1", "1", "2", "2"], 2, grouper="exact")
    new = answer_stats(groups, gold_answers=["1", "2"], grouper="exact")
    with pytest.warns(DeprecationWarning, match=r"answer_stats\(references=...\) is deprecated: use gold_answers="):
        assert answer_stats(groups, references=["1", "2"], grouper="exact") == new
    with pytest.raises(AlftInputError, match="references: given with gold_answers"):
        answer_stats(groups, references=["1", "2"], gold_answers=["1", "2"])


def test_the_trl_reward_accepts_the_old_keyword_of_its_gold_answers():
    from alft.integrations.trl import answer_reward

    reward = answer_reward(2, "coherence+verifier", "digamma", extractor="arithmetic", grouper="exact",
                           allow_collapse=True)
    new = reward.score(["1+1=2", "1+1=3"], gold_answers=["2"]).rewards
    with pytest.warns(DeprecationWarning, match="use gold_answers="):
        np.testing.assert_array_equal(reward.score(["1+1=2", "1+1=3"], references=["2"]).rewards, new)


def test_verl_accepts_the_old_keywords_attribute_and_wire_key_of_its_gold_answers():
    from alft.integrations.verl import BatchAnswers, answer_advantages, answers_for_batch, settings_from_config
    from alft.integrations.verl.score import GOLD_KEY, OLD_GOLD_KEY, gold_of

    settings = settings_from_config({"adv_estimator": "alft", "alft": {"objective": "coherence+verifier",
                                                                        "allow_collapse": True}})
    answers, uids, gold = ["4", "4", "5", "5"], ["a"] * 4, ["4"] * 4
    new = answer_advantages(answers, uids, settings, gold_answers=gold).advantages
    with pytest.warns(DeprecationWarning, match="use gold_answers="):
        np.testing.assert_array_equal(answer_advantages(answers, uids, settings, references=gold).advantages, new)
    with pytest.warns(DeprecationWarning, match="use gold_answers="):
        with answers_for_batch(uids, answers, references=gold) as batch:
            assert batch.gold_answers == gold
    with pytest.warns(DeprecationWarning, match="BatchAnswers.gold_answers"):
        assert batch.references == gold
    with pytest.warns(DeprecationWarning, match="use gold_answers="):
        assert BatchAnswers(uids, answers, references=gold).gold_answers == gold
    assert GOLD_KEY == "alft_gold" and OLD_GOLD_KEY == "alft_reference"
    assert gold_of({OLD_GOLD_KEY: "4"}) == "4" and gold_of({GOLD_KEY: "5", OLD_GOLD_KEY: "4"}) == "5"
    assert gold_of({}) is None  # a compute_score of before the rename is read as before


def test_the_probe_accepts_the_old_keywords_of_its_reference_answers():
    from alft.games.probe import equilibrium_distance, predicted_equilibrium

    drawn = ["1", "1", "2"]
    with pytest.warns(DeprecationWarning, match="use reference_answers="):
        assert predicted_equilibrium(reference=drawn, s=2.0) == predicted_equilibrium(drawn, 2.0)
    with pytest.warns(DeprecationWarning, match="use reference_answers="):
        old = equilibrium_distance([["1", "2"]], references=[drawn], s=2.0)
    assert old == equilibrium_distance([["1", "2"]], reference_answers=[drawn], s=2.0)


def test_renamed_attributes_serve_a_value_computed_when_the_old_name_is_read():
    getattr_ = renamed_attributes("pkg", {"OLD": ("pkg.NEW", lambda: 42)})
    with pytest.warns(DeprecationWarning, match="pkg.OLD is deprecated: use pkg.NEW"):
        assert getattr_("OLD") == 42


@renamed_keywords(old="new")
def _identity(new=None):
    return new


def test_renamed_keywords_keep_the_new_signature_for_introspection():
    import inspect

    assert list(inspect.signature(_identity).parameters) == ["new"]
    with pytest.warns(DeprecationWarning, match=r"_identity\(old=...\) is deprecated: use new=..."):
        assert _identity(old=3) == 3
