"""Reliability across the whole library (issue 7): bad inputs, faults, finite rewards, numerical safety, seeds.

    python benchmarks/reliability.py            # ≈ 3–4 min on 2 cores
    python benchmarks/reliability.py --quick    # no training subprocesses, no K = 256 solves

Reuses the catalogue and helpers of tests/reliability. Writes benchmarks/results/reliability.json and
benchmarks/results/reliability.md (the table: bad inputs tried by kind, faults survived, rewards checked
finite, failures).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

from reliability_catalogue import catalogue  # noqa: E402
from reliability_helpers import (  # noqa: E402
    TINY,
    adversarial_completions,
    comparable_summary,
    complete_checkpoints,
    kill_after_checkpoint,
    metrics_steps,
    run_alft,
)

RESULTS = ROOT / "benchmarks" / "results"


# --- 1. bad inputs ----------------------------------------------------------------------------------------
def bad_inputs() -> dict:
    from alft.errors import AlftInputError

    tried, passed, failures = Counter(), Counter(), []
    for case in catalogue():
        tried[case.kind] += 1
        signal.alarm(10)  # a hang counts as a failure
        try:
            case.call()
            outcome = "no error raised"
        except AlftInputError as error:
            outcome = "ok" if case.field in str(error) else f"message does not name {case.field!r}: {error}"
        except BaseException as error:  # noqa: BLE001 — any other exception is what we count
            outcome = f"{type(error).__name__}: {str(error)[:120]}"
        finally:
            signal.alarm(0)
        if outcome == "ok":
            passed[case.kind] += 1
        else:
            failures.append({"kind": case.kind, "input": case.label, "got": outcome})
    return {"tried": dict(tried), "typed_error_naming_field": dict(passed), "failures": failures}


# --- 2. finite rewards ------------------------------------------------------------------------------------
def _random_answer(rng: np.random.Generator) -> str | None:
    kind = rng.integers(5)
    if kind == 0:
        return None
    if kind == 1:
        return str(rng.choice(["1", "2", "3", "-1", "1/2", "x"]))
    if kind == 2:
        return "".join(chr(int(c)) for c in rng.integers(1, 0x2FFFF, rng.integers(0, 12)) if not 0xD800 <= c < 0xE000)
    if kind == 3:
        return ""
    return chr(int(rng.integers(33, 0x2FFF))) * int(rng.integers(10_000, 100_000))


def finite_rewards(groups: int, seed: int = 0) -> dict:
    from alft import bon, games
    from alft.integrations.trl import answer_reward

    rng = np.random.default_rng(seed)
    objectives = [games.coherence(), games.diversity(), games.gini_diversity(), games.pairwise_coherence(),
                  0.5 * games.coherence() + games.verifier(), games.bregman("kl"), games.bregman("tsallis:3", 0.3),
                  games.bregman("kl+l2:0.5")]
    solved = [3, 4, 5, 8, 16, 32, 64]  # K ≥ 3: tsallis:3 has degree 2 (K = 2 is refused, see the catalogue)
    checked, non_finite, sizes = Counter(), 0, []
    for _ in range(groups):
        estimator = str(rng.choice(["plugin", "plugin-half", "digamma", "aqp"]))
        K = int(rng.choice(solved)) if estimator == "aqp" else int(rng.integers(3, 257))
        sizes.append(K)
        objective = objectives[rng.integers(len(objectives))]
        answers = [_random_answer(rng) for _ in range(K)]
        result = games.group_rewards(answers, games.Reward(objective, estimator, unextractable=str(rng.choice(games.UNEXTRACTABLE_POLICIES)), allow_collapse=True), verifier_scores=rng.normal(0, 1e3, K).tolist())
        values = np.concatenate([result.rewards, result.baseline_loo])
        checked["group rewards (incl. LOO baselines)"] += values.size
        non_finite += int(np.sum(~np.isfinite(values)))
    # the trainer boundary: the TRL reward on adversarial and random completions
    texts = list(adversarial_completions().values())
    texts += ["".join(chr(int(c)) for c in rng.integers(1, 0x2FFF, rng.integers(0, 60))) for _ in range(200)]
    texts += ["=1"] * (-len(texts) % 8)
    for rule in [{"objective": "coherence"}, {"objective": "diversity"}, {"objective": "pairwise"}, {"peer": "ttrl"}, {"peer": "empo"}, {"objective": "coherence+0.5*verifier"}]:
        for grouper in ("exact", "math"):
            reward = answer_reward(8, estimator="aqp", grouper=grouper, allow_collapse=True, **rule)
            values = np.asarray(reward(prompts=[i // 8 for i in range(len(texts))], completions=texts,
                                       answer=["4"] * len(texts)))
            checked["TRL reward (adversarial + random completions)"] += values.size
            non_finite += int(np.sum(~np.isfinite(values)))
    # best-of-n at extreme masses and n
    for _ in range(300):
        size = int(rng.integers(1, 12))
        weights = 10.0 ** rng.uniform(-300, 0, size)
        ref = bon.Reference.from_arrays(weights / weights.sum(), rng.choice([-1e300, 0.0, 1.0, 1e300], size))
        n = int(rng.choice([1, 2, 64, 10**6, 10**9]))
        values = np.array([bon.kl_exact(ref, n), bon.win_rate(ref, n), bon.expected_kl_estimator(ref, n)])
        checked["best-of-n KL / win rate / estimator"] += values.size
        non_finite += int(np.sum(~np.isfinite(values)))
    return {"checked": dict(checked), "total": sum(checked.values()), "non_finite": non_finite,
            "group_sizes": [min(sizes), max(sizes)]}


def adversarial_timing() -> dict:
    from alft.answers import EXTRACTORS, canonicalize

    worst = {}
    for name, text in adversarial_completions().items():
        start = time.perf_counter()
        for extract in EXTRACTORS.values():
            canonicalize(extract(text))
        worst[name] = (time.perf_counter() - start) * 1e3
    slowest = max(worst, key=worst.get)
    return {"inputs": len(worst), "chars_max": max(map(len, adversarial_completions().values())),
            "slowest": slowest, "slowest_ms_all_extractors": round(worst[slowest], 1)}


# --- 3. faults --------------------------------------------------------------------------------------------
_SOLVE = "import json,sys; from alft.estimators import get_estimator; print(json.dumps(get_estimator('aqp', 32).table.tolist()))"


def _with_cache(root: Path):
    os.environ["ALFT_CACHE_DIR"] = str(root)
    from alft.estimators import cache

    cache.clear_memory()
    return cache


def cache_faults(work: Path) -> list[dict]:
    from alft.estimators import get_estimator

    out = []
    # two writers at once
    root = work / "concurrent"
    env = {**os.environ, "ALFT_CACHE_DIR": str(root), "OMP_NUM_THREADS": "1"}
    children = [subprocess.Popen([sys.executable, "-c", _SOLVE], stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    tables = [json.loads(child.communicate(timeout=300)[0]) for child in children]
    cache = _with_cache(root)
    (path,) = cache.cache_dir().glob("aqp-K32-*.json")
    ok = tables[0] == tables[1] and cache._read(path, 32)["table"] == tables[0]
    out.append({"fault": "two processes write the same table at once", "cases": 1, "survived": int(ok)})

    # truncated at every 25th byte, and edited
    cache = _with_cache(work / "reference")
    table = get_estimator("aqp", 8).table.tolist()
    (path,) = cache.cache_dir().glob("aqp-K8-*.json")
    text = path.read_text()
    survived = tried = 0
    variants = [text[:cut] for cut in range(0, len(text), 5)]
    entry = json.loads(text)
    for edit in range(len(table)):
        bad = json.loads(json.dumps(entry))
        bad["payload"]["table"][edit] = float("nan") if edit % 2 else bad["payload"]["table"][edit] + 1e-9
        variants.append(json.dumps(bad))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for variant in variants:
            path.write_text(variant)
            cache.clear_memory()
            tried += 1
            survived += get_estimator("aqp", 8).table.tolist() == table and cache._read(path, 8)["table"] == table
    out.append({"fault": "cache file truncated (every 5th byte) or edited (one entry each)", "cases": tried, "survived": survived})

    # a writer killed while holding the lock
    lock = str(path) + ".lock"
    holder = subprocess.Popen([sys.executable, "-c", f"from filelock import FileLock; import time; l = FileLock({lock!r}); "
                               "l.acquire(); print('locked', flush=True); time.sleep(600)"], stdout=subprocess.PIPE, text=True)
    holder.stdout.readline()
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    path.unlink()
    cache.clear_memory()
    out.append({"fault": "a writer SIGKILLed while holding the lock", "cases": 1,
                "survived": int(get_estimator("aqp", 8).table.tolist() == table)})

    # unwritable location (a path below a regular file: root ignores permission bits)
    blocker = work / "a-file"
    blocker.write_text("")
    cache = _with_cache(blocker / "sub")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ok = get_estimator("aqp", 8).table.tolist() == table and any("not writable" in str(w.message) for w in caught)
    out.append({"fault": "cache location not writable (memory fallback with a warning)", "cases": 1, "survived": int(ok)})
    return out


def training_faults(work: Path, cache_dir: Path) -> list[dict]:
    run = [*TINY, "--steps", "6", "--save-steps", "2", "--eval-problems", "4", "--seed", "5", "--json"]
    reference = work / "uninterrupted"
    assert run_alft("train", *run, "--output-dir", str(reference), cache_dir=cache_dir).returncode == 0
    rewards = [json.loads(line)["reward"] for line in (reference / "metrics.jsonl").read_text().splitlines()]

    def same(folder: Path) -> bool:
        got = [json.loads(line)["reward"] for line in (folder / "metrics.jsonl").read_text().splitlines()]
        return metrics_steps(folder) == list(range(1, 7)) and np.allclose(got, rewards, rtol=1e-6, atol=1e-9)

    out = []
    folder = work / "killed"
    killed = kill_after_checkpoint(run, folder, cache_dir)
    resumed = run_alft("train", *run, "--output-dir", str(folder), cache_dir=cache_dir)
    out.append({"fault": "alft train SIGKILLed after its first checkpoint, then resumed", "cases": int(killed["killed"]),
                "survived": int(killed["killed"] and resumed.returncode == 0 and same(folder)),
                "killed_at_checkpoint": max(killed["checkpoints"] or [0]), "steps_before_kill": killed["steps_before"]})
    folder = work / "torn"
    shutil.copytree(reference, folder)
    (folder / "checkpoints" / "checkpoint-6" / "trainer_state.json").unlink()
    (folder / "summary.json").unlink()
    lines = (folder / "metrics.jsonl").read_text().splitlines(keepends=True)
    (folder / "metrics.jsonl").write_text("".join(lines[:5]) + lines[5][:20])
    ok = complete_checkpoints(folder) == [4] and run_alft("train", *run, "--output-dir", str(folder), cache_dir=cache_dir).returncode == 0
    out.append({"fault": "torn metrics line + half-written checkpoint, then resumed", "cases": 1, "survived": int(ok and same(folder))})
    return out


# --- 4. numerical safety ----------------------------------------------------------------------------------
def numerical(full: bool) -> dict:
    from alft.errors import AlftNumericalError
    from alft.estimators import TRAINING_COEFFICIENT_BOUND, get_estimator, minimax_value

    tables = failures = 0
    for K in range(2, 257):
        harmonic = [Fraction(0)]
        for j in range(1, K):
            harmonic.append(harmonic[-1] + Fraction(1, j))
        exact = np.array([float(h - harmonic[-1]) for h in harmonic])
        for name in ("plugin", "plugin-half", "digamma"):
            table = get_estimator(name, K).table
            tables += 1
            ok = np.all(np.isfinite(table)) and np.all(np.diff(table) > 0) and np.max(np.abs(table)) < TRAINING_COEFFICIENT_BOUND
            if name == "digamma":
                ok = ok and np.max(np.abs(table - exact) / np.maximum(np.abs(exact), 1e-300)) < 1e-12
            failures += not ok
        for target in ("l2", "tsallis:3", "tsallis:6", "kl+l2:0.5"):
            if target.startswith("tsallis") and int(target[-1]) > K:
                continue
            est = get_estimator("digamma" if target.startswith("kl") else "ustat", K, target)
            tables += 1
            p = np.geomspace(1.0 / K, 1.0, 50)
            ok = np.all(np.isfinite(est.table))
            if est.target.is_polynomial:
                ok = ok and np.max(np.abs(est.mean(p) - est.target.value(p))) < 1e-10
            failures += not ok
    start = time.perf_counter()
    value = minimax_value(256) if full else None  # first, so the timing is the solve, not a cache hit
    value_seconds = round(time.perf_counter() - start, 1) if full else None
    solved = []
    for K, params in [(16, {}), (32, {}), (64, {}), (128, {}), (128, {"kappa": 20.0})] + (
            [(256, {"kappa": 20.0}), (256, {})] if full else []):
        start = time.perf_counter()
        try:
            est = get_estimator("aqp", K, **params)
            row = {"K": K, **params, "max_abs_g": float(np.max(np.abs(est.table))),
                   "weighted_bias_over_minimax": est.weighted_bias() / minimax_value(K), "finite": bool(np.all(np.isfinite(est.table)))}
        except AlftNumericalError as error:
            row = {"K": K, **params, "refused": str(error)}
        row["seconds"] = round(time.perf_counter() - start, 2)
        solved.append(row)
    return {"closed_form_and_ustat_tables_K_2_to_256": tables, "failures": failures, "aqp": solved,
            "minimax_value_256": value, "minimax_value_256_seconds": value_seconds}


# --- 5. determinism ---------------------------------------------------------------------------------------
def determinism(cache_dir: Path, work: Path) -> list[dict]:
    base = ["train", *TINY, "--steps", "5", "--eval-problems", "6", "--json"]
    runs = [run_alft(*base, "--seed", seed, "--output-dir", str(work / f"seed{seed}-{i}"), cache_dir=cache_dir)
            for i, seed in enumerate(["7", "7", "8"])]
    a, b, c = (comparable_summary(json.loads(r.stdout)) for r in runs)
    sim = ["simulate", "--K", "6", "--steps", "40", "--groups", "30", "--estimators", "plugin,digamma", "--out", "", "--json"]
    s = [json.loads(run_alft(*sim, "--seed", seed, cache_dir=cache_dir).stdout) for seed in ("3", "3", "4")]
    return [
        {"command": "alft train --preset tiny --steps 5", "same_seed_identical": a == b, "other_seed_differs": a["training"] != c["training"]},
        {"command": "alft simulate --K 6 --steps 40", "same_seed_identical": s[0] == s[1],
         "other_seed_differs": s[0]["results"]["plugin"] != s[2]["results"]["plugin"]},
    ]


# --- report -----------------------------------------------------------------------------------------------
def markdown(report: dict) -> str:
    bad = report["bad_inputs"]
    lines = ["# Reliability (issue 7)", "", f"`python benchmarks/reliability.py` — {report['seconds']:.0f} s, "
             f"{report['platform']}.", "", "## Bad inputs (each must raise AlftInputError naming the field)", "",
             "| kind | tried | typed error naming the field | failures |", "|---|---:|---:|---:|"]
    for kind, tried in bad["tried"].items():
        ok = bad["typed_error_naming_field"].get(kind, 0)
        lines.append(f"| {kind} | {tried} | {ok} | {tried - ok} |")
    total = sum(bad["tried"].values())
    lines.append(f"| **all** | **{total}** | **{sum(bad['typed_error_naming_field'].values())}** | **{len(bad['failures'])}** |")
    if bad["failures"]:
        lines += ["", "Failures:", ""] + [f"* {f['kind']}: {f['input']} → {f['got']}" for f in bad["failures"]]
    lines += ["", "## Faults", "", "| fault | cases | survived |", "|---|---:|---:|"]
    lines += [f"| {f['fault']} | {f['cases']} | {f['survived']} |" for f in report["faults"]]
    fin = report["finite_rewards"]
    lines += ["", "## Rewards checked finite", "", "| source | values checked |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in fin["checked"].items()]
    lines += [f"| **all** (non-finite: {fin['non_finite']}) | **{fin['total']}** |", "",
              f"Adversarial completions: {report['adversarial']['inputs']} inputs up to {report['adversarial']['chars_max']:,} "
              f"characters; slowest ({report['adversarial']['slowest']}) took {report['adversarial']['slowest_ms_all_extractors']} ms "
              "through all four extractors and the canonicaliser.", "", "## Numerical safety", "",
              f"{report['numerical']['closed_form_and_ustat_tables_K_2_to_256']} closed-form and U-statistic tables "
              f"(every K = 2..256) finite, monotone, digamma exact to 1e-12 against rational arithmetic, U-statistics "
              f"unbiased to 1e-10: {report['numerical']['failures']} failures.", "", "| aqp | max abs g | bias / E*_K | seconds |", "|---|---:|---:|---:|"]
    for row in report["numerical"]["aqp"]:
        label = f"K={row['K']}" + (f", kappa={row['kappa']:g}" if "kappa" in row else ", default kappa=8")
        if "refused" in row:
            lines.append(f"| {label} | refused: {row['refused']} | | {row['seconds']} |")
        else:
            lines.append(f"| {label} | {row['max_abs_g']:.3g} | {row['weighted_bias_over_minimax']:.2f} | {row['seconds']} |")
    if report["numerical"]["minimax_value_256"] is not None:
        lines.append(f"\nMinimax value E*_256 = {report['numerical']['minimax_value_256']:.4g} "
                     f"({report['numerical']['minimax_value_256_seconds']} s: benchmark only, too slow for the test suite).")
    lines += ["", "## Determinism (fresh processes; wall-clock fields excluded)", "",
              "| command | same seed identical | other seed differs |", "|---|---|---|"]
    lines += [f"| `{d['command']}` | {d['same_seed_identical']} | {d['other_seed_differs']} |" for d in report["determinism"]]
    lines += ["", f"**Failures: {report['failures']}**", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="skip training subprocesses and K = 256 solves")
    parser.add_argument("--groups", type=int, default=1500, help="random groups for the finite-reward check")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("no answer within 10 s")))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["ALFT_CACHE_DIR"] = str(work / "session-cache")
        report = {"platform": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"}
        report["bad_inputs"] = bad_inputs()
        print("bad inputs done", file=sys.stderr)
        report["finite_rewards"] = finite_rewards(args.groups)
        report["adversarial"] = adversarial_timing()
        print("finite rewards done", file=sys.stderr)
        report["numerical"] = numerical(full=not args.quick)
        print("numerical done", file=sys.stderr)
        report["faults"] = cache_faults(work / "cache-faults")
        train_cache = work / "train-cache"
        os.environ["ALFT_CACHE_DIR"] = str(work / "session-cache")
        if not args.quick:
            report["faults"] += training_faults(work / "train-faults", train_cache)
            report["determinism"] = determinism(train_cache, work / "determinism")
        else:
            report["determinism"] = []
        print("faults and determinism done", file=sys.stderr)
    report["seconds"] = time.perf_counter() - start
    report["failures"] = (
        len(report["bad_inputs"]["failures"]) + report["finite_rewards"]["non_finite"] + report["numerical"]["failures"]
        + sum(f["cases"] - f["survived"] for f in report["faults"])
        + sum(not (d["same_seed_identical"] and d["other_seed_differs"]) for d in report["determinism"])
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reliability.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    (RESULTS / "reliability.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
