"""Numbers in the README and the docs are the numbers in benchmarks/results: checked, and shown to fail when
they differ."""

import json
import re
import shutil
from pathlib import Path

import pytest

import results

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
# A number quoted in the README, followed by the file and path it comes from: 0.741<!-- FILE.json:PATH|SPEC -->
QUOTED = re.compile(r"([−+-]?\d[\d,]*(?:\.\d+)?(?:e[−+-]?\d+)?%?)\s*<!-- ([\w.=-]+\.json):(.+?)\|([^|]*?) -->")


def quoted_mismatches(text: str, root: Path) -> list[str]:
    out = []
    for number, name, path, spec in QUOTED.findall(text):
        expected = results.number(name, path, spec, root)
        if number != expected:
            out.append(f"{number} quoted, {expected} in {name}:{path}")
    return out


@pytest.fixture()
def results_copy(tmp_path):
    root = tmp_path / "results"
    shutil.copytree(results.RESULTS, root)
    results.clear_cache()
    yield root
    results.clear_cache()


def _set(root: Path, name: str, keys: list, value) -> None:
    data = json.loads((root / name).read_text())
    target = data
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    (root / name).write_text(json.dumps(data))


def test_readme_quotes_match_their_files():
    text = README.read_text()
    assert len(QUOTED.findall(text)) >= 15  # the README's measured numbers are all quoted this way
    assert quoted_mismatches(text, results.RESULTS) == []


def test_a_changed_file_makes_the_readme_check_fail(results_copy):
    _set(results_copy, "reward_overhead.json", ["in_step_overhead_median"], 0.5)
    assert quoted_mismatches(README.read_text(), results_copy) == [
        "0.8% quoted, 50.0% in reward_overhead.json:in_step_overhead_median"]


def test_every_docs_placeholder_resolves():
    pages = [p for p in DOCS.rglob("*.md") if results.PLACEHOLDER.search(p.read_text())]
    assert len(pages) >= 5
    for page in pages:
        assert not results.PLACEHOLDER.search(results.fill(page.read_text())), page  # fill raises on a bad one


def test_placeholders_take_the_files_value(results_copy):
    text = "[[task_premise.json:by_temperature/0.7/shipped/greedy_accuracy|.3f]]"
    assert results.fill(text) == "0.702"
    _set(results_copy, "task_premise.json", ["by_temperature", "0.7", "shipped", "greedy_accuracy"], 0.5)
    assert results.fill(text, results_copy) == "0.500"


def test_generated_pages_follow_their_files(results_copy):
    page = next(p for p in results.PAGES if p.path == "results/overhead.md")
    before = results.render_page(page, results.RESULTS)
    assert "0.8%" in before and "2.9%" in before  # both measurements of the reward's cost are shown
    _set(results_copy, "reward_overhead.json", ["ab_overhead_median"], 0.123)
    after = results.render_page(page, results_copy)
    assert "12.3%" in after and "2.9%" not in after


def test_training_page_numbers_are_the_files():
    page = next(p for p in results.PAGES if p.path == "results/training.md")
    text = results.render_page(page)
    data = json.loads((results.RESULTS / "anchored_estimators_K16_M255_s3.json").read_text())
    plugin = next(a for a in data["aggregate"] if a["estimator"] == "plugin")
    assert f"{plugin['tv_after_mean']:.3f} ± {plugin['tv_after_std']:.3f}" in text  # 0.107, not 0.108
    assert "majority-of-16" in text
    # "every table improves every accuracy" holds for the means of alft compare, not for every seed
    assert "Lowest change of a single run: −0.2 points (majority accuracy, aqp, seed 1)" in text


def test_every_results_file_has_a_source_command():
    assert results.listed_files() == set(results.SOURCES)


def test_every_results_page_renders_and_has_a_stub():
    pages = results.render_pages()
    assert set(pages) == {"results/index.md"} | {p.path for p in results.PAGES}
    for path in pages:
        stub = (DOCS / path).read_text()
        assert results.render_stub(stub) == pages[path]


def test_a_missing_results_file_is_named(results_copy):
    (results_copy / "verl_overhead.json").unlink()
    page = next(p for p in results.PAGES if p.path == "results/overhead.md")
    with pytest.raises(results.MissingResult, match="verl_overhead.json"):
        results.render_page(page, results_copy)


def test_a_missing_key_is_named():
    with pytest.raises(results.MissingResult, match="no key 'nope'"):
        results.fill("[[reward_overhead.json:nope|.3f]]")
    with pytest.raises(results.MissingResult, match="3 items match"):
        results.get("anchored_training.json", "rows/[group=anchored-1x]/tv_after")
