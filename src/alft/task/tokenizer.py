"""A character-level tokenizer for the built-in task, built locally (no hub download, docs/concepts/builtin-task.md).

It is a real ``transformers.PreTrainedTokenizerFast`` (a ``tokenizers`` WordLevel model over single
characters), so it saves with ``save_pretrained``, reloads with ``AutoTokenizer.from_pretrained`` and works
inside TRL's trainers like any other tokenizer. Prompts are plain text; there is no chat template.
"""

from __future__ import annotations

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

ALPHABET = "0123456789+-*="
"""The characters of the task; anything else becomes ``<unk>``."""

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


def build_tokenizer(alphabet: str = ALPHABET, *, model_max_length: int = 128) -> PreTrainedTokenizerFast:
    """A character-level tokenizer: one token per character plus ``<pad> <bos> <eos> <unk>``.

    No special token is added automatically (like Qwen's tokenizers): TRL appends ``<eos>`` to warm-up
    completions itself, and generation stops on it. Padding is on the left, as batched generation needs.

    Args:
        alphabet: the characters, each its own token (no repeats).
        model_max_length: the longest sequence the model is meant to see.

    Returns:
        The tokenizer (18 tokens for the default alphabet).
    """
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + tuple(dict.fromkeys(alphabet)))}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    # every character is its own piece; "isolated" keeps each one as a separate token
    core.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
    core.decoder = decoders.Fuse()  # join the characters back without spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        padding_side="left",
        model_max_length=model_max_length,
    )
