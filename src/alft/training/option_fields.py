"""Settings fields a user sets, and what is read off them: each carries its CLI flags, help text and help panel
(:func:`option`); ``alft train``'s options, its ``--config`` keys and messages naming a flag are all made from them
(:mod:`alft.training.settings` declares the fields, :mod:`alft.cli.options` makes the typer options)."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import field
from typing import Any


def option(default: Any, *flags: str, help: str, panel: str, hidden: bool = False) -> Any:
    """A dataclass field a user sets: its CLI flags (the first is the one messages name), help and help panel."""
    return field(default=default, metadata={"flags": flags, "help": help, "panel": panel, "hidden": hidden})


def option_fields(group: type) -> list[dataclasses.Field]:
    """The fields of a settings group that are options (flag and help), in order."""
    return [f for f in dataclasses.fields(group) if "flags" in f.metadata]


def field_types(*groups: type) -> dict[str, Any]:
    """The Python type of every option field of the groups, by name."""
    out: dict[str, Any] = {}
    for group in groups:
        hints = typing.get_type_hints(group)
        out.update({f.name: hints[f.name] for f in option_fields(group)})
    return out


def flag_aliases(*groups: type) -> dict[str, str]:
    """Option names that differ from their field's (``lr`` → ``learning_rate``), for config-file keys."""
    out = {}
    for group in groups:
        for f in option_fields(group):
            names = {flag.split("/")[0][2:].replace("-", "_") for flag in f.metadata["flags"] if flag.startswith("--")}
            out.update({name: f.name for name in names - {f.name}})
    return out


def flag(group: type, name: str) -> str:
    """The flag a user types for a field: ``flag(TrainSettings, "learning_rate") == "--lr"``."""
    first = next(f for f in dataclasses.fields(group) if f.name == name).metadata["flags"][0]
    return first.split("/")[0]
