"""Answer extraction on real completions: alft's extractors beside the anchors' rules (issue 25).

The corpus (tests/answers/data/extraction_corpus.jsonl) holds real completions, each with the answer a human
reader says it commits to (``label``, ``null`` for none). A rule agrees with a label when both are ``None``,
or when its answer falls in the label's class under alft's ``math`` grouper (the classes the counts use, so
an answer scored equal to the label is also counted with it); ``exact`` asks for the same canonical string.
Accuracy is reported over all items, over those that commit to an answer, and over those that do not, on the
tuning split (``dev``) and on the split kept out of tuning (``heldout``).

    python benchmarks/answer_extraction.py [--show-failures dev]

Writes benchmarks/results/answer_extraction.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from alft.answers import canonicalize, get_grouper
from alft.answers.extract import EXTRACTORS

sys.path.insert(0, str(Path(__file__).parent))
from extraction_anchors import ANCHORS  # noqa: E402

ROOT = Path(__file__).parent.parent
CORPUS = ROOT / "tests" / "answers" / "data" / "extraction_corpus.jsonl"
RESULT = ROOT / "benchmarks" / "results" / "answer_extraction.json"
BEFORE_REVISION = "d65db5e"  # the last commit before issue 25's extractor: its auto is the "before" column


def load_corpus(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _previous_auto(revision: str):
    """The ``auto`` extractor as it was at ``revision`` (read with ``git show``), or None outside a git checkout."""
    try:
        source = subprocess.run(["git", "show", f"{revision}:src/alft/answers/extract.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "extract_before.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("alft_answers_extract_before", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.extract_answer


def judge(answer: str | None, label: str | None, grouper) -> tuple[bool, bool]:
    """(same class as the label under the grouper, same canonical string); a ``None`` label wants ``None``."""
    answer, label = canonicalize(answer), canonicalize(label)
    if label is None or answer is None:
        return answer is None and label is None, answer is None and label is None
    if answer == label:
        return True, True
    ids = grouper([label, answer])
    return ids[0] is not None and ids[0] == ids[1], False


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 4) if flags else None


def score(rule, corpus: list[dict], grouper) -> dict:
    """Per split and subset: items, agreement by class and by exact string; plus each item's answer."""
    answers = [rule(item["text"]) for item in corpus]
    verdicts = [judge(answer, item["label"], grouper) for answer, item in zip(answers, corpus)]
    report = {}
    for split in ("all", "dev", "heldout"):
        rows = [i for i, item in enumerate(corpus) if split == "all" or item["split"] == split]
        for subset, keep in (("all", lambda item: True), ("committing", lambda item: item["label"] is not None),
                             ("no_answer", lambda item: item["label"] is None)):
            chosen = [i for i in rows if keep(corpus[i])]
            report[f"{split}/{subset}"] = {"n": len(chosen), "class": _rate([verdicts[i][0] for i in chosen]),
                                          "exact": _rate([verdicts[i][1] for i in chosen])}
    for source in ("smollm2", "math-verify"):
        chosen = [i for i, item in enumerate(corpus) if item["id"].startswith(source)]
        report[f"source:{source}"] = {"n": len(chosen), "class": _rate([verdicts[i][0] for i in chosen]),
                                      "exact": _rate([verdicts[i][1] for i in chosen])}
    return {"accuracy": report, "answers": answers, "verdicts": verdicts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show-failures", choices=["none", "dev", "heldout", "all"], default="none",
                        help="print alft auto's disagreements on this split (tune on dev only)")
    parser.add_argument("--before", default=BEFORE_REVISION,
                        help="git revision whose auto extractor is reported as 'before issue 25'")
    args = parser.parse_args()
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    corpus = load_corpus()
    grouper = get_grouper("math")
    rules = {"alft auto": EXTRACTORS["auto"], "alft auto-last-number": EXTRACTORS["auto-last-number"]}
    previous = _previous_auto(args.before)
    if previous is not None:
        rules[f"alft auto before issue 25 ({args.before})"] = previous
    rules.update(ANCHORS)
    start = time.perf_counter()
    results = {name: score(rule, corpus, grouper) for name, rule in rules.items()}
    sources = {}
    for item in corpus:
        sources[item["source"]] = sources.get(item["source"], 0) + 1
    summary = {
        "corpus": str(CORPUS.relative_to(ROOT)),
        "items": len(corpus),
        "committing": sum(item["label"] is not None for item in corpus),
        "heldout": sum(item["split"] == "heldout" for item in corpus),
        "sources": sources,
        "judge": "class: same class as the label under alft's 'math' grouper (None only with None); "
                 "exact: same canonical string",
        "accuracy": {name: result["accuracy"] for name, result in results.items()},
        "alft_auto_disagreements": [
            {"id": item["id"], "split": item["split"], "label": item["label"], "answer": answer}
            for item, answer, verdict in zip(corpus, results["alft auto"]["answers"], results["alft auto"]["verdicts"])
            if not verdict[0]],
        "seconds": round(time.perf_counter() - start, 2),
        "python": platform.python_version(),
    }
    RESULT.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{'rule':38s} {'all':>6s} {'commit':>6s} {'none':>6s} | {'dev':>6s} {'held':>6s} {'held-c':>6s}")
    for name, result in results.items():
        acc = result["accuracy"]
        print(f"{name:38s} {acc['all/all']['class']:6.3f} {acc['all/committing']['class']:6.3f} "
              f"{acc['all/no_answer']['class']:6.3f} | {acc['dev/all']['class']:6.3f} "
              f"{acc['heldout/all']['class']:6.3f} {acc['heldout/committing']['class']:6.3f}")
    if args.show_failures != "none":
        auto = results["alft auto"]
        for item, answer, verdict in zip(corpus, auto["answers"], auto["verdicts"]):
            if not verdict[0] and args.show_failures in ("all", item["split"]):
                print(f"--- {item['id']} label={item['label']!r} got={answer!r}\n{item['text'][-400:]}")


if __name__ == "__main__":
    main()
