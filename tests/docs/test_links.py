"""The README stays short and its links resolve; source citations point at docs pages and anchors that exist;
nothing cites the unshipped specification."""

import re
import subprocess
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
LINK = re.compile(r"\]\(([^)\s]+)\)")
CITATION = re.compile(r"\bdocs/((?:[\w-]+/)*[\w-]+\.md)(?:#([\w-]+))?")
SPEC_CITATION = "SPEC" + " §"  # split so this file does not match its own search
SPEC_PATH = "shared/docs/" + "SPEC.md"


def anchors(page: Path) -> set[str]:
    """The heading anchors mkdocs gives a page (its toc slugify), plus the page's own top."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {slugify(re.sub(r"[`*]", "", h), "-") for h in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.M)}


def test_readme_is_short():
    assert len(README.read_text().splitlines()) <= 150


def test_readme_links_resolve():
    links = [link for link in LINK.findall(README.read_text()) if not re.match(r"https?://", link)]
    assert len(links) >= 15
    for link in links:
        path, _, anchor = link.partition("#")
        target = (README.parent / path).resolve()
        assert target.exists(), link
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target), link


def test_readme_commands_are_the_ones_ci_runs():
    block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1).splitlines()
    assert block[0].split("#")[0].strip() == "pip install -c constraints.txt -e . && alft train"
    assert block[1].split("#")[0].strip() in (ROOT / ".ci" / "run").read_text().splitlines()


def _tracked(*paths: str) -> list[Path]:
    out = subprocess.run(["git", "ls-files", *paths], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [ROOT / line for line in out.splitlines() if not line.endswith((".png", ".json", ".jsonl", ".parquet"))]


def test_nothing_cites_the_unshipped_specification():
    files = _tracked("src", "tests", "benchmarks", "examples", "README.md", "pyproject.toml", "docs")
    assert len(files) > 100
    offenders = [str(f.relative_to(ROOT)) for f in files if f.is_file()
                 and (SPEC_CITATION in f.read_text(errors="ignore") or SPEC_PATH in f.read_text(errors="ignore"))]
    assert offenders == []


def test_source_citations_name_existing_pages_and_anchors():
    cited = 0
    for f in _tracked("src", "tests", "benchmarks", "examples", "pyproject.toml"):
        for page, anchor in CITATION.findall(f.read_text(errors="ignore")):
            cited += 1
            target = ROOT / "docs" / page
            assert target.is_file(), f"{f.relative_to(ROOT)} cites docs/{page}"
            if anchor:
                assert anchor in anchors(target), f"{f.relative_to(ROOT)} cites docs/{page}#{anchor}"
    assert cited >= 200


@pytest.mark.parametrize("anchor", ["the-game", "closed-form-equilibria", "bregman-targets", "constraints",
                                    "the-training-step", "the-anchor"])
def test_game_page_keeps_its_cited_anchors(anchor):
    assert anchor in anchors(ROOT / "docs" / "concepts" / "game.md")
