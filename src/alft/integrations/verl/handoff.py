"""How each sample's extracted answer reaches the advantage estimator, which verl does not pass it (docs/guides/verl.md).

verl calls a registered advantage estimator with ``token_level_rewards``, ``response_mask``, ``config`` and
``index`` (the uid per row) only. The answers live in ``reward_extra_info`` (from :mod:`.score`). A trainer
hook reads them for the batch it is about to hand to ``compute_advantage`` and opens
:func:`answers_for_batch` around that call; the estimator takes them with :func:`take_answers`, checking that
the rows are the same (same uids in the same order). The estimator leaves its metrics in the returned
:class:`BatchAnswers`, and the hook passes them to verl's metrics dict, hence its logger.

A context variable, not a global: nothing leaks between steps or threads, and an estimator run without the
hook fails with an error that says how to install it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alft.deprecation import renamed_keywords, warn_renamed
from alft.errors import AlftInputError
from alft.integrations.verl.score import ANSWER_KEY, REFERENCE_ANSWERS_KEY, gold_of

HOOK_HELP = (
    "run verl's v1 trainer with the alft hook (trainer.v1.trainer_mode=alft_sync) and alft's compute_score "
    "(reward.custom_reward_function.path=pkg://alft.integrations.verl.score), or wrap compute_advantage in "
    "alft.integrations.verl.answers_for_batch(...)"
)


@dataclass
class BatchAnswers:
    """The answers of one batch, in the rows' order, and the metrics the estimator computed from them.

    Attributes:
        uids: verl's uid per row.
        answers: the extracted answer per row (None = unanswered).
        gold_answers: the canonical gold answer per row, or None when the dataset has none.
        reference_answers: per row, its prompt's M reference answers as JSON text (anchored objectives), or None.
        metrics: filled by the estimator (``alft/...`` keys), read by the hook.
    """

    uids: list[object]
    answers: list[str | None]
    gold_answers: list[str | None] | None = None
    reference_answers: list[str] | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def references(self) -> list[str | None] | None:
        """Deprecated name of :attr:`gold_answers`."""
        warn_renamed("BatchAnswers.references", "BatchAnswers.gold_answers", stacklevel=3)
        return self.gold_answers


BatchAnswers.__init__ = renamed_keywords(references="gold_answers")(BatchAnswers.__init__)


_PENDING: ContextVar[BatchAnswers | None] = ContextVar("alft_verl_answers", default=None)


def _as_list(values: Sequence[Any]) -> list[Any]:
    """Plain Python values (numpy arrays give numpy scalars, which hash and compare slowly)."""
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


@renamed_keywords(references="gold_answers")  # outermost: the warning names the caller's line
@contextmanager
def answers_for_batch(
    uids: Sequence[object], answers: Sequence[Any], gold_answers: Sequence[Any] | None = None,
    reference_answers: Sequence[Any] | None = None,
) -> Iterator[BatchAnswers]:
    """Make a batch's answers visible to the alft estimator for the duration of one ``compute_advantage`` call.

    Args:
        uids: verl's uid per row, in the order compute_advantage will see the rows.
        answers: ``alft_answer`` per row ("" or None = unanswered); checked by the estimator.
        gold_answers: ``alft_gold`` per row (optional; all empty means "no gold answers"); its old name
            ``references`` still works.
        reference_answers: ``alft_reference_answers`` per row (optional; anchored objectives need it).

    Yields:
        The :class:`BatchAnswers`; its ``metrics`` hold the estimator's metrics after the call.
    """
    gold = None if gold_answers is None else _as_list(gold_answers)
    drawn = None if reference_answers is None else _as_list(reference_answers)
    batch = BatchAnswers(_as_list(uids), _as_list(answers), gold if gold is not None and any(gold) else None,
                         drawn if drawn is not None and all(drawn) else None)
    if len(batch.uids) != len(batch.answers):
        raise AlftInputError(
            f"{ANSWER_KEY}: got {len(batch.answers)} answers for {len(batch.uids)} rows, expected one per row"
        )
    token = _PENDING.set(batch)
    try:
        yield batch
    finally:
        _PENDING.reset(token)


def answers_from_dataproto(data: Any) -> Any:
    """:func:`answers_for_batch` for a DataProto whose ``non_tensor_batch`` holds ``uid`` and ``alft_answer``
    (verl's legacy trainer merges ``reward_extra_info`` there; tests build such batches)."""
    non_tensor = data.non_tensor_batch
    if ANSWER_KEY not in non_tensor:
        raise AlftInputError(f"non_tensor_batch['{ANSWER_KEY}']: missing; {HOOK_HELP}")
    return answers_for_batch(non_tensor["uid"], non_tensor[ANSWER_KEY], gold_of(non_tensor),
                             non_tensor.get(REFERENCE_ANSWERS_KEY))


def take_answers(index: Sequence[object] | None, adv_estimator: str) -> BatchAnswers:
    """The answers the hook provided for exactly these rows.

    Args:
        index: the uid array verl passed the estimator.
        adv_estimator: the estimator's name, for the error message.

    Raises:
        AlftInputError: no answers were provided (the hook is not installed), or they belong to other rows.
    """
    batch = _PENDING.get()
    if batch is None:
        raise AlftInputError(
            f"algorithm.adv_estimator={adv_estimator}: no answers reached the estimator ('{ANSWER_KEY}' missing "
            f"from the batch); {HOOK_HELP}"
        )
    if index is None:
        raise AlftInputError(f"index: verl passed no uid array to {adv_estimator}, expected one uid per row")
    uids = _as_list(index)
    if uids != batch.uids:
        raise AlftInputError(
            f"index: the estimator got {len(uids)} rows whose uids differ from the {len(batch.uids)} rows the hook "
            "provided answers for; expected the same rows in the same order"
        )
    return batch
