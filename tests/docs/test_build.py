"""The docs build (mkdocs build --strict): offline pages with MathML and figures; a broken link or a missing
results file fails the build, naming it. Each build takes seconds; skipped without the docs extra."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("mkdocstrings_handlers.python")
pytest.importorskip("mkdocs_gen_files")
pytest.importorskip("latex2mathml")

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
EXTERNAL_ASSET = re.compile(r"""<(?:script|link|img|source)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""", re.I)


def build(project: Path, site: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)


def copy_project(tmp_path: Path, copy_src: bool = False) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    if copy_src:
        shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("docs", "benchmarks/results"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("mkdocs.yml", "CHANGELOG.md", "CONTRIBUTING.md"):
        shutil.copy(ROOT / name, project / name)
    if not copy_src:
        (project / "src").symlink_to(ROOT / "src")
    return project


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    result = build(ROOT, site)
    assert result.returncode == 0, result.stderr[-3000:]
    return site


def test_no_page_loads_anything_from_the_network(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 40
    offenders = {str(p.relative_to(site)): EXTERNAL_ASSET.findall(p.read_text()) for p in pages}
    assert {k: v for k, v in offenders.items() if v} == {}
    for css in site.rglob("*.css"):
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:|fonts\.googleapis", css.read_text()), css


def test_formulas_are_mathml(site):
    html = (site / "concepts" / "game.html").read_text()
    assert html.count("<math") >= 20 and "arithmatex" not in html and "\\(" not in html


def test_results_pages_show_their_figures(site):
    html = (site / "results" / "training.html").read_text()
    for figure in ("anchored_training.png", "compare_anchored.png"):
        assert f'src="figures/{figure}"' in html
        assert (site / "results" / "figures" / figure).stat().st_size > 1000


def test_api_pages_link_the_cited_docs_pages(site):
    html = (site / "reference" / "api" / "games.html").read_text()
    assert '<a href="../../concepts/game.html#the-anchor">docs/concepts/game.md#the-anchor</a>' in html
    assert ":func:" not in html


def test_generated_numbers_reach_the_site(site):
    html = (site / "guides" / "simulate.html").read_text()
    assert "[[" not in html and "0.073" in html  # simulate_equilibrium.json, anchored K = 16, plug-in


def test_a_broken_link_fails_the_build_naming_it(tmp_path):
    project = copy_project(tmp_path)
    page = project / "docs" / "guides" / "bon.md"
    page.write_text(page.read_text() + "\n[gone](../concepts/no-such-page.md)\n")
    result = build(project, tmp_path / "site")
    assert result.returncode != 0 and "no-such-page.md" in result.stderr


def test_a_missing_results_file_fails_the_build_naming_it(tmp_path):
    project = copy_project(tmp_path)
    (project / "benchmarks" / "results" / "task_premise.json").unlink()
    result = build(project, tmp_path / "site")
    assert result.returncode != 0 and "task_premise.json" in result.stderr


def test_a_docstring_reference_to_nothing_fails_the_build_naming_it(tmp_path):
    project = copy_project(tmp_path, copy_src=True)
    module = project / "src" / "alft" / "bon" / "exact.py"
    text = module.read_text()
    module.write_text(text.replace('"""', '"""See :func:`alft.bon.no_such_function`. ', 1))
    result = build(project, tmp_path / "site")
    assert result.returncode != 0 and "alft.bon.no_such_function" in result.stderr
