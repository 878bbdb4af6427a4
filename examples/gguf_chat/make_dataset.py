"""Write a small chat dataset of arithmetic word problems (prompt: chat messages; answer: the number).

    python examples/gguf_chat/make_dataset.py problems.jsonl --rows 40 --seed 0

The prompts are chat messages, so ``alft train`` and ``alft references`` apply the model's chat template, as a
chat model expects (plain-text prompts to a chat model mostly come back empty; ``alft train`` warns of it).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SYSTEM = "Answer with the final number only."
STORIES = (
    ("{name} has {a} apples and buys {b} more. How many apples does {name} have now?", lambda a, b: a + b),
    ("{name} had {a} stickers and gave away {b}. How many stickers are left?", lambda a, b: a - b),
    ("{name} packs {b} boxes with {a} pens each. How many pens is that in total?", lambda a, b: a * b),
)
NAMES = ("Ana", "Ben", "Chen", "Dara", "Eli", "Farah")


def problems(rows: int, seed: int) -> list[dict]:
    """``rows`` problems: chat messages in ``prompt``, the answer as text in ``answer``."""
    rng = random.Random(seed)
    out = []
    for _ in range(rows):
        story, solve = rng.choice(STORIES)
        a, b = rng.randint(5, 30), rng.randint(2, 9)
        text = story.format(name=rng.choice(NAMES), a=a, b=b)
        out.append({"prompt": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text}],
                    "answer": str(solve(a, b))})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the JSONL file to write")
    parser.add_argument("--rows", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.output.write_text("".join(json.dumps(row) + "\n" for row in problems(args.rows, args.seed)))
    print(f"wrote {args.rows} problems to {args.output}")


if __name__ == "__main__":
    main()
