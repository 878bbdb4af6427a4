"""Simulation summaries (docs/concepts/game.md#the-anchor, docs/concepts/estimators.md#bias-moves-the-equilibrium): the one JSON-ready report of a tabular-game comparison, shared
by ``alft simulate --json`` and ``benchmarks/simulate_equilibrium.py``.

Per method (``exact``, then each estimator entry such as ``aqp:kappa=4``) a summary gives:

* ``final_tv`` / ``final_tv_sd`` / ``final_tv_seeds``: TV(p̄, p*) of the Polyak-averaged policy, mean and
  standard deviation over seeds;
* ``bias_only_tv``: where the estimator's mean alone would settle (its exact fixed point): the part of
  ``final_tv`` caused by bias, not noise;
* ``ratio_to_plugin`` / ``bias_only_ratio_to_plugin``: the same divided by plug-in's (when plug-in ran);
* ``steps_to_tv``: first recorded step with TV ≤ ``tv_threshold`` (mean over seeds; None if a seed never);
* ``samples_to_tv``: sampled answers per prompt until the TV *stays* ≤ ``tv_threshold`` (None if a seed
  never settles): the finite-budget measure, where an estimator's variance matters as well as its bias.

Choosing κ (aqp) or c (aqp-floor) from K and the sample budget, measured on the default game
(benchmarks/results/simulate_equilibrium.json, 3 seeds). The game settles where the table's *mean* is
right at p*, so what counts is the bias at the equilibrium's probabilities, not the worst case, and a
sampled run ends near max(bias-only TV, noise TV). Rule: lower κ (or c) until ``bias_only_tv`` (exact and
instant) falls below the noise TV your budget leaves, and no further.

* Many samples per step (1500 groups of K per prompt, the bias-dominated regime): κ = 1.25 for coherence
  at K = 8 (16.7× closer than plug-in), aqp-floor c = 0.5 at K = 16 (16.0×; κ = 4 11.0×; κ = 1.25 is
  noisier there, 8.2×); for diversity κ = 1.4 at K = 4 and aqp-floor c = 0.25–0.5 at K ≥ 8. At K = 4
  coherence no table passes 5× (the table's mean is a cubic).
* Few samples per step (4 groups of K, step 0.05, the noise-dominated regime): at K = 4 still κ = 1.25
  (480 sampled answers per prompt to stay within TV 0.1, minimax 427; the defaults never do: their bias
  at K = 4 exceeds plug-in's); from K = 8 on the defaults c = 2 / κ = 8, whose variance is lower:
  aqp-floor stays within 0.05 after 2 133 answers at K = 8 (κ = 1.25: 19 307), aqp and aqp-floor within
  0.03 after 4 267 at K = 16, where κ = 1.25 never settles (final TV 0.099).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from alft.errors import AlftInputError
from alft.estimators import ESTIMATORS
from alft.games.dynamics import Dynamics, ReferenceDraws, Trajectory, equilibria, parse_method, run, run_methods
from alft.games.equilibrium import fixed_point_tv
from alft.games.objectives import Objective, coherence, anchor, parse_objective, sharpened
from alft.games.tabular import TabularGame, default_game

ANCHORED = "anchored"


def estimator_methods(entries: Sequence[str], params: dict[str, float] | None = None) -> list[str]:
    """Method labels for estimator entries (``aqp``, ``aqp:kappa=4``), with the shared ``params`` given
    to every entry whose estimator accepts them (an entry's own KEY=VALUE wins).

    Raises:
        AlftInputError: no entry, an unknown estimator, or a shared parameter no listed estimator accepts.
    """
    entries = [e.strip() for e in entries if e.strip()]
    if not entries:
        raise AlftInputError(f"estimators: got {list(entries)!r}, expected at least one estimator name")
    names = [parse_method(e).estimator for e in entries]
    for key in params or {}:
        if not any(key in ESTIMATORS[n].defaults for n in names):
            raise AlftInputError(f"param: {key!r} is not a parameter of any of {', '.join(names)} (e.g. kappa for aqp, c for aqp-floor)")
    return [parse_method(e, {k: v for k, v in (params or {}).items() if k in ESTIMATORS[n].defaults}).label
            for e, n in zip(entries, names)]


def game_objective(spec: str, beta: float = 1.0, exponent: float | None = None,
                   gamma: float | None = None) -> Objective:
    """The objective of a spec, the one training plays: ``sharpened:S`` (``sharpened:S+verifier``) is the
    anchored game. The older spelling ``anchored`` with ``exponent`` s or ``gamma`` γ (and KL weight β) is read as
    ``sharpened(s, β)`` or ``γ·coherence + β·anchor``, the same objective."""
    pieces = [piece.strip() for piece in spec.split("+")] if isinstance(spec, str) else []
    if ANCHORED not in pieces:
        if (exponent, gamma) != (None, None):
            raise AlftInputError(f"objective: got {spec!r} with exponent/gamma, expected 'anchored' (or write the "
                                 "game as sharpened:S)")
        return parse_objective(spec)
    if (exponent is None) == (gamma is None):
        raise AlftInputError(f"exponent: got exponent={exponent!r} and gamma={gamma!r}, expected exactly one of "
                             "them for the anchored game (or write it as sharpened:S)")
    rest = "+".join(piece for piece in pieces if piece != ANCHORED)
    linear = parse_objective(rest) if rest else Objective(())
    if linear.target is not None:
        raise AlftInputError(f"objective: got {spec!r}; the anchored game may only add linear terms (verifier), not {rest!r}")
    if exponent is not None:
        return sharpened(_exponent(exponent), beta) + linear
    if not gamma < beta:
        raise AlftInputError(f"gamma: got {gamma!r} with beta = {beta!r}, expected gamma < beta (γ ≥ β is the collapse)")
    return coherence(gamma) + anchor(beta) + linear


def _exponent(s: float) -> float:
    if isinstance(s, bool) or not isinstance(s, (int, float)) or not s > 1:
        raise AlftInputError(f"exponent: got {s!r}, expected s > 1 (s = β/(β−γ); s = 1 is p_ref itself)")
    return float(s)


def _bias_only_tv(game: TabularGame, objective: Objective, method: str, K: int, reference: ReferenceDraws,
                  runs: list[Trajectory], dynamics: Dynamics, seeds: list[int]) -> float:
    """The TV the estimator's bias alone causes: root-found for plain games; for the anchored game the
    mean-field run (its exact fixed point under the same reference draws)."""
    parsed = parse_method(method)
    anchored = objective.uses_reference
    if parsed.kind == "exact":
        return float(np.mean([t.final_tv for t in runs])) if anchored else 0.0
    if not anchored:
        return fixed_point_tv(game, objective, parsed.estimator, K, dict(parsed.params))
    mean_field = Dynamics(steps=dynamics.steps, step_size=dynamics.step_size, record_every=dynamics.steps)
    label = method if parsed.kind == "mean" else f"mean:{method}"
    draw_seeds = seeds if reference.draws is not None else seeds[:1]
    return float(np.mean([run(game, objective, label, K, mean_field, seed=s, reference=reference).final_tv
                          for s in draw_seeds]))


def _mean_or_none(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else float(np.mean(values))


def _method_summary(trajectories: list[Trajectory], bias_only: float, threshold: float) -> dict[str, Any]:
    parsed = parse_method(trajectories[0].method)
    finals = [t.final_tv for t in trajectories]
    return {
        "estimator": parsed.estimator or None,
        "params": dict(parsed.params),
        "final_tv": float(np.mean(finals)),
        "final_tv_sd": float(np.std(finals)),
        "final_tv_seeds": finals,
        "bias_only_tv": bias_only,
        "steps_to_tv": _mean_or_none([t.steps_to(threshold) for t in trajectories]),
        "samples_to_tv": _mean_or_none([t.samples_to(threshold) for t in trajectories]),
        "tv_curve": [float(x) for x in np.mean([t.tv_curve for t in trajectories], axis=0)],
    }


def _add_ratios(results: dict[str, dict[str, Any]]) -> None:
    plugin = results.get("plugin")
    if plugin is None:
        return
    for method, row in results.items():
        if method == "exact":  # the control has no estimator (and its row must not depend on plug-in's seeds)
            continue
        row["ratio_to_plugin"] = row["final_tv"] / plugin["final_tv"] if plugin["final_tv"] > 0 else None
        row["bias_only_ratio_to_plugin"] = row["bias_only_tv"] / plugin["bias_only_tv"] if plugin["bias_only_tv"] > 0 else None


def _anchor_summary(objective: Objective, reference: ReferenceDraws) -> dict[str, Any] | None:
    if not objective.uses_reference:
        return None
    gamma, beta = objective.anchor_weights
    return {"gamma": gamma, "beta": beta, "exponent": objective.sharpening,
            "reference_draws": reference.draws, "reference_estimator": reference.estimator}


def simulate(
    objective: str, K: int, estimators: Sequence[str], dynamics: Dynamics = Dynamics(), *,
    beta: float = 1.0, seeds: Sequence[int] = (0,), tv_threshold: float = 0.01, params: dict[str, float] | None = None,
    exponent: float | None = None, gamma: float | None = None, reference_draws: int | None = None,
    reference_estimator: str = "digamma", on_step: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run the exact control and every estimator on the default tabular game; return the summary.

    Args:
        objective: an objective spec (``0.5*coherence``; ``sharpened:2`` for the anchored game that training
            plays, or the older ``anchored`` with ``exponent`` or ``gamma``), and for an anchored game
            ``reference_draws`` M (None: the exact p_ref).
        K: group size.
        estimators: entries ``NAME`` or ``NAME:KEY=VALUE[:KEY=VALUE]``.
        dynamics: steps, groups per step, step size, baseline (a small ``groups`` is the finite-budget regime).
        beta: KL weight β.
        seeds: the seeds of the sampled runs.
        tv_threshold: ε of ``steps_to_tv`` and ``samples_to_tv``.
        params: estimator parameters shared by every entry that accepts them (``{"kappa": 4}``).
        exponent / gamma / reference_draws / reference_estimator: the anchored game (docs/concepts/game.md#the-anchor).
        on_step: progress callback, once per update of any run.

    Returns:
        The summary (module docstring): settings, p* per prompt, and per method its results.
    """
    parsed = game_objective(objective, beta, exponent, gamma)
    anchored = parsed.uses_reference
    if not anchored and reference_draws is not None:
        raise AlftInputError(f"reference_draws: got {reference_draws!r} with {objective!r}, expected an anchored "
                             "objective (sharpened:S) for reference draws")
    reference = ReferenceDraws(reference_draws, reference_estimator)
    if not seeds:
        raise AlftInputError("seeds: got none, expected at least one seed")
    methods = ["exact", *estimator_methods(estimators, params)]
    game = default_game(beta)
    optima = equilibria(game, parsed)  # refuses collapsing objectives before any work
    runs = run_methods(game, parsed, methods, K, dynamics, seeds=list(seeds), reference=reference, on_step=on_step)
    results = {
        method: _method_summary(trajectories, _bias_only_tv(game, parsed, method, K, reference, trajectories, dynamics, list(seeds)), tv_threshold)
        for method, trajectories in runs.items()
    }
    _add_ratios(results)
    return {
        "objective": objective if ANCHORED in str(objective) else parsed.name,
        "K": K, "beta": beta, "anchor": _anchor_summary(parsed, reference),
        "groups": dynamics.groups, "step_size": dynamics.step_size, "total_steps": dynamics.steps,
        "baseline": dynamics.baseline, "seeds": list(seeds), "tv_threshold": tv_threshold,
        "steps": [int(s) for s in runs["exact"][0].steps],
        "equilibrium": [dict(zip(pr.answers, [float(x) for x in p])) for pr, p in zip(game.prompts, optima)],
        "results": results,
    }


def runs_per_simulation(estimators: Sequence[str], seeds: int, anchored_draws: bool = False) -> int:
    """How many runs :func:`simulate` makes (for progress bars): the exact control once (per seed when the
    reference answers are drawn per seed), every estimator per seed."""
    return (seeds if anchored_draws else 1) + len([e for e in estimators if e.strip()]) * seeds


def plot_summary(summary: dict[str, Any], path) -> None:
    """TV over steps per method (log scale), dotted at each estimator's bias-only TV."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pathlib import Path

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for method, r in summary["results"].items():
        line, = ax.semilogy(summary["steps"], [max(x, 1e-17) for x in r["tv_curve"]], label=method)
        if method != "exact":
            ax.axhline(max(r["bias_only_tv"], 1e-17), color=line.get_color(), linestyle=":", linewidth=1)
    ax.set_xlabel("step")
    ax.set_ylabel("TV(p_π, p*) (mean over prompts)")
    ax.set_title(f"{summary['objective']}, K={summary['K']} (dotted: bias-only fixed point)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
