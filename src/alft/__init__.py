"""alft: Answer-Level Fine-Tuning.

Layers, each importing only from those above it in this list:

* ``alft.estimators`` — count-based reward tables (numpy/scipy only).
* ``alft.bon`` — best-of-n alignment analysis (numpy/scipy only).
* ``alft.games`` — objectives, group rewards, target player, exact simulator (numpy/scipy only).
* ``alft.answers``, ``alft.task`` — answer extraction/equivalence and the built-in task and model.
* ``alft.integrations`` — TRL trainer and reward functions; ``alft.training`` — the ``alft train`` job.
* ``alft.cli`` — the ``alft`` command.
"""

__version__ = "0.1.0"
