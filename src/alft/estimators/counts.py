"""The online step: answers of a group → leave-one-out counts N_i → rewards g[N_i] (docs/concepts/answer-level.md#count-tables).

Vectorised over a batch of equal-size groups: one sort per row, no Python loop over samples.
"""

from __future__ import annotations

import numpy as np

from alft.errors import AlftInputError

MIN_K, MAX_K = 2, 256  # group sizes with tables (docs/concepts/answer-level.md#count-tables); 256 is where float64 tables were verified


def check_group_size(K: object, field: str = "K", minimum: int = MIN_K) -> int:
    """The one validation of a group size: an integer in ``minimum``..:data:`MAX_K`.

    Args:
        K: the value given.
        field: its name as the user wrote it (``num_generations``, ``--K``, …).
        minimum: the smallest accepted size (1 where a lone sample is meaningful, else 2).
    """
    if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or not minimum <= K <= MAX_K:
        raise AlftInputError(f"{field}: got {K!r}, expected an integer group size in {minimum}..{MAX_K}")
    return int(K)


def leave_one_out_counts(answer_ids: np.ndarray) -> np.ndarray:
    """N_i = #{j ≠ i : z_j = z_i} for every sample of every group.

    Args:
        answer_ids: integer answer labels, shape (groups, K) (a 1-D array is one group). Labels only
            need to be comparable within a row.

    Returns:
        Integer counts of the same shape, each in 0..K−1.
    """
    ids = np.asarray(answer_ids)
    if ids.ndim == 1:
        return leave_one_out_counts(ids[None, :])[0]
    if ids.ndim != 2 or ids.shape[1] == 0:
        raise AlftInputError(f"answer_ids: got shape {ids.shape}, expected (groups, K) with K ≥ 1")
    groups, K = ids.shape
    try:
        order = np.argsort(ids, axis=1, kind="stable")
    except TypeError:
        raise AlftInputError(f"answer_ids: got labels of dtype {ids.dtype} that cannot be ordered, expected integers") from None
    ranked = np.take_along_axis(ids, order, axis=1)
    # A new run starts at every row start and wherever the sorted label changes.
    starts = np.ones_like(ranked, dtype=bool)
    starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    run = np.cumsum(starts.ravel()) - 1
    run_length = np.bincount(run)
    counts = np.empty_like(ranked, dtype=np.int64)
    np.put_along_axis(counts, order, (run_length[run] - 1).reshape(groups, K), axis=1)
    return counts
