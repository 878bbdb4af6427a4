"""The character tokenizer: one token per character, special tokens, save and reload."""

from hypothesis import given, settings
from hypothesis import strategies as st
from transformers import AutoTokenizer

from alft.task.tokenizer import ALPHABET, EOS, PAD, build_tokenizer

TOKENIZER = build_tokenizer()


def test_vocabulary_and_special_tokens():
    assert len(TOKENIZER) == len(ALPHABET) + 4 == 18
    assert TOKENIZER.pad_token == PAD and TOKENIZER.eos_token == EOS
    assert len({TOKENIZER.pad_token_id, TOKENIZER.bos_token_id, TOKENIZER.eos_token_id, TOKENIZER.unk_token_id}) == 4
    assert TOKENIZER.padding_side == "left"


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_round_trip_one_token_per_character(text):
    ids = TOKENIZER(text)["input_ids"]
    assert len(ids) == len(text)
    assert TOKENIZER.decode(ids) == text


def test_unknown_characters_and_eos_handling():
    ids = TOKENIZER("1 x")["input_ids"]
    assert ids[1] == ids[2] == TOKENIZER.unk_token_id
    with_eos = TOKENIZER("3+4=7" + EOS)["input_ids"]
    assert with_eos[-1] == TOKENIZER.eos_token_id and len(with_eos) == 6
    assert TOKENIZER.decode(with_eos, skip_special_tokens=True) == "3+4=7"


def test_left_padding_in_batches():
    batch = TOKENIZER(["1+2=", "33*4-5="], padding=True)
    assert batch["input_ids"][0][:3] == [TOKENIZER.pad_token_id] * 3
    assert batch["attention_mask"][0] == [0, 0, 0, 1, 1, 1, 1]


def test_save_and_reload_with_auto_tokenizer(tmp_path):
    TOKENIZER.save_pretrained(tmp_path)
    reloaded = AutoTokenizer.from_pretrained(tmp_path)
    text = "9*8-7=72-7=65"
    assert reloaded(text)["input_ids"] == TOKENIZER(text)["input_ids"]
    assert reloaded.eos_token_id == TOKENIZER.eos_token_id and reloaded.padding_side == "left"
