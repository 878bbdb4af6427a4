"""Best-of-n and Best-of-Majority over plain sampler / reward callables."""

import numpy as np
import pytest
from scipy.stats import chisquare

from alft.bon import BestOfMajority, BestOfN, Reference, bon_pmf, expected_kl_estimator
from alft.errors import AlftInputError

OUTPUTS = ["w", "x", "y", "z"]
PROBS = np.array([0.4, 0.3, 0.2, 0.1])
REWARD = {"w": 0.0, "x": 2.0, "y": 1.0, "z": 3.0}


def sampler(prompt, n, rng):
    return list(rng.choice(OUTPUTS, size=n, p=PROBS))


def reward(prompt, completion):
    return REWARD[completion]


def ref_logprob(prompt, completion):
    return float(np.log(PROBS[OUTPUTS.index(completion)]))


def test_best_of_n_follows_the_exact_distribution_and_its_kl_estimate():
    n, runs = 3, 6000
    run = BestOfN(sampler, reward, n, ref_logprob).run(["p"] * runs, np.random.default_rng(0))
    counts = np.array([sum(s.completion == o for s in run.selections) for o in OUTPUTS])
    exact = bon_pmf(Reference.from_arrays(PROBS, [REWARD[o] for o in OUTPUTS]), n)
    assert chisquare(counts, exact * runs).pvalue > 1e-4
    estimate = run.kl_estimate()
    expected = expected_kl_estimator(Reference.from_arrays(PROBS, [REWARD[o] for o in OUTPUTS]), n)
    assert abs(estimate.mean - expected) <= 3 * estimate.stderr
    assert all(s.reward == max(s.rewards) for s in run.selections)
    assert run.mean_reward().mean > float(PROBS @ list(REWARD.values()))


def test_same_seed_same_run():
    policy = BestOfN(sampler, reward, 4)
    a = policy.run(["p", "q"], np.random.default_rng(5))
    b = policy.run(["p", "q"], np.random.default_rng(5))
    assert a == b


def test_ties_are_broken_uniformly():
    def flat(prompt, completion):
        return 1.0

    picks = [BestOfN(sampler, flat, 4).select("p", np.random.default_rng(i)).index for i in range(4000)]
    assert chisquare(np.bincount(picks, minlength=4)).pvalue > 1e-4


def _fixed(completions):
    def sample(prompt, n, rng):
        return completions[:n]

    return sample


def _extract(completion):
    return completion.split("=")[-1] if "=" in completion else None


def _score(prompt, completion):
    return float(len(completion))  # longer = "better", to tell the rules apart


def test_best_of_majority_takes_best_member_of_the_majority():
    completions = ["a=1", "long wrong=2", "b=1", "cc=1", "also longer=2", "no answer at all here"]
    bom = BestOfMajority(_fixed(completions), _score, _extract, 6).select("p", np.random.default_rng(0))
    assert bom.answer == "1"
    assert bom.candidates == (0, 2, 3)
    assert bom.completion == "cc=1"
    bon = BestOfN(_fixed(completions), _score, 6).select("p", np.random.default_rng(0))
    assert bon.completion == "no answer at all here"


def test_best_of_majority_ties_in_votes_and_no_answers():
    tie = BestOfMajority(_fixed(["x=1", "yy=2"]), _score, _extract, 2).select("p", np.random.default_rng(0))
    assert tie.candidates == (0, 1) and tie.completion == "yy=2"
    none = BestOfMajority(_fixed(["q", "qq"]), _score, _extract, 2).select("p", np.random.default_rng(0))
    assert none.answer is None and none.completion == "qq"


def test_kl_estimate_needs_logprobs_and_best_of_n():
    run = BestOfN(sampler, reward, 2).run(["p"], np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="ref_logprob"):
        run.kl_estimate()
    bom = BestOfMajority(sampler, reward, _extract, 2, ref_logprob).run(["p"], np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="rule"):
        bom.kl_estimate()


def test_bad_callables_are_named():
    with pytest.raises(AlftInputError, match="sampler: returned 2 completions"):
        BestOfN(_fixed(["a", "b"]), reward, 3).select("p", np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="reward: got nan"):
        BestOfN(sampler, lambda p, c: float("nan"), 2).select("p", np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="ref_logprob: got 0.5"):
        BestOfN(sampler, reward, 2, lambda p, c: 0.5).select("p", np.random.default_rng(0))
    with pytest.raises(AlftInputError, match="n: got 0"):
        BestOfN(sampler, reward, 0)
