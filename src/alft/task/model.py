"""The built-in policy: a small randomly initialised Qwen2 causal LM, built locally (docs/concepts/builtin-task.md).

Two layers of width 128 (≈ 0.53 M parameters) are enough for the arithmetic task on 2 CPU cores; four
layers of width 256 would need ≈ 11 min of warm-up alone (docs/concepts/builtin-task.md, measured).

The model must live in a folder before TRL trains it with β > 0: TRL reloads the reference model from
``config._name_or_path``, which is empty for a model built from a config (docs/concepts/builtin-task.md). :func:`save_policy`
writes model and tokenizer together and points ``_name_or_path`` at the folder.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerBase, Qwen2Config, Qwen2ForCausalLM

from alft.errors import require


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the built-in model.

    Attributes:
        n_layers: transformer blocks.
        hidden_size: width of the residual stream (a multiple of ``n_heads``).
        n_heads: attention heads.
        intermediate_size: width of each MLP.
        max_positions: longest sequence (prompt + completion) in tokens.
    """

    n_layers: int = 2
    hidden_size: int = 128
    n_heads: int = 4
    intermediate_size: int = 512
    max_positions: int = 128

    def __post_init__(self) -> None:
        for name in ("n_layers", "hidden_size", "n_heads", "intermediate_size", "max_positions"):
            require(getattr(self, name) >= 1, name, getattr(self, name), "a positive integer")
        require(
            self.hidden_size % self.n_heads == 0,
            "hidden_size",
            self.hidden_size,
            f"a multiple of n_heads={self.n_heads}",
        )

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def build_model(
    tokenizer: PreTrainedTokenizerBase, config: ModelConfig = ModelConfig(), *, seed: int = 0
) -> Qwen2ForCausalLM:
    """A randomly initialised Qwen2ForCausalLM sized by ``config`` for ``tokenizer``'s vocabulary.

    Args:
        tokenizer: supplies the vocabulary size and the pad/bos/eos ids (generation stops on eos).
        config: the sizes.
        seed: seeds the initial weights (the global torch RNG is left as it was).

    Returns:
        The model, in float32, on CPU.
    """
    qwen_config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.n_layers,
        num_attention_heads=config.n_heads,
        num_key_value_heads=config.n_heads,
        max_position_embeddings=config.max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(qwen_config)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.bos_token_id = tokenizer.bos_token_id
    return model


def save_policy(model: torch.nn.Module, tokenizer: PreTrainedTokenizerBase, folder: str | Path) -> Path:
    """Save model and tokenizer to ``folder`` and point ``config._name_or_path`` at it (docs/concepts/builtin-task.md).

    Args:
        model: a ``transformers`` causal LM.
        tokenizer: its tokenizer.
        folder: where to write (created if missing).

    Returns:
        The folder, as an absolute path; ``AutoModelForCausalLM.from_pretrained(folder)`` reloads it.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    model.config._name_or_path = str(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def count_parameters(model: torch.nn.Module) -> int:
    """Number of distinct parameters (tied embeddings counted once)."""
    return sum(p.numel() for p in model.parameters())
