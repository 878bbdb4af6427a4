#!/usr/bin/env bash
# The anchored game with alft's answer-level advantages on verl (GPU machine, verl's own environment).
#
#   python3 -m venv ~/venv-verl && . ~/venv-verl/bin/activate
#   pip install "alft[verl]" "verl[vllm]==0.9.1"        # verl's GPU extra brings vLLM and its torch
#   python examples/verl/prepare_gsm8k.py --out data/gsm8k  # GSM8K from the hub -> verl's parquet
#   alft references --model Qwen/Qwen2.5-0.5B-Instruct --dataset data/gsm8k/train.parquet --verl \
#       -o data/gsm8k/train_references.parquet            # M = 64 answers per prompt from the base policy
#   bash examples/verl/run_gsm8k.sh [more overrides, e.g. trainer.n_gpus_per_node=4]
#
# The overrides live in gsm8k_overrides.txt (one a line). Other objectives: algorithm.adv_estimator=
# alft_diversity | alft_gini | alft_ttrl | alft_empo, or algorithm.adv_estimator=alft with
# +algorithm.alft.objective="0.5*coherence+anchor+verifier"; a collapsing one (alft_coherence, alft_pairwise)
# needs +algorithm.alft.allow_collapse=true.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t overrides < <(grep -v -e '^#' -e '^[[:space:]]*$' "$here/gsm8k_overrides.txt")
exec python3 -m alft.integrations.verl.main "${overrides[@]}" "$@"
