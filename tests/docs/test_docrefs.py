"""Docstring cross-references (:func:`…`, :class:`…`) name things that exist; a broken one is named."""

import textwrap

import pytest

pytest.importorskip("griffe")  # installed with the docs extra

import docrefs  # noqa: E402


def test_alft_docstrings_reference_only_existing_names():
    assert docrefs.broken_references() == []


def test_a_reference_to_a_missing_name_is_reported(tmp_path):
    package = tmp_path / "pkgx"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent('''
        """See :func:`pkgx.core.solve` and :class:`Table`."""
        from pkgx.core import Table
    '''))
    (package / "core.py").write_text(textwrap.dedent('''
        class Table:
            """A table; :meth:`Table.rewards` and :func:`solve_old` (renamed)."""

            def rewards(self):
                """Rewards."""
    '''))
    assert docrefs.broken_references(tmp_path, "pkgx") == [
        "pkgx: :func:`pkgx.core.solve`",
        "pkgx.core.Table: :func:`solve_old`",
    ]
