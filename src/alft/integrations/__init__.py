"""Integrations of alft's answer-level rewards with training frameworks.

* :mod:`alft.integrations.groups` — answers → per-group class ids and the answer-level statistics a trainer
  logs (entropy, majority share, distinct and unextractable answers); numpy only.
* :mod:`alft.integrations.peers` — the peer methods' group rewards (TTRL, EMPO; SPEC §5); numpy only.
* :mod:`alft.integrations.trl` — TRL 1.x: a reward-function factory, a ``GRPOTrainer`` subclass that scores
  whole groups across processes (SPEC §6), its config, and callbacks. Imports torch/TRL.
"""
