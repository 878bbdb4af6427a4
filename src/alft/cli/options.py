"""A command's options made from settings fields (as TRL's ``HfArgumentParser`` makes argparse options from its
dataclasses): each field of an option group (:func:`alft.training.settings.option`) becomes one typer option of
the same name, with the field's flags, help, help panel and default."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer

from alft.training.option_fields import field_types, option_fields


def with_group_options(command: Callable[..., None], *groups: type) -> Callable[..., None]:
    """``command(…, **options)`` with one typer option per field of the groups, shown before its own (launch)
    options; typer calls it with every option's value by field name."""
    types = field_types(*groups)
    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.kind is not p.VAR_KEYWORD]
    made = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=Annotated[
            types[f.name], typer.Option(*f.metadata["flags"], help=f.metadata["help"], hidden=f.metadata["hidden"],
                                        rich_help_panel=f.metadata["panel"])])
        for group in groups for f in option_fields(group)
    ]
    context = [p for p in own if p.annotation is typer.Context]
    launch = [p.replace(kind=p.KEYWORD_ONLY) for p in own if p.annotation is not typer.Context]  # help shows them last
    parameters = [*context, *made, *launch]
    command.__signature__ = inspect.Signature(parameters)  # what typer reads (inspect.signature)
    command.__annotations__ = {p.name: p.annotation for p in parameters}  # and typing.get_type_hints
    return command


def field_option(group: type, name: str, help: str | None = None) -> Any:
    """One settings field as a typer option annotation, for a command that takes only some of them (``alft
    compare``, ``alft references``); ``help`` replaces the field's where the command uses it differently."""
    f = next(f for f in option_fields(group) if f.name == name)
    return Annotated[field_types(group)[name], typer.Option(*f.metadata["flags"], help=help or f.metadata["help"])]
