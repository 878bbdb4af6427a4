"""The binomial (Bernstein) basis of the count model, docs/concepts/answer-level.md#count-tables, and exact basis conversions.

Given z_i, the leave-one-out count N_i is Binomial(n, p) with n = K − 1, so a table g[0..n] has mean
B_g(p) = Σ_k g[k] b_{n,k}(p): a polynomial of degree ≤ n in the Bernstein basis.
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
import math
from math import comb

import numpy as np
from scipy.special import xlog1py, xlogy


def binomial_basis(n: int, p: np.ndarray) -> np.ndarray:
    """Bernstein basis b_{n,k}(p) = C(n,k) p^k (1−p)^{n−k} for k = 0..n.

    Evaluated in log space with the exact binomial coefficient: relative error ≤ 1e-12 wherever
    b ≥ 1e-200 and absolute error ≤ 1e-14 (checked against scipy.stats.binom.pmf, which is 5–8× slower).

    Args:
        n: the degree (K − 1).
        p: probabilities in [0, 1], any shape.

    Returns:
        An array of shape p.shape + (n + 1,).
    """
    p = np.asarray(p, dtype=float)[..., None]
    k = np.arange(n + 1)
    return np.exp(_log_binomials(n) + xlogy(k, p) + xlog1py(n - k, -p))


@lru_cache(maxsize=64)
def _binomials(n: int) -> tuple[int, ...]:
    return tuple(comb(n, k) for k in range(n + 1))


@lru_cache(maxsize=64)
def _log_binomials(n: int) -> np.ndarray:
    return np.log(np.array([float(c) for c in _binomials(n)]))


@lru_cache(maxsize=None)
def _shifted_chebyshev_monomials(degree: int) -> tuple[tuple[int, ...], ...]:
    """Integer monomial coefficients of T_j(2p − 1), j = 0..degree (row j, coefficient of p^m at m)."""
    t_prev, t_curr = [1], [-1, 2]  # T_0 = 1, T_1(2p − 1) = 2p − 1
    rows = [tuple(t_prev), tuple(t_curr)]
    for _ in range(2, degree + 1):
        # T_{j+1} = 2(2p − 1) T_j − T_{j−1}
        nxt = [0] * (len(t_curr) + 1)
        for m, c in enumerate(t_curr):
            nxt[m] -= 2 * c
            nxt[m + 1] += 4 * c
        for m, c in enumerate(t_prev):
            nxt[m] -= c
        t_prev, t_curr = t_curr, nxt
        rows.append(tuple(nxt))
    return tuple(rows[: degree + 1])


def chebyshev_to_bernstein(coefficients: np.ndarray) -> np.ndarray:
    """Bernstein coefficients of Σ_j c_j T_j(2p − 1), computed exactly in rational arithmetic.

    The Bernstein basis has condition number ~2^K, so the conversion is done with ``fractions`` and only
    the final table is rounded to float64 (docs/concepts/estimators.md#minimax).

    Args:
        coefficients: Chebyshev coefficients c_0..c_n on [0, 1].

    Returns:
        The table g[0..n] with B_g(p) equal to the Chebyshev polynomial.
    """
    n = len(coefficients) - 1
    rows = _shifted_chebyshev_monomials(n)
    monomial = [Fraction(0)] * (n + 1)
    for c, row in zip(coefficients, rows):
        c = Fraction(float(c))
        for m, integer in enumerate(row):
            monomial[m] += c * integer
    return monomial_to_bernstein(monomial)


def monomial_to_bernstein(monomial: list[Fraction] | np.ndarray) -> np.ndarray:
    """Bernstein coefficients of Σ_m a_m p^m of degree ≤ n: g[k] = Σ_{m≤k} C(k,m)/C(n,m) a_m (exact)."""
    n = len(monomial) - 1
    a = [Fraction(float(x)) if not isinstance(x, Fraction) else x for x in monomial]
    scaled = [a[m] / comb(n, m) for m in range(n + 1)]
    return np.array([float(sum(comb(k, m) * scaled[m] for m in range(k + 1))) for k in range(n + 1)])


def bernstein_to_chebyshev(table: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients on [0, 1] of B_g for a float64 table g, computed exactly in rational
    arithmetic and rounded once: the well-conditioned form of an ill-conditioned table's mean (docs/concepts/estimators.md#minimax).

    Args:
        table: g[0..n] (every float64 is an exact rational).

    Returns:
        c[0..n] with Σ_j c_j T_j(2p − 1) = Σ_k g[k] b_{n,k}(p) up to one rounding of each c_j.
    """
    n = len(table) - 1
    g = [Fraction(float(x)) for x in table]
    # monomial coefficients a_m = Σ_{k≤m} g_k C(n,k) C(n−k, m−k) (−1)^{m−k}
    monomial = [
        sum((g[k] * comb(n, k) * comb(n - k, m - k) * (-1) ** (m - k) for k in range(m + 1)), Fraction(0))
        for m in range(n + 1)
    ]
    rows = _shifted_chebyshev_monomials(n)  # T_j(2p − 1) = Σ_m rows[j][m] p^m, triangular
    c = [Fraction(0)] * (n + 1)
    for j in range(n, -1, -1):
        c[j] = (monomial[j] - sum((c[i] * rows[i][j] for i in range(j + 1, n + 1)), Fraction(0))) / rows[j][j]
    return np.array([float(x) for x in c])


def exact_moments(table: np.ndarray, p: float) -> tuple[Fraction, Fraction]:
    """E[g[N]] and E[g[N]²] for N ~ Binomial(n, p), exactly, for a float64 table and a float64 p (both exact
    dyadic rationals): the reference that reported metrics are checked against. Integer arithmetic on a
    common denominator keeps it fast enough for a few thousand points at K = 64.
    """
    n = len(table) - 1
    num, den = Fraction(float(p)).as_integer_ratio()
    scale = max(0, -min(math.frexp(float(x))[1] - 53 for x in table))  # 2^scale·g is an integer
    G = [int(Fraction(float(x)) * 2**scale) for x in table]
    rest = den - num
    tails = [1] * (n + 1)  # tails[k] = rest^(n−k)
    for k in range(n - 1, -1, -1):
        tails[k] = tails[k + 1] * rest
    first = second = 0
    head = 1  # num^k
    for k in range(n + 1):
        weight = _binomials(n)[k] * head * tails[k]
        first += G[k] * weight
        second += G[k] * G[k] * weight
        head *= num
    return Fraction(first, 2**scale * den**n), Fraction(second, 4**scale * den**n)


def chebyshev_nodes(count: int, low: float, high: float) -> np.ndarray:
    """Chebyshev–Lobatto points on [low, high], clustered at both ends where polynomial errors peak."""
    x = np.cos(np.pi * np.arange(count) / (count - 1))
    return np.sort(low + (high - low) * (1 + x) / 2)


def local_maxima(err: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of an error sampled on a grid, both ends included: the points an
    exchange step adds to a discretised minimax or budget problem."""
    inner = (err[1:-1] >= err[:-2]) & (err[1:-1] >= err[2:])
    return np.concatenate([[0], np.flatnonzero(inner) + 1, [len(err) - 1]])
