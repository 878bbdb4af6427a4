"""verl's per-sample ``compute_score`` for alft: the score verl logs, plus the answer the estimator needs (SPEC §6).

verl scores one sample at a time and keeps the extra keys of a returned dict as ``reward_extra_info``; the
alft trainer hook hands them to the advantage estimator, which sees whole uid groups. Point verl at it with::

    reward.custom_reward_function.path=pkg://alft.integrations.verl.score
    reward.custom_reward_function.name=compute_score

and choose the extractor with ``+reward.custom_reward_function.reward_kwargs.extractor=boxed`` (default
``auto``: boxed, ``#### X``, "final answer", last number; see ``alft.answers``). No verl import here.
"""

from __future__ import annotations

from typing import Any

from alft.answers import canonicalize, get_extractor

ANSWER_KEY = "alft_answer"
"""``reward_extra_info`` key of the extracted answer, canonical (``alft.answers.canonicalize``; "" for none).

Canonicalising here, in verl's parallel reward workers, leaves the estimator step string equality and
math-verify only between distinct non-numeric answers of a group (SPEC §6)."""
REFERENCE_KEY = "alft_reference"
"""``reward_extra_info`` key of the canonical reference answer ("" when the dataset has none)."""


def compute_score(
    data_source: Any,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    extractor: str = "auto",
    **kwargs: Any,
) -> dict[str, Any]:
    """Score one completion: 1.0 when its canonical answer equals the canonical reference, else 0.0.

    Args:
        data_source: verl's dataset tag (unused: every source is scored alike).
        solution_str: the decoded completion.
        ground_truth: the reference answer (``reward_model.ground_truth`` in verl's parquet), or None.
        extra_info: verl's per-sample extras (unused).
        extractor: an ``alft.answers`` extractor name.
        **kwargs: whatever else verl passes (ignored).

    Returns:
        ``{"score": float, "alft_answer": str, "alft_reference": str}``, answer and reference canonical. The score is what objectives with a
        verifier term use and what verl logs as the reward; the answer-level reward itself is computed at the
        advantage step from ``alft_answer``.
    """
    answer = canonicalize(get_extractor(extractor)(solution_str)) or ""
    reference = "" if ground_truth is None else (canonicalize(str(ground_truth)) or "")
    correct = bool(answer) and answer == reference
    return {"score": float(correct), ANSWER_KEY: answer, REFERENCE_KEY: reference}
