"""GSM8K → verl's RL parquet (``prompt`` messages, ``reward_model.ground_truth``, ``data_source``).

    python examples/verl/prepare_gsm8k.py --out data/gsm8k [--dataset openai/gsm8k]

Needs the hub (not run on the machines this project is built on); the row format is tested offline in
tests/integrations/verl/test_verl_example.py. alft's compute_score reads the final answer after ``####`` or in
``\\boxed{}`` (the "auto" extractor), so the instruction asks for ``####``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

INSTRUCTION = "Let's think step by step and output the final answer after \"####\"."


def to_verl_row(example: dict, index: int, split: str) -> dict:
    """One GSM8K example ({question, answer: "...#### 42"}) as a verl RL row."""
    reference = example["answer"].split("####")[-1].strip().replace(",", "")
    return {
        "data_source": "openai/gsm8k",
        "prompt": [{"role": "user", "content": f"{example['question']} {INSTRUCTION}"}],
        "ability": "math",
        "reward_model": {"style": "rule", "ground_truth": reference},
        "extra_info": {"split": split, "index": index},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("data/gsm8k"))
    parser.add_argument("--dataset", default="openai/gsm8k")
    args = parser.parse_args()
    from datasets import load_dataset

    args.out.mkdir(parents=True, exist_ok=True)
    for split in ("train", "test"):
        rows = load_dataset(args.dataset, "main", split=split)
        rows.map(lambda example, i: to_verl_row(example, i, split), with_indices=True,
                 remove_columns=rows.column_names).to_parquet(str(args.out / f"{split}.parquet"))


if __name__ == "__main__":
    main()
