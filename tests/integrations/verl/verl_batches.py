"""A small verl batch for the tests: several uid groups of unequal sizes, interleaved rows, unanswered
completions, equivalent answer forms, a tie, and a group of one; with alft's compute_score applied per row."""

import numpy as np

from alft.integrations.verl import ANSWER_KEY, GOLD_KEY, compute_score

GROUPS = {  # uid: (reference, completions)
    "q1": ("4", ["so #### 4", "#### 4.0", "I give up", "#### 5", "it is \\boxed{4}"]),
    "q2": ("7", ["#### 7", "#### 8", "#### 7", "#### 8"]),
    "q3": ("3", ["#### 1", "#### 2", "#### 3"]),
    "q4": ("9", ["no idea", "nothing here"]),
    "q6": ("2", ["#### 2", "#### 2", "#### 2", "#### 3", "no", "#### 3"]),
    "q7": ("2\\sqrt{3}", ["\\boxed{\\sqrt{12}}", "\\boxed{3}", "\\boxed{2\\sqrt{3}}", "\\boxed{3}"]),  # math-verify
    "q5": ("6", ["#### 6"]),
}
RESPONSE_LENGTH = 8
REFERENCE_ANSWERS = {  # uid: M = 6 answers drawn from a reference policy (math-verify-equal spellings included)
    "q1": ["4", "4.0", "5", "", "4", "\\frac{8}{2}"],
    "q2": ["7", "8", "8", "8", "9", ""],
    "q3": ["1", "2", "2", "3", "3", "3"],
    "q4": ["", "", "9", "9", "1", "2"],
    "q6": ["2", "2", "3", "3", "3", ""],
    "q7": ["\\sqrt{12}", "2\\sqrt{3}", "3", "3", "\\sqrt{3}", ""],
    "q5": ["6", "6", "6", "6", "6", "6"],
}


def rows(seed: int = 0) -> list[dict]:
    """One dict per row (uid, text, reference, compute_score's result, response length), in a shuffled order."""
    flat = [(uid, ref, text) for uid, (ref, texts) in GROUPS.items() for text in texts]
    order = np.random.default_rng(seed).permutation(len(flat))
    out = []
    for position, i in enumerate(order):
        uid, ref, text = flat[i]
        out.append({"uid": uid, "text": text, "reference": ref, "scored": compute_score("test", text, ref, {"reference_answers": REFERENCE_ANSWERS[uid]}),
                    "length": 3 + position % (RESPONSE_LENGTH - 3)})
    return out


def tensors(batch_rows: list[dict]):
    """(token_level_rewards, response_mask): the score on the last response token, right-padded."""
    import torch

    mask = torch.zeros(len(batch_rows), RESPONSE_LENGTH, dtype=torch.float32)
    rewards = torch.zeros(len(batch_rows), RESPONSE_LENGTH, dtype=torch.float32)
    for i, row in enumerate(batch_rows):
        mask[i, : row["length"]] = 1.0
        rewards[i, row["length"] - 1] = row["scored"]["score"]
    return rewards, mask


def extra_column(batch_rows: list[dict], key: str) -> np.ndarray:
    return np.array([row["scored"][key] for row in batch_rows], dtype=object)


def answers_and_references(batch_rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    return extra_column(batch_rows, ANSWER_KEY), extra_column(batch_rows, GOLD_KEY)
