"""The ``alft`` command: one typer app, one module per command group.

Each command module exposes ``register(app)``; modules that need torch import it inside their
commands so that ``alft tables`` and ``alft bon`` start fast.
"""

import typer

from alft.cli import bon, simulate, tables, train

app = typer.Typer(
    name="alft",
    help="Answer-Level Fine-Tuning: reward tables, alignment games, GRPO training and best-of-n analysis.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

for module in (tables, simulate, train, bon):
    module.register(app)


def main() -> None:
    app()
