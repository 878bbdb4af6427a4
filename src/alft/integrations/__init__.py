"""Integrations of alft's answer-level rewards with training frameworks. They carry one
:class:`alft.games.Reward` and add only what their framework needs.

* :mod:`alft.integrations.trl` — TRL 1.x: a reward-function factory, a ``GRPOTrainer`` subclass that scores
  whole groups across processes (docs/guides/trl.md), its config (fields generated from ``Reward``), and callbacks.
* :mod:`alft.integrations.verl` — verl 0.9 as a plugin (``alft[verl]``, its own environment): answer-level
  advantage estimators, a ``compute_score`` that returns the answer, and the trainer hook that hands it over.
"""
