"""The transformers adapter on a tiny randomly initialised GPT-2 with a locally built tokenizer."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from alft.bon import BestOfN  # noqa: E402
from alft.bon.transformers_sampler import TransformersSampler  # noqa: E402
from alft.errors import AlftInputError  # noqa: E402

CHARS = "0123456789+-*="


@pytest.fixture(scope="module")
def sampler():
    # Vocabulary: end token + characters only, so every generated text re-tokenizes to the same ids.
    vocab = {"<eos>": 0, **{c: i + 1 for i, c in enumerate(CHARS)}}
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="<eos>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Split(tokenizers.Regex("."), behavior="isolated")
    tok.decoder = tokenizers.decoders.Fuse()
    hf_tok = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", pad_token="<eos>")
    torch.manual_seed(0)
    config = transformers.GPT2Config(vocab_size=len(vocab), n_positions=32, n_embd=16, n_layer=1, n_head=2,
                                     bos_token_id=0, eos_token_id=0, pad_token_id=0)
    model = transformers.GPT2LMHeadModel(config).eval()
    return TransformersSampler(model, hf_tok, max_new_tokens=10, temperature=0.9)


def test_same_seed_same_completions_and_global_rng_untouched(sampler):
    state = torch.get_rng_state()
    a = sampler("3+4=", 6, np.random.default_rng(1))
    b = sampler("3+4=", 6, np.random.default_rng(1))
    c = sampler("3+4=", 6, np.random.default_rng(2))
    assert a == b and a != c and len(a) == 6
    assert all(set(text) <= set(CHARS) for text in a)
    assert torch.equal(state, torch.get_rng_state())


def test_logprob_matches_sampling_probability(sampler):
    texts, logprobs = sampler.sample_with_logprobs("1*2=", 8, np.random.default_rng(3))
    checked = 0
    for text, logprob in zip(texts, logprobs):
        stopped = len(text) < sampler.max_new_tokens  # ended on the end token
        assert sampler.logprob("1*2=", text, with_eos=stopped) == pytest.approx(logprob, abs=1e-4)
        checked += 1
    assert checked == 8 and all(lp < 0 for lp in logprobs)


def test_best_of_n_over_the_model_with_kl_estimate(sampler):
    def reward(prompt, completion):
        return float(completion.count("7"))

    policy = BestOfN(sampler, reward, 4, ref_logprob=sampler.logprob)
    run = policy.run(["2+5=", "9-2="], np.random.default_rng(0))
    assert all(s.reward == max(s.rewards) for s in run.selections)
    estimate = run.kl_estimate()
    assert 0 <= estimate.mean <= np.log(4) - 3 / 4


def test_bad_settings(sampler):
    with pytest.raises(AlftInputError, match="temperature"):
        TransformersSampler(sampler.model, sampler.tokenizer, temperature=0.0)
    with pytest.raises(AlftInputError, match="max_new_tokens"):
        TransformersSampler(sampler.model, sampler.tokenizer, max_new_tokens=0)
