"""The predicted equilibrium as a measurement (docs/concepts/game.md#the-anchor): how far the policy's answers are from p*.

For an anchored game with exponent s, each prompt's optimum is p* ∝ p_ref^s. With p̂_ref the empirical
distribution of the prompt's M reference answers, the estimated p̂* ∝ p̂_ref^s; the policy's n sampled answers
give q̂, and the distance is TV(q̂, p̂*) averaged over probe prompts. Unanswered draws are left out of both
(they belong to no answer; the run logs their rate apart).

Two yardsticks come with it: the *floor*, TV of n draws from p̂* itself to p̂* (what a policy exactly at p̂*
would score: sampling noise of n answers), and the best-fitting exponent, the s′ whose p̂_ref^{s′} is closest
to the sampled answers (the game predicts s′ = s). numpy only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from alft.deprecation import renamed_keywords

EXPONENT_GRID = np.round(np.arange(0.5, 6.01, 0.25), 2)  # candidate exponents for the best fit


@renamed_keywords(reference="reference_answers")
def predicted_equilibrium(reference_answers: Sequence[str | None], s: float) -> dict[str, float]:
    """p̂* ∝ p̂_ref^s over the answered reference answers ({} if none answered)."""
    counts = Counter(a for a in reference_answers if a is not None)
    if not counts:
        return {}
    weights = {a: float(c) ** s for a, c in counts.items()}
    total = sum(weights.values())
    return {a: w / total for a, w in weights.items()}


def sample_total_variation(samples: Sequence[str | None], target: dict[str, float]) -> float:
    """TV between the empirical distribution of the answered samples and ``target`` (1 if either is empty)."""
    counts = Counter(a for a in samples if a is not None)
    n = sum(counts.values())
    if n == 0 or not target:
        return 1.0
    keys = sorted(set(counts) | set(target))  # a fixed order: set order follows the per-process string hash
    return 0.5 * sum(abs(counts.get(k, 0) / n - target.get(k, 0.0)) for k in keys)


def sampling_floor(target: dict[str, float], n: int, rng: np.random.Generator, repeats: int = 20) -> float:
    """Mean TV of n draws from ``target`` to ``target``: the score of a policy exactly at p̂*."""
    if not target:
        return 1.0
    probs = np.array(list(target.values()))
    tvs = [0.5 * np.abs(rng.multinomial(n, probs) / n - probs).sum() for _ in range(repeats)]
    return float(np.mean(tvs))


@renamed_keywords(references="reference_answers")
def equilibrium_distance(samples: Sequence[Sequence[str | None]], reference_answers: Sequence[Sequence[str | None]],
                         s: float, seed: int = 0) -> dict[str, float]:
    """Mean TV to p̂*, its floor and the best-fitting exponent over probe prompts.

    Args:
        samples: per prompt, the policy's sampled answers.
        reference_answers: per prompt, its M reference answers (its old name ``references`` still works).
        s: the game's exponent.
        seed: seeds the floor's simulated draws.
    """
    rng = np.random.default_rng(seed)
    pairs = [(q, r) for q, r in zip(samples, reference_answers) if any(a is not None for a in r)]
    if not pairs:
        return {"tv_to_p_star": 1.0, "tv_floor": 1.0, "tv_to_reference": 1.0, "best_exponent": None, "n_prompts": 0}
    tv = [sample_total_variation(q, predicted_equilibrium(r, s)) for q, r in pairs]
    floor = [sampling_floor(predicted_equilibrium(r, s), max(1, sum(a is not None for a in q)), rng) for q, r in pairs]
    fit = [np.mean([sample_total_variation(q, predicted_equilibrium(r, e)) for q, r in pairs]) for e in EXPONENT_GRID]
    return {
        "tv_to_p_star": float(np.mean(tv)),
        "tv_floor": float(np.mean(floor)),
        "tv_to_reference": float(np.mean([sample_total_variation(q, predicted_equilibrium(r, 1.0)) for q, r in pairs])),
        "best_exponent": float(EXPONENT_GRID[int(np.argmin(fit))]) if np.ptp(fit) > 0 else None,
        "n_prompts": len(pairs),
    }
