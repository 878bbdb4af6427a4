"""mkdocs hooks: numbers from results files, mathematics as MathML, checked docstring references.

* A stub page in docs/results/ (``<!-- results-page: PATH -->``) is replaced by the page generated from
  its results files (results.py).
* ``[[FILE.json:PATH|SPEC]]`` in a page becomes the value in ``benchmarks/results/FILE.json`` (see results.py);
  a missing file or key fails the build, naming it.
* ``$...$`` and ``$$...$$`` (pymdownx.arithmatex, generic mode) become MathML at build time with the
  pure-Python latex2mathml: browsers render MathML natively, so no page loads a script or font from the
  network. A formula latex2mathml cannot read fails the build, naming the page and the formula.
* Before the build, every ``:func:`` / ``:class:`` / … reference in alft's docstrings must name something
  that exists (docrefs.py); otherwise the build fails, listing them.
"""

from __future__ import annotations

import html
import posixpath
import re
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docrefs  # noqa: E402
import results  # noqa: E402

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
_UNREAD = re.compile(r">\\[A-Za-z]+<")  # latex2mathml leaves a command it does not know as text
# Sphinx-style roles in docstrings (":func:`name`") arrive as text + <code>; show just the code.
_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr|exc|obj):<code>~?\.?([^<]+)</code>")
# ">>> code" lines in a docstring outside an Examples section arrive as three nested blockquotes.
_DOCTEST = re.compile(r"<blockquote>\s*<blockquote>\s*<blockquote>\s*<p>(.*?)</p>\s*</blockquote>\s*</blockquote>\s*</blockquote>", re.S)
# Citations of docs pages in docstrings ("docs/concepts/game.md#the-anchor") become links on the API pages.
_CITATION = re.compile(r"(?<!<code>)(?<![\w/])docs/((?:[\w-]+/)*[\w-]+)\.md(#[\w-]+)?")


def to_mathml(latex: str, display: str) -> str:
    from latex2mathml.converter import convert

    try:
        mathml = convert(html.unescape(latex).strip(), display=display)
    except Exception as error:  # latex2mathml raises many types; all mean "cannot read this formula"
        raise ValueError(f"cannot convert {latex!r}: {error}") from None
    unread = _UNREAD.search(mathml)
    if unread:
        raise ValueError(f"cannot convert {latex!r}: unknown command {unread.group(0)[1:-1]}")
    return mathml


def on_pre_build(config, **kwargs):
    broken = docrefs.broken_references()
    if broken:
        raise PluginError("docstring references to names that do not exist:\n  " + "\n  ".join(broken))


def on_page_markdown(markdown, page, config, files, **kwargs):
    try:
        generated = results.render_stub(markdown)  # docs/results/*.md: the whole page comes from the files
        return generated if generated is not None else results.fill(markdown)
    except results.MissingResult as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None


def _link_citations(content: str, page, directory_urls: bool) -> str:
    here = posixpath.dirname(page.url) if not directory_urls else page.url.rstrip("/")

    def link(m: re.Match) -> str:
        target = m.group(1) + ("/" if directory_urls else ".html")
        href = posixpath.relpath(target, here or ".") + ("/" if directory_urls else "")
        return f'<a href="{href}{m.group(2) or ""}">{m.group(0)}</a>'

    return _CITATION.sub(link, content)


def on_page_content(content, page, config, files, **kwargs):
    content = _ROLE.sub(lambda m: f"<code>{m.group(1)}</code>", content)
    if page.file.src_uri.startswith("reference/api/"):
        content = _link_citations(content, page, config.use_directory_urls)
        content = _DOCTEST.sub(lambda m: "<pre><code>" + "\n".join("&gt;&gt;&gt; " + line for line in m.group(1).split("\n"))
                               + "</code></pre>", content)
    try:
        content = _BLOCK.sub(lambda m: f'<div class="math">{to_mathml(m.group(1), "block")}</div>', content)
        return _INLINE.sub(lambda m: to_mathml(m.group(1), "inline"), content)
    except ValueError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
