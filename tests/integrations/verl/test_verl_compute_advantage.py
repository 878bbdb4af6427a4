"""With the real verl: advantages through verl's own compute_advantage(DataProto, ...) equal the TRL
integration's rewards after the same baseline and scaling, exactly (docs/guides/verl.md; issue 14's "must reach")."""

import json
import os

import numpy as np

from alft.games import PEERS
from alft.games.reward import REWARD_DEFAULTS
import pytest

pytest.importorskip("verl.protocol")  # a submodule: this very folder imports as a namespace "verl"

import torch  # noqa: E402
import verl  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from verl import DataProto  # noqa: E402
from verl.trainer.ppo.ray_trainer import compute_advantage  # noqa: E402
from verl_batches import GROUPS, REFERENCE_ANSWERS, answers_and_references, extra_column, rows, tensors  # noqa: E402

from alft.errors import AlftInputError  # noqa: E402
from alft.integrations.trl import answer_reward  # noqa: E402
from alft.integrations.verl import answers_for_batch, answers_from_dataproto  # noqa: E402

EPSILON = 1e-6  # verl's GRPO epsilon, the plugin's default


def algorithm_config(adv_estimator: str, norm: bool, alft: dict):
    """verl's own default ``algorithm`` section (as the v1 trainer passes it) with alft's settings added."""
    path = os.path.join(os.path.dirname(verl.__file__), "trainer", "config", "_generated_ppo_trainer.yaml")
    algorithm = OmegaConf.load(path).algorithm
    algorithm.adv_estimator = adv_estimator
    algorithm.norm_adv_by_std_in_grpo = norm
    algorithm.alft = alft
    return algorithm


def dataproto(batch_rows):
    rewards, mask = tensors(batch_rows)
    answers, references = answers_and_references(batch_rows)
    uids = np.array([row["uid"] for row in batch_rows], dtype=object)
    return DataProto.from_dict(
        tensors={"token_level_rewards": rewards, "response_mask": mask},
        non_tensors={"uid": uids, "alft_answer": answers, "alft_reference": references,
                     "alft_reference_answers": extra_column(batch_rows, "alft_reference_answers")},
    )


def trl_advantages(batch_rows, objective, estimator, alft, norm):
    """The TRL integration's rewards per group (each with its own K), then verl's GRPO baseline and scaling."""
    out = np.zeros(len(batch_rows))
    for uid, (reference, _) in GROUPS.items():
        idx = [i for i, row in enumerate(batch_rows) if row["uid"] == uid]
        if len(idx) < 2:
            continue  # a group of one: documented zero advantage
        rule = {"peer": objective} if objective in PEERS else {"objective": objective} if objective else {}
        reward = answer_reward(len(idx), estimator=estimator, **rule,
                               unextractable=alft.get("unextractable", REWARD_DEFAULTS["unextractable"]),
                               penalty=alft.get("penalty", REWARD_DEFAULTS["penalty"]),
                               allow_collapse=alft.get("allow_collapse", False))
        drawn = [json.dumps(REFERENCE_ANSWERS[uid])] * len(idx)  # the dataset column, as TRL passes it
        r = np.asarray(reward(prompts=[uid] * len(idx), completions=[batch_rows[i]["text"] for i in idx],
                              answer=[reference] * len(idx), reference_answers=drawn))
        baseline = reward.last.game.baseline_loo if alft.get("baseline") == "loo" else r.mean()
        advantage = r - baseline
        out[idx] = advantage / (r.std(ddof=1) + EPSILON) if norm else advantage
    return out


CASES = [
    ("alft", True, {}, None, "aqp"),  # the default: the anchored game, reference answers from the dataset
    ("alft", False, {"baseline": "loo", "unextractable": "exclude", "estimator": "digamma"}, None, "digamma"),
    ("alft_coherence", True, {"allow_collapse": True}, "coherence", "aqp"),
    ("alft", False, {"objective": "coherence+0.5*verifier", "estimator": "digamma", "baseline": "loo", "allow_collapse": True},
     "coherence+0.5*verifier", "digamma"),
    ("alft_pairwise", True, {"unextractable": "exclude", "allow_collapse": True}, "pairwise", "aqp"),
    ("alft_diversity", False, {"unextractable": "penalty", "penalty": -0.5}, "diversity", "aqp"),
    ("alft_ttrl", True, {}, "ttrl", "aqp"),
    ("alft_empo", True, {}, "empo", "aqp"),
]


@pytest.mark.parametrize(("adv_estimator", "norm", "alft", "objective", "estimator"), CASES)
def test_verl_compute_advantage_equals_trl_rewards_after_the_same_baseline(adv_estimator, norm, alft, objective,
                                                                           estimator):
    batch_rows = rows(seed=3)
    data = dataproto(batch_rows)
    with answers_from_dataproto(data) as handed:
        data = compute_advantage(data, adv_estimator=adv_estimator, config=algorithm_config(adv_estimator, norm, alft))
    expected = trl_advantages(batch_rows, objective, estimator, alft, norm)
    mask = data.batch["response_mask"]
    expected_tokens = torch.as_tensor(expected, dtype=torch.float32).unsqueeze(-1) * mask
    assert torch.equal(data.batch["advantages"], expected_tokens)  # exactly, token by token
    assert torch.equal(data.batch["returns"], expected_tokens)
    assert np.count_nonzero(expected) >= 8  # a real test: the groups with unequal classes move
    assert handed.metrics["alft/singleton_groups"] == 1.0
    in_groups = [row for row in batch_rows if len(GROUPS[row["uid"]][1]) > 1]
    unanswered = sum(row["scored"]["alft_answer"] == "" for row in in_groups) / len(in_groups)
    assert handed.metrics["alft/unanswered"] == pytest.approx(unanswered) and unanswered > 0


def test_without_the_hook_the_estimator_says_how_to_install_it():
    batch_rows = rows()
    data = dataproto(batch_rows)
    with pytest.raises(AlftInputError, match=r"algorithm.adv_estimator=alft_coherence: no answers .*trainer_mode=alft_sync"):
        compute_advantage(data, adv_estimator="alft_coherence", config=algorithm_config("alft_coherence", True, {"allow_collapse": True}))


def test_answers_for_other_rows_are_refused():
    batch_rows = rows()
    data = dataproto(batch_rows)
    answers, _ = answers_and_references(batch_rows)
    shifted = list(data.non_tensor_batch["uid"][1:]) + [data.non_tensor_batch["uid"][0]]
    with answers_for_batch(shifted, answers), pytest.raises(AlftInputError, match="index: .*same rows"):
        compute_advantage(data, adv_estimator="alft_coherence", config=algorithm_config("alft_coherence", True, {"allow_collapse": True}))


def test_a_bad_alft_setting_in_the_config_names_its_key_at_the_estimator_too():
    data = dataproto(rows())
    with answers_from_dataproto(data), pytest.raises(AlftInputError, match=r"^algorithm.alft.estimator:"):
        compute_advantage(data, adv_estimator="alft", config=algorithm_config("alft", True, {"estimator": "nope"}))
