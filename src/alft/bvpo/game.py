"""An exact BVPO game: a model given by tables, where μ, both biases and the covariances are enumerated
(docs/concepts/bvpo.md, DESIGN for alft).

Model (per prompt x; trace 0 is the empty trace ∅)::

    π(r, y | x) = softmax_r(z_x)[r] · softmax_y(u_x + w_{x,r})[y]

The answer logits u_x are shared by every trace, so the empty trace carries information about the answer.
π_ref (the same form, its own tables) is both the sampler and the DPO reference; π_θ is the policy being
differentiated (θ = (z, u, w), flattened per prompt).

One training example is drawn as:

* x uniform over the prompts;
* trace data D_t: two responses (r, y) i.i.d. from π_ref(·|x); the pair is ranked by a per-answer score
  s_x(y) (ties, i.e. the same answer, are redrawn), chosen = higher score;
* empty-trace data D_e: two answers i.i.d. from π_ref(·|∅, x), ranked the same way, independently of D_t.

The marginal loss ℓ_m is DPO on log π(y|x) over D_t's answer pairs; μ = E ∇ℓ_m. The trace-based loss ℓ_t is
DPO on log π(r, y|x) with D_t's sampled traces, the empty-trace loss ℓ_e DPO on log π(∅, y|x) over D_e.
Every expectation is a finite sum over an *outcome table*: for each prompt, the probability and the gradient
of every outcome (answer pair and traces), from which moments, sampling and the variance identity follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from alft.bvpo.dpo import dpo_gradient_weight
from alft.bvpo.mixing import GradientMoments, check_alpha
from alft.errors import require

EMPTY = 0
"""The index of the empty trace ∅."""


def _log_softmax(a: np.ndarray, axis: int = -1) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@dataclass(frozen=True)
class TableModel:
    """π(r, y|x) = softmax(z_x)[r] · softmax(u_x + w_{x,r})[y], as tables.

    Attributes:
        z: (X, R) trace logits (column 0 is the empty trace).
        u: (X, Y) answer logits shared by every trace.
        w: (X, R, Y) per-trace answer logits.
    """

    z: np.ndarray
    u: np.ndarray
    w: np.ndarray

    def __post_init__(self) -> None:
        X, R = np.shape(self.z)
        require(R >= 2, "z", np.shape(self.z), "(prompts, traces) with at least 2 traces (∅ and one more)")
        require(np.shape(self.u)[0] == X and np.shape(self.u)[1] >= 2, "u", np.shape(self.u), f"({X}, ≥2 answers)")
        require(np.shape(self.w) == (X, R, np.shape(self.u)[1]), "w", np.shape(self.w), f"({X}, {R}, {np.shape(self.u)[1]})")
        for name in ("z", "u", "w"):
            require(bool(np.all(np.isfinite(getattr(self, name)))), name, "non-finite entries", "finite logits")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(prompts X, traces R, answers Y)."""
        return (*np.shape(self.z), np.shape(self.u)[1])  # type: ignore[return-value]

    @property
    def block(self) -> int:
        """Parameters per prompt: R + Y + R·Y."""
        _, R, Y = self.shape
        return R + Y + R * Y

    @property
    def dimension(self) -> int:
        return self.shape[0] * self.block

    @cached_property
    def log_joint(self) -> np.ndarray:
        """(X, R, Y) log π(r, y|x)."""
        return _log_softmax(self.z)[:, :, None] + _log_softmax(self.u[:, None, :] + self.w)

    @cached_property
    def log_marginal(self) -> np.ndarray:
        """(X, Y) log π(y|x) = log Σ_r π(r, y|x)."""
        lj = self.log_joint
        m = lj.max(axis=1)
        return m + np.log(np.exp(lj - m[:, None, :]).sum(axis=1))

    @cached_property
    def log_answer_given_trace(self) -> np.ndarray:
        """(X, R, Y) log π(y|r, x); row ∅ is the answer distribution with the trace forced empty."""
        return _log_softmax(self.u[:, None, :] + self.w)

    def grad_log_joint(self, x: int, r: int, y: int) -> np.ndarray:
        """∇_θ log π(r, y|x), the full parameter vector (zero outside prompt x's block)."""
        X, R, Y = self.shape
        out = np.zeros(self.dimension)
        start = x * self.block
        p_r = np.exp(_log_softmax(self.z[x]))
        p_y = np.exp(self.log_answer_given_trace[x, r])
        dz = -p_r
        dz[r] += 1.0
        dy = -p_y
        dy[y] += 1.0
        out[start : start + R] = dz
        out[start + R : start + R + Y] = dy  # u is shared by every trace
        w0 = start + R + Y + r * Y
        out[w0 : w0 + Y] = dy
        return out

    def grad_log_marginal(self, x: int, y: int) -> np.ndarray:
        """∇ log π(y|x) = Σ_r π(r|y, x) ∇ log π(r, y|x) (Fisher's identity)."""
        posterior = np.exp(self.log_joint[x, :, y] - self.log_marginal[x, y])
        return sum(posterior[r] * self.grad_log_joint(x, r, y) for r in range(self.shape[1]))

    def grad_log_empty(self, x: int, y: int) -> np.ndarray:
        """∇ log π(y|∅, x): the forced-empty completion's log-probability (π(∅|x) is not part of it, as a prefill)."""
        g = self.grad_log_joint(x, EMPTY, y)
        g[x * self.block : x * self.block + self.shape[1]] = 0.0
        return g


