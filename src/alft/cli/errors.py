"""The CLI's one way to report bad input: a single ``error:`` line on stderr and exit code 2, before any work."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from alft.errors import AlftInputError, AlftNumericalError

stderr = Console(stderr=True)


def fail(error: Exception) -> typer.Exit:
    """Print ``error: <message>`` to stderr and return the ``typer.Exit(2)`` to raise."""
    stderr.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Turn alft's typed errors raised inside the block into :func:`fail`."""
    try:
        yield
    except (AlftInputError, AlftNumericalError) as error:
        raise fail(error) from None


def estimator_with_params(estimator: str, param: list[str] | None, option: str = "--estimator") -> str:
    """The estimator spec with the deprecated ``--param NAME=VALUE`` pairs folded in, saying what replaced them."""
    if not param:
        return estimator
    spec = ":".join([estimator, *param])
    stderr.print(f"note: --param is deprecated; write {option} {spec}", highlight=False, soft_wrap=True)
    return spec
