"""The ``alft`` command: one typer app, one module per command group.

Each command module exposes ``register(app)``; modules that need torch import it inside their
commands so that ``alft tables`` and ``alft bon`` start fast.
"""

import typer

from alft.cli import bon, bvpo, references, simulate, tables, train

app = typer.Typer(
    name="alft",
    help="Answer-Level Fine-Tuning: reward tables, alignment games, GRPO training and best-of-n analysis.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # inherited by every command
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"alft {version('alft')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print alft's version and exit."),
) -> None:
    """Answer-Level Fine-Tuning: reward tables, alignment games, GRPO training and best-of-n analysis."""

for module in (tables, simulate, train, references, bon, bvpo):
    module.register(app)


def main() -> None:
    app()
