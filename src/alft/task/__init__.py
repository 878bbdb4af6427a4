"""The built-in task and model, and the paths to real ones: data to base policy to evaluation.

Read top to bottom, one module per stage (import the module you need; this package imports nothing heavy):

* :mod:`alft.task.arithmetic` — seeded arithmetic problems with step-by-step traces; datasets for warm-up,
  RL prompts and evaluation (disjoint train/eval splits).
* :mod:`alft.task.tokenizer` — the character-level tokenizer (a real ``PreTrainedTokenizerFast``).
* :mod:`alft.task.model` — the small Qwen2 model and :func:`~alft.task.model.save_policy`.
* :mod:`alft.task.warmup` — the cached SFT warm-up that produces a base policy folder.
* :mod:`alft.task.shipped` — the default base policy shipped with the package (checksummed).
* :mod:`alft.task.base_policies` — :func:`base_policy_path`, where a preset's base policy is.
* :mod:`alft.task.evaluate` — accuracy and answer-distribution metrics of a policy.
* :mod:`alft.task.loading` — ``load_policy`` / ``load_prompts`` for user models and datasets.
"""

from alft.task.base_policies import BasePolicyPath, base_policy_path

__all__ = ["BasePolicyPath", "base_policy_path"]
