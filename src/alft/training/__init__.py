"""The ``alft train`` / ``alft compare`` job: base policy → evaluate → answer-level GRPO → evaluate → report.

* :mod:`alft.training.settings` — what a run does (a frozen :class:`~alft.training.settings.TrainSettings`; presets ``default``
  and ``tiny``).
* :mod:`alft.training.run_folder` — the run folder: config.json, metrics.jsonl, summary.json, checkpoints.
* :mod:`alft.training.pipeline` — :func:`~alft.training.pipeline.run_training`, the straight line from data to report.
* :mod:`alft.training.compare` — :func:`~alft.training.compare.run_comparison` over methods and seeds.
* :mod:`alft.training.plots` — PNGs of reward, entropy and accuracy over steps; the comparison plot.

Import this package's modules directly (they import torch).
"""
