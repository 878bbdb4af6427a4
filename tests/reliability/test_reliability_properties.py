"""Property tests across the library (issue 7, item 1): random groups, a random K per group, random unicode /
empty / huge / adversarial completions. Every reward returned is finite; every answer is well formed."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import adversarial_completions

from alft import bon, games
from alft.answers import EXTRACTORS, MAX_ANSWER_CHARS, AnswerEquivalence, canonicalize
from alft.errors import AlftInputError
from alft.estimators import get_estimator, leave_one_out_counts

CLOSED = ["plugin", "plugin-half", "digamma"]
SOLVED_K = [2, 3, 4, 5, 8, 16, 32, 64]  # aqp solves in ≤ 0.1 s each at these sizes (K = 128+ is in the benchmark)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Answers: a small alphabet (so groups agree), arbitrary unicode, empty strings, None, and a few huge strings.
answers = st.one_of(
    st.sampled_from(["1", "2", "3", "-1", "1/2", "x"]),
    st.text(max_size=12),
    st.none(),
    st.builds(lambda c, n: c * n, st.characters(), st.integers(10_000, 100_000)),
)
objectives = st.sampled_from([
    games.coherence(), games.diversity(), games.gini_diversity(), games.pairwise_coherence(),
    0.5 * games.coherence() + games.verifier(), games.bregman("kl"), games.bregman("tsallis:3", 0.3),
    games.bregman("kl+l2:0.5"), -2.0 * games.diversity() + 0.1 * games.gini_diversity(),
])


def _naive_counts(row):
    return [sum(1 for j, b in enumerate(row) if j != i and b == a) for i, a in enumerate(row)]


@FAST
@given(st.data())
def test_counts_and_rewards_of_every_closed_form_table_are_finite_for_any_group(data):
    K = data.draw(st.integers(2, 256))
    groups = data.draw(st.integers(1, 4))
    alphabet = data.draw(st.integers(1, K))
    ids = np.array(data.draw(st.lists(st.lists(st.integers(0, alphabet - 1), min_size=K, max_size=K),
                                      min_size=groups, max_size=groups)))
    counts = leave_one_out_counts(ids)
    assert counts.tolist() == [_naive_counts(row) for row in ids.tolist()]
    for name in CLOSED:
        rewards = get_estimator(name, K).rewards(counts)
        assert rewards.shape == ids.shape and np.all(np.isfinite(rewards))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SOLVED_K), st.data())
def test_aqp_rewards_are_finite_and_bounded_for_any_group(K, data):
    ids = np.array(data.draw(st.lists(st.integers(0, 3), min_size=K, max_size=K)))
    est = get_estimator("aqp", K)
    rewards = est.rewards(leave_one_out_counts(ids))
    assert np.all(np.isfinite(rewards)) and np.max(np.abs(rewards)) <= 1e3  # TRAINING_COEFFICIENT_BOUND


@FAST
@given(
    st.lists(st.lists(answers, min_size=1, max_size=24), min_size=1, max_size=4),  # a random K per group
    objectives,
    st.sampled_from(CLOSED + ["aqp"]),
    st.sampled_from(games.UNEXTRACTABLE_POLICIES),
    st.floats(-1e6, 1e6),
    st.data(),
)
def test_group_rewards_are_finite_for_random_groups_of_random_sizes(groups, objective, estimator, policy, penalty, data):
    for group in groups:
        scores = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=len(group), max_size=len(group)))
        if 2 <= len(group) <= objective.target.degree:  # no unbiased table for so few samples (docs/concepts/estimators.md#u-statistics)
            with pytest.raises(AlftInputError, match="target"):
                games.group_rewards(group, games.Reward(objective, estimator, allow_collapse=True), verifier_scores=scores)
            continue
        result = games.group_rewards(group, games.Reward(objective, estimator, unextractable=policy, penalty=penalty, allow_collapse=True), verifier_scores=scores)
        K = len(group)
        assert result.rewards.shape == result.baseline_loo.shape == (K,)
        assert np.all(np.isfinite(result.rewards)) and np.all(np.isfinite(result.baseline_loo))
        assert result.n_unextractable == sum(a is None for a in group)
        # permutation equivariance: rewards follow their samples
        order = data.draw(st.permutations(range(K)))
        permuted = games.group_rewards([group[i] for i in order], games.Reward(objective, estimator, unextractable=policy, penalty=penalty, allow_collapse=True), verifier_scores=[scores[i] for i in order])
        np.testing.assert_allclose(permuted.rewards, result.rewards[list(order)], rtol=1e-12, atol=1e-12)


@FAST
@given(st.integers(1, 6), st.integers(1, 16), objectives, st.data())
def test_a_batch_is_the_concatenation_of_its_groups(G, K, objective, data):
    flat = data.draw(st.lists(st.sampled_from(["1", "2", "3", None]), min_size=G * K, max_size=G * K))
    scores = data.draw(st.lists(st.floats(-10, 10), min_size=G * K, max_size=G * K))
    reward = games.Reward(objective, "digamma", allow_collapse=True)
    if 2 <= K < reward.least_counted:  # a polynomial of degree ≥ K has no unbiased table: refused, batch or group
        with pytest.raises(AlftInputError, match="target"):
            games.batch_group_rewards(flat, K, reward, scores)
        with pytest.raises(AlftInputError, match="target"):
            games.group_rewards(flat[:K], reward, verifier_scores=scores[:K])
        return
    batch = games.batch_group_rewards(flat, K, reward, scores)
    for g in range(G):
        one = games.group_rewards(flat[g * K:(g + 1) * K], games.Reward(objective, "digamma", allow_collapse=True), verifier_scores=scores[g * K:(g + 1) * K])
        np.testing.assert_allclose(batch.group(g).rewards, one.rewards, rtol=1e-12, atol=1e-12)


def _well_formed(answer):
    return answer is None or (isinstance(answer, str) and answer == answer.strip() and 0 < len(answer) <= MAX_ANSWER_CHARS)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_every_extractor_returns_a_well_formed_answer_or_none_for_any_text(text):
    for extract in EXTRACTORS.values():
        answer = extract(text)
        assert _well_formed(answer)
        once = canonicalize(answer)
        assert once is None or canonicalize(once) == once  # canonical forms are fixed points


@pytest.mark.parametrize("name, text", list(adversarial_completions().items()))
def test_adversarial_completions_give_well_formed_answers(name, text):
    for extract in EXTRACTORS.values():
        assert _well_formed(extract(text)), name


def test_a_group_of_adversarial_completions_gets_finite_rewards():
    from alft.integrations.trl import answer_reward

    completions = list(adversarial_completions().values())
    completions += ["=1"] * (-len(completions) % 4)
    reward = answer_reward(4, "coherence", "aqp", grouper="exact", allow_collapse=True)
    rewards = reward(prompts=[p for p in range(len(completions) // 4) for _ in range(4)], completions=completions)
    assert len(rewards) == len(completions) and all(math.isfinite(r) for r in rewards)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=8), st.sampled_from(["1/2", "0.5", "\\frac{1}{2}", "2"])),
                min_size=1, max_size=8))
def test_equivalence_classes_are_consistent_with_canonical_strings(group):
    for grouper in (AnswerEquivalence(use_math_verify=False), AnswerEquivalence()):
        ids = grouper(group)
        canonical = [canonicalize(a) for a in group]
        assert len(ids) == len(group)
        assert all((i is None) == (c is None) for i, c in zip(ids, canonical))
        for i, a in zip(ids, canonical):
            for j, b in zip(ids, canonical):
                if a is not None and a == b:
                    assert i == j
        seen = [i for i in ids if i is not None]
        assert sorted(set(seen)) == list(range(len(set(seen))))  # numbered 0, 1, … by first appearance


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.sampled_from(["=4", "3+1=4", "\\boxed{4}", "####4"])),
                min_size=2, max_size=16),
       st.sampled_from([{"objective": "coherence"}, {"objective": "diversity"}, {"objective": "pairwise"}, {"peer": "ttrl"}, {"peer": "empo"}, {"objective": "coherence+0.5*verifier"}]))
def test_the_trl_reward_is_finite_for_any_completions(texts, rule):
    from alft.integrations.trl import answer_reward

    K = 2
    texts = texts[: len(texts) - len(texts) % K]
    reward = answer_reward(K, estimator="digamma", grouper="exact", allow_collapse=True, **rule)
    rewards = reward(prompts=[i // K for i in range(len(texts))], completions=texts, answer=["4"] * len(texts))
    assert len(rewards) == len(texts) and all(math.isfinite(r) for r in rewards)


@st.composite
def extreme_references(draw):
    size = draw(st.integers(1, 12))
    exponents = draw(st.lists(st.floats(-300, 0), min_size=size, max_size=size))
    weights = np.power(10.0, exponents)
    rewards = draw(st.lists(st.one_of(st.integers(-3, 3).map(float), st.floats(-1e300, 1e300)),
                            min_size=size, max_size=size))
    return bon.Reference.from_arrays(weights / weights.sum(), rewards)


@settings(max_examples=100, deadline=None)
@given(extreme_references(), st.one_of(st.integers(1, 64), st.integers(65, 10**9)))
def test_best_of_n_quantities_stay_finite_and_bounded_at_extreme_masses_and_n(ref, n):
    kl = bon.kl_exact(ref, n)
    assert math.isfinite(kl) and -1e-9 <= kl <= min(bon.kl_formula(n), bon.kl_saturation(ref)) + 1e-9
    assert 0 <= bon.win_rate(ref, n) <= bon.win_bound(n) + 1e-9
    estimate = bon.expected_kl_estimator(ref, n)
    assert math.isfinite(estimate) and 0 <= estimate <= bon.kl_formula(n) + 1e-12


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.floats(-1e6, 0), st.just(-math.inf), st.just(0.0)), min_size=1, max_size=20),
       st.one_of(st.integers(1, 64), st.integers(65, 10**12)))
def test_kl_estimator_is_finite_and_within_its_bounds_for_any_mass(log_eps, n):
    values = bon.kl_estimator_log(log_eps, n)
    assert np.all(np.isfinite(values)) and np.all(values >= 0) and np.all(values <= bon.kl_formula(n))
