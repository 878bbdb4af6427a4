"""The CLI's one way to report bad input: a single ``error:`` line on stderr and exit code 2, before any work."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from alft.errors import AlftInputError, AlftNumericalError

stderr = Console(stderr=True)


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """The one way a command reports bad input: alft's typed errors raised inside the block print
    ``error: <message>`` on stderr and exit with code 2 (no traceback)."""
    try:
        yield
    except (AlftInputError, AlftNumericalError) as error:
        stderr.print(f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def estimator_with_params(estimator: str, param: list[str] | None, option: str = "--estimator") -> str:
    """The estimator spec with the deprecated ``--param NAME=VALUE`` pairs folded in, saying what replaced them."""
    if not param:
        return estimator
    spec = ":".join([estimator, *param])
    stderr.print(f"note: --param is deprecated; write {option} {spec}", highlight=False, soft_wrap=True)
    return spec
