"""Placeholder: replaced by the module that implements this command group."""

import typer


def register(app: typer.Typer) -> None:
    pass
