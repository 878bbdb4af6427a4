"""verl's per-sample ``compute_score`` for alft: the score verl logs, plus the answer the estimator needs (docs/guides/verl.md).

verl scores one sample at a time and keeps the extra keys of a returned dict as ``reward_extra_info``; the
alft trainer hook hands them to the advantage estimator, which sees whole uid groups. Point verl at it with::

    reward.custom_reward_function.path=pkg://alft.integrations.verl.score
    reward.custom_reward_function.name=compute_score

and choose the extractor with ``+reward.custom_reward_function.reward_kwargs.extractor=boxed`` (default
``auto``: boxed, ``#### X``, "final answer", "the answer is", a final ``= N``; no marker, no answer; see
``alft.answers``). The gold answer (``ground_truth``) may be plain, GSM8K (``… #### 72``) or boxed; "answer =
gold answer" is ``alft.answers.equivalent_to`` with ``grouper`` (by default :class:`alft.games.Reward`'s, as
``algorithm.alft.grouper``).
No verl import here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from alft.answers import canonicalize, equivalent_to, get_extractor, read_gold_answer
from alft.deprecation import renamed_attributes
from alft.errors import AlftInputError
from alft.games.reward import REWARD_DEFAULTS

ANSWER_KEY = "alft_answer"
"""``reward_extra_info`` key of the extracted answer, canonical (``alft.answers.canonicalize``; "" for none).

Canonicalising here, in verl's parallel reward workers, leaves the estimator step string equality and
math-verify only between distinct non-numeric answers of a group (docs/guides/verl.md)."""
GOLD_KEY = "alft_gold"
"""``reward_extra_info`` key of the canonical gold answer ("" when the dataset has none)."""
OLD_GOLD_KEY = "alft_reference"
"""The gold answer's key before gold and reference answers had names of their own: still read (:func:`gold_of`),
for a compute_score written against it."""
REFERENCE_ANSWERS_KEY = "alft_reference_answers"
"""``reward_extra_info`` key of the prompt's M reference answers for the anchored game: a JSON list of canonical
answers (null = unanswered), read from the dataset's ``extra_info.reference_answers`` (``alft references
--verl`` writes it); absent when the dataset has none."""


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    extractor: str = "auto",
    grouper: str = REWARD_DEFAULTS["grouper"],
    **kwargs: Any,
) -> dict[str, Any]:
    """Score one completion: 1.0 when its answer is equivalent to the gold answer, else 0.0.

    Args:
        data_source: verl's dataset tag (unused: every source is scored alike).
        solution_str: the decoded completion.
        ground_truth: the gold answer (``reward_model.ground_truth`` in verl's parquet) in plain, GSM8K or
            boxed form, or None.
        extra_info: verl's per-sample extras; ``extra_info.reference_answers`` carries the prompt's reference
            answers, when the dataset has them.
        extractor: an ``alft.answers`` extractor name.
        grouper: the answer equivalence (``math`` or ``exact``), as ``algorithm.alft.grouper``; the default is
            :class:`alft.games.Reward`'s, the one ``algorithm.alft.grouper`` has.
        **kwargs: whatever else verl passes (ignored).

    Returns:
        ``{"score": float, "alft_answer": str, "alft_gold": str}`` (and ``alft_reference_answers`` when the
        dataset has reference answers), answer and gold answer canonical. The score is what verl logs as the
        reward; the answer-level reward (verifier terms included) is computed at the advantage step from
        ``alft_answer`` and ``alft_gold``, with the group's answer classes.

    Raises:
        AlftInputError: a ground truth with no readable answer (empty, ``####`` with nothing after it, …).
    """
    answer = canonicalize(get_extractor(extractor)(solution_str))
    gold = read_gold_answer(ground_truth, "reward_model.ground_truth")
    correct = bool(equivalent_to([answer], [gold], grouper)[0])
    out = {"score": float(correct), ANSWER_KEY: answer or "", GOLD_KEY: gold or ""}
    drawn = extra_info.get("reference_answers") if isinstance(extra_info, dict) else None
    if drawn is not None:
        out[REFERENCE_ANSWERS_KEY] = json.dumps(_canonical_draws(drawn))
    return out


def _canonical_draws(drawn: Any) -> list[str | None]:
    """The dataset's reference answers (a list, or its JSON text) as canonical answers, None for unanswered."""
    if isinstance(drawn, str):
        drawn = json.loads(drawn)
    if hasattr(drawn, "tolist"):
        drawn = drawn.tolist()  # parquet gives numpy arrays
    if not isinstance(drawn, (list, tuple)):
        raise AlftInputError(f"extra_info.reference_answers: got {type(drawn).__name__}, expected a list of answers")
    return [None if a is None or a == "" else canonicalize(str(a)) for a in drawn]


def gold_of(extra: Mapping[str, Any]) -> Any:
    """The gold answer(s) in a ``reward_extra_info`` or ``non_tensor_batch`` mapping, under :data:`GOLD_KEY` or
    :data:`OLD_GOLD_KEY`; None when neither is there."""
    return extra[GOLD_KEY] if GOLD_KEY in extra else extra.get(OLD_GOLD_KEY)


__getattr__ = renamed_attributes("alft.integrations.verl.score", {
    "REFERENCE_KEY": ("alft.integrations.verl.GOLD_KEY (whose text is 'alft_gold')", lambda: GOLD_KEY)})
