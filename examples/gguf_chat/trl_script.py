"""Answer-level GRPO of a GGUF chat model in your own TRL script: AlftGRPOTrainer on a chat dataset that
``alft references`` gave a ``reference_answers`` column (the anchored game p* ∝ p_ref^2, the default reward).

    python examples/gguf_chat/make_dataset.py problems.jsonl --rows 40
    alft references --model MODEL.gguf --dataset problems.jsonl -m 8 -o with_refs.jsonl
    python examples/gguf_chat/trl_script.py --model MODEL.gguf --dataset with_refs.jsonl --steps 4

A GGUF file cannot be given to TRL directly (transformers will not save a model read from one):
``alft.task.loading.load_policy`` converts it once to a cached safetensors folder and loads that.
"""

from __future__ import annotations

import argparse

from datasets import load_dataset
from transformers import PrinterCallback

from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer
from alft.task.loading import load_policy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Answer-level GRPO of a GGUF (or any causal LM) with TRL.")
    parser.add_argument("--model", required=True, help="a GGUF file, a folder holding one, or a model folder")
    parser.add_argument("--dataset", required=True, help="a JSONL with prompt, answer and reference_answers")
    parser.add_argument("--output-dir", default="trl-gguf-run")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--num-generations", type=int, default=8)
    parser.add_argument("--prompts-per-step", type=int, default=4)
    parser.add_argument("--max-completion-length", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    model, tokenizer = load_policy(args.model)
    data = load_dataset("json", data_files=args.dataset, split="train")
    config = AlftGRPOConfig(
        output_dir=args.output_dir, num_generations=args.num_generations,
        per_device_train_batch_size=args.prompts_per_step * args.num_generations,
        max_completion_length=args.max_completion_length, max_steps=args.steps, learning_rate=1e-6,
        temperature=0.7, use_cpu=True, bf16=False, report_to="none", save_strategy="no", logging_steps=1,
        seed=args.seed,
    )
    trainer = AlftGRPOTrainer(model=model, args=config, train_dataset=data, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    for entry in trainer.state.log_history[:-1]:  # the last entry is the run's totals
        print(f"step {entry['step']}: reward {entry['reward']:+.3f}, answer entropy {entry['alft/answer_entropy']:.3f}, "
              f"accuracy {entry.get('alft/sample_accuracy', float('nan')):.3f}")
    trainer.save_model(args.output_dir)
    print(f"saved the trained policy to {args.output_dir}")


if __name__ == "__main__":
    main()