@dataclass(frozen=True)
class Outcomes:
    """A finite distribution of gradients: probabilities (K,) and gradients (K, P), per prompt."""

    probs: tuple[np.ndarray, ...]
    grads: tuple[np.ndarray, ...]

    def mean(self) -> np.ndarray:
        """E g (x uniform)."""
        return np.mean([p @ g for p, g in zip(self.probs, self.grads)], axis=0)

    def conditional_means(self) -> np.ndarray:
        """(X, P) E[g | x]."""
        return np.stack([p @ g for p, g in zip(self.probs, self.grads)])

    def second_moment(self) -> float:
        """E‖g‖²."""
        return float(np.mean([p @ np.einsum("kp,kp->k", g, g) for p, g in zip(self.probs, self.grads)]))

    def sample(self, rng: np.random.Generator, prompts: np.ndarray) -> np.ndarray:
        """One gradient per entry of ``prompts`` (an array of prompt indices)."""
        out = np.empty((len(prompts), self.grads[0].shape[1]))
        for x in np.unique(prompts):
            rows = np.flatnonzero(prompts == x)
            picks = rng.choice(len(self.probs[x]), size=rows.size, p=self.probs[x])
            out[rows] = self.grads[x][picks]
        return out


@dataclass(frozen=True)
class ExactGame:
    """Policy, reference, answer scores and β: the whole BVPO problem, enumerable.

    Attributes:
        policy: π_θ (the tables being differentiated).
        reference: π_ref (sampler and DPO reference; same shape).
        scores: (X, Y) score of each answer; pairs are ranked by it (higher is chosen); ties are no pair.
        beta: DPO's β (> 0).
    """

    policy: TableModel
    reference: TableModel
    scores: np.ndarray
    beta: float = 0.5

    def __post_init__(self) -> None:
        require(self.policy.shape == self.reference.shape, "reference", self.reference.shape,
                f"the policy's shape {self.policy.shape}")
        X, _, Y = self.policy.shape
        s = np.asarray(self.scores, dtype=float)
        require(s.shape == (X, Y) and bool(np.all(np.isfinite(s))), "scores", s.shape, f"finite ({X}, {Y})")
        require(all(len(set(row)) >= 2 for row in s.tolist()), "scores", "a prompt with one score level",
                "at least two distinct scores per prompt (else no pair exists)")
        require(np.isfinite(self.beta) and self.beta > 0, "beta", self.beta, "a number > 0")

    @classmethod
    def random(cls, seed: int, *, prompts: int = 3, traces: int = 4, answers: int = 5, beta: float = 0.5,
               trace_spread: float | None = None, step: float | None = None) -> ExactGame:
        """A random game: π_ref with answer logits u ~ N(0, 1.5²), per-trace logits w ~ N(0, σ_w²) (σ_w, the
        trace noise, uniform in [0.3, 2] unless given) and the policy π_θ = π_ref moved by N(0, step²)
        (step uniform in [0, 1] unless given; 0 is θ = θ_ref). Scores are a random permutation per prompt."""
        rng = np.random.default_rng(seed)
        spread = rng.uniform(0.3, 2.0) if trace_spread is None else trace_spread
        move = rng.uniform(0.0, 1.0) if step is None else step
        z = rng.normal(0, 1.0, (prompts, traces))
        u = rng.normal(0, 1.5, (prompts, answers))
        w = rng.normal(0, spread, (prompts, traces, answers))
        reference = TableModel(z, u, w)
        policy = TableModel(z + rng.normal(0, move, z.shape), u + rng.normal(0, move, u.shape),
                            w + rng.normal(0, move, w.shape))
        scores = np.stack([rng.permutation(answers).astype(float) for _ in range(prompts)])
        return cls(policy, reference, scores, beta)

    # -- the answer-pair distributions ---------------------------------------------------------------------
    def _pairs(self, x: int, answer_probs: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
        """Ordered (chosen, rejected) pairs with s(chosen) > s(rejected) and their probability when two
        answers are drawn i.i.d. from ``answer_probs`` and ties redrawn."""
        s = self.scores[x]
        pairs = [(a, b) for a in range(len(s)) for b in range(len(s)) if s[a] > s[b]]
        weights = np.array([answer_probs[a] * answer_probs[b] for a, b in pairs])
        require(weights.sum() > 0, "reference", f"prompt {x}", "a sampler that can draw two answers of different score")
        return pairs, weights / weights.sum()

    def _weight(self, x: int, chosen: float, rejected: float, ref_chosen: float, ref_rejected: float) -> float:
        return float(dpo_gradient_weight((chosen - ref_chosen) - (rejected - ref_rejected), self.beta))

    # -- outcome tables --------------------------------------------------------------------------------------
    @cached_property
    def marginal_outcomes(self) -> Outcomes:
        """∇ℓ_m over D_t's answer pairs."""
        pol, ref = self.policy, self.reference
        probs, grads = [], []
        for x in range(pol.shape[0]):
            pairs, p = self._pairs(x, np.exp(ref.log_marginal[x]))
            g = [self._weight(x, pol.log_marginal[x, a], pol.log_marginal[x, b], ref.log_marginal[x, a],
                              ref.log_marginal[x, b]) * (pol.grad_log_marginal(x, a) - pol.grad_log_marginal(x, b))
                 for a, b in pairs]
            probs.append(p)
            grads.append(np.array(g))
        return Outcomes(tuple(probs), tuple(grads))

    @cached_property
    def trace_outcomes(self) -> Outcomes:
        """∇ℓ_t over D_t's answer pairs and the traces r⁺ ~ π_ref(r|y⁺, x), r⁻ ~ π_ref(r|y⁻, x)."""
        pol, ref = self.policy, self.reference
        _, R, _ = pol.shape
        probs, grads = [], []
        for x in range(pol.shape[0]):
            pairs, p_pair = self._pairs(x, np.exp(ref.log_marginal[x]))
            posterior = np.exp(ref.log_joint[x] - ref.log_marginal[x][None, :])  # (R, Y): π_ref(r|y, x)
            px, gx = [], []
            for (a, b), p_ab in zip(pairs, p_pair):
                for ra in range(R):
                    for rb in range(R):
                        c = self._weight(x, pol.log_joint[x, ra, a], pol.log_joint[x, rb, b], ref.log_joint[x, ra, a],
                                         ref.log_joint[x, rb, b])
                        px.append(p_ab * posterior[ra, a] * posterior[rb, b])
                        gx.append(c * (pol.grad_log_joint(x, ra, a) - pol.grad_log_joint(x, rb, b)))
            probs.append(np.array(px))
            grads.append(np.array(gx))
        return Outcomes(tuple(probs), tuple(grads))

    @cached_property
    def empty_outcomes(self) -> Outcomes:
        """∇ℓ_e over D_e's answer pairs drawn from π_ref(y|∅, x)."""
        pol, ref = self.policy, self.reference
        probs, grads = [], []
        for x in range(pol.shape[0]):
            pol_e, ref_e = pol.log_answer_given_trace[x, EMPTY], ref.log_answer_given_trace[x, EMPTY]
            pairs, p = self._pairs(x, np.exp(ref_e))
            g = [self._weight(x, pol_e[a], pol_e[b], ref_e[a], ref_e[b]) * (pol.grad_log_empty(x, a) - pol.grad_log_empty(x, b))
                 for a, b in pairs]
            probs.append(p)
            grads.append(np.array(g))
        return Outcomes(tuple(probs), tuple(grads))

    # -- the decomposition -----------------------------------------------------------------------------------
    @cached_property
    def mu(self) -> np.ndarray:
        """μ = E ∇ℓ_m, the marginal gradient."""
        return self.marginal_outcomes.mean()

    @cached_property
    def moments(self) -> GradientMoments:
        """b_t, b_e, tr Σ_t, tr Σ_e, tr Σ_te of one example, by enumeration. D_t and D_e are independent given
        x, so Σ_te comes from the shared prompt alone: tr Σ_te = E_x⟨E[g_t|x], E[g_e|x]⟩ − ⟨E g_t, E g_e⟩."""
        t, e = self.trace_outcomes, self.empty_outcomes
        mt, me = t.mean(), e.mean()
        cross = float(np.mean(np.einsum("xp,xp->x", t.conditional_means(), e.conditional_means())))
        return GradientMoments(
            bias_trace=mt - self.mu,
            bias_empty=me - self.mu,
            var_trace=t.second_moment() - float(mt @ mt),
            var_empty=e.second_moment() - float(me @ me),
            cov_trace_empty=cross - float(mt @ me),
        )

    def sample_batch(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Per-example gradients (g_t, g_e), each (n, P), of n examples on shared prompts."""
        require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "an integer ≥ 1")
        prompts = rng.integers(0, self.policy.shape[0], size=n)
        return self.trace_outcomes.sample(rng, prompts), self.empty_outcomes.sample(rng, prompts)

    def trace_variance(self, alpha: float, x: int, trace_pair: tuple[int, int], empty_pair: tuple[int, int]
                       ) -> tuple[float, float]:
        """(Var_r g_c, Var_r g_t) over the traces r⁺, r⁻ ~ π_ref for fixed data (prompt, both answer pairs),
        by enumerating g_c itself (docs/concepts/bvpo.md, the paper's Theorem 1: the first is α² times the second)."""
        alpha = check_alpha(alpha)
        pol, ref = self.policy, self.reference
        R = pol.shape[1]
        a, b = trace_pair
        ea, eb = empty_pair
        pol_e, ref_e = pol.log_answer_given_trace[x, EMPTY], ref.log_answer_given_trace[x, EMPTY]
        g_e = self._weight(x, pol_e[ea], pol_e[eb], ref_e[ea], ref_e[eb]) * (pol.grad_log_empty(x, ea) - pol.grad_log_empty(x, eb))
        posterior = np.exp(ref.log_joint[x] - ref.log_marginal[x][None, :])
        probs, g_t, g_c = [], [], []
        for ra in range(R):
            for rb in range(R):
                c = self._weight(x, pol.log_joint[x, ra, a], pol.log_joint[x, rb, b], ref.log_joint[x, ra, a],
                                 ref.log_joint[x, rb, b])
                g = c * (pol.grad_log_joint(x, ra, a) - pol.grad_log_joint(x, rb, b))
                probs.append(posterior[ra, a] * posterior[rb, b])
                g_t.append(g)
                g_c.append(alpha * g + (1 - alpha) * g_e)

        def variance(values: list[np.ndarray]) -> float:
            v, p = np.array(values), np.array(probs)
            centred = v - p @ v
            return float(p @ np.einsum("kp,kp->k", centred, centred))

        return variance(g_c), variance(g_t)

    def monte_carlo_mse(self, alpha: float, n: int, batches: int, seed: int) -> tuple[float, float]:
        """(mean, standard error) of ‖Ḡ_c(α) − μ‖² over ``batches`` sampled batches of n examples."""
        alpha = check_alpha(alpha)
        rng = np.random.default_rng(seed)
        errors = np.empty(batches)
        for i in range(batches):
            t, e = self.sample_batch(rng, n)
            diff = alpha * t.mean(0) + (1 - alpha) * e.mean(0) - self.mu
            errors[i] = diff @ diff
        return float(errors.mean()), float(errors.std(ddof=1) / np.sqrt(batches))
