"""Launched by test_multiprocess.py under ``accelerate launch --num_processes 2 --cpu``.

Trains a few GRPO steps with a per-device batch that splits groups between the two processes, and writes,
per process and step, the gathered completions and the global reward vector the trainer used.
"""

import json
import sys
from pathlib import Path

import torch

from accelerate.utils import gather_object
from datasets import Dataset
from transformers import AutoTokenizer, PrinterCallback

from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer, answer_reward

sys.path.insert(0, str(Path(__file__).parent))
from mp_helpers import mod3_length  # noqa: E402


class RecordingTrainer(AlftGRPOTrainer):
    records: list = []

    def _calculate_rewards(self, inputs, prompts, completions, completion_ids_list):
        rewards = super()._calculate_rewards(inputs, prompts, completions, completion_ids_list)
        self.records.append(
            {
                "local_size": len(completions),
                "completions": gather_object(list(completions)),
                "prompts": gather_object(list(prompts)),
                "rewards": rewards[:, 0].tolist(),
            }
        )
        return rewards


def main(model: str, out: str, objective: str, estimator: str) -> None:
    tokenizer = AutoTokenizer.from_pretrained(model)
    data = Dataset.from_dict({"prompt": [f"{a}+{b}=" for a in range(1, 7) for b in range(1, 7)]})
    args = AlftGRPOConfig(
        output_dir=str(Path(out) / "trainer"),
        objective=objective,
        estimator=estimator,
        num_generations=4,
        per_device_train_batch_size=6,  # 2 processes × 6 = 12 = 3 groups of 4: group 1 is split
        max_completion_length=6,
        max_steps=2,
        learning_rate=1e-3,
        use_cpu=True,
        bf16=False,
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        disable_tqdm=True,
        seed=0,
        allow_collapse=True,
    )
    # a three-class extractor, so that random completions agree often (a stronger test than all-distinct)
    reward = answer_reward(4, objective, estimator, extractor=mod3_length, grouper="exact", allow_collapse=True)
    trainer = RecordingTrainer(
        model=model, reward_funcs=[reward], args=args, train_dataset=data, processing_class=tokenizer
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    rank = trainer.accelerator.process_index
    Path(out, f"rank{rank}.json").write_text(json.dumps(RecordingTrainer.records))
    # Leave together: a rank exiting while gloo threads of the other still run aborts it under load.
    trainer.accelerator.wait_for_everyone()
    torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main(*sys.argv[1:5])
