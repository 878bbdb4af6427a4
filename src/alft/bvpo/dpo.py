"""The DPO loss on log-probabilities, and the weight its gradient puts on ∇log π (docs/concepts/bvpo.md).

For a pair (chosen ⁺, rejected ⁻) with log-probabilities under the policy and the reference,

    h = (log π_θ⁺ − log π_ref⁺) − (log π_θ⁻ − log π_ref⁻),     ℓ = −log σ(β h),
    ∇ℓ = −β σ(−β h) (∇log π_θ⁺ − ∇log π_θ⁻).

The same formula gives all three losses of BVPO: the marginal loss ℓ_m (log π(y|x) = log Σ_r π(r, y|x)),
the trace-based loss ℓ_t (log π(r, y|x) of one sampled trace) and the empty-trace loss ℓ_e (log π(∅, y|x)).
Only what is fed in differs.
"""

from __future__ import annotations

import numpy as np

from alft.errors import require


def check_log_probs(values: np.ndarray | float, field: str) -> np.ndarray:
    """``values`` as a float array, refused if any entry is NaN or ±inf (a log-probability of a completion the
    model cannot produce, or an overflow upstream)."""
    array = np.asarray(values, dtype=float)
    bad = np.flatnonzero(~np.isfinite(array))
    require(bad.size == 0, f"{field}[{int(bad[0]) if bad.size else 0}]",
            float(array.reshape(-1)[bad[0]]) if bad.size else None, "a finite log-probability")
    return array


def dpo_margin(policy_chosen, policy_rejected, reference_chosen, reference_rejected) -> np.ndarray:
    """h = (log π_θ⁺ − log π_ref⁺) − (log π_θ⁻ − log π_ref⁻), elementwise; every input must be finite."""
    pc = check_log_probs(policy_chosen, "policy_chosen")
    pr = check_log_probs(policy_rejected, "policy_rejected")
    rc = check_log_probs(reference_chosen, "reference_chosen")
    rr = check_log_probs(reference_rejected, "reference_rejected")
    return (pc - rc) - (pr - rr)


def dpo_loss(margin: np.ndarray | float, beta: float) -> np.ndarray:
    """ℓ = −log σ(β h) = softplus(−β h), computed without overflow for large |β h|."""
    require(np.isfinite(beta) and beta > 0, "beta", beta, "a number > 0")
    return np.logaddexp(0.0, -beta * np.asarray(margin, dtype=float))


def dpo_gradient_weight(margin: np.ndarray | float, beta: float) -> np.ndarray:
    """c in ∇ℓ = c (∇log π_θ⁺ − ∇log π_θ⁻): c = −β σ(−β h)."""
    require(np.isfinite(beta) and beta > 0, "beta", beta, "a number > 0")
    z = -beta * np.asarray(margin, dtype=float)
    return -beta * np.exp(-np.logaddexp(0.0, -z))  # σ(z) = exp(−softplus(−z)), stable both ways
