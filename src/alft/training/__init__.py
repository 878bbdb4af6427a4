"""The ``alft train`` / ``alft compare`` job: base policy → evaluate → answer-level GRPO → evaluate → report.

* :mod:`alft.training.settings` — what a run does: a frozen :class:`~alft.training.settings.TrainSettings` of GRPO
  hyperparameters and groups (data, model and LoRA, hardware, the reward), each field with its ``alft train`` flag.
* :mod:`alft.training.option_fields` — a settings field's flag, help and type, read by the CLI and the config file.
* :mod:`alft.training.presets` — the sizes of the ``default`` and ``tiny`` presets.
* :mod:`alft.training.config_file` — ``alft train --config``: a YAML file checked against the settings' fields.
* :mod:`alft.training.run_folder` — the run folder: config.json, metrics.jsonl, summary.json, checkpoints.
* :mod:`alft.training.run_log` — the callbacks that write metrics.jsonl and drive the progress bar, and its reader.
* :mod:`alft.training.pipeline` — :func:`~alft.training.pipeline.run_training`, the straight line from data to report.
* :mod:`alft.training.compare` — :func:`~alft.training.compare.run_comparison` over methods and seeds.
* :mod:`alft.training.plots` — PNGs of reward, entropy and accuracy over steps; the comparison plot.

Import this package's modules directly (they import torch).
"""
