"""``alft train --config FILE``: a YAML file of options, read and checked against the settings' own fields.

Keys are the option names (``num_generations: 8``, ``lr: 1e-6``; dashes or underscores), values of the option's
type. The values become the defaults of the command's options (flags given on the command line win), so flags and
the file go through one parser and land in the same settings fields (:mod:`alft.training.settings`).
"""

from __future__ import annotations

import contextlib
import difflib
import typing
from pathlib import Path
from typing import Any, Literal

from alft.errors import AlftInputError, require


def read_config_file(path: Path, types: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """The options of a YAML config file by field name, each checked against its type.

    Args:
        path: the YAML file.
        types: the Python type of each option, by field name (``int | None``, ``Literal[...]``, ``list[str] | None``…).
        aliases: other accepted keys by the field they set (``lr`` → ``learning_rate``).

    Raises:
        AlftInputError: an unreadable file, a key that is no option, or a value of the wrong type (naming it).
    """
    import yaml

    try:
        values = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        raise AlftInputError(f"--config: could not read {str(path)!r} as YAML ({error})") from None
    values = {} if values is None else values
    require(isinstance(values, dict), "--config", str(path), "a YAML mapping of option names to values")
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = str(key).replace("-", "_")
        name = aliases.get(name, name)
        if name not in types:
            close = difflib.get_close_matches(name, [*types, *aliases], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else " (see alft train --help)"
            raise AlftInputError(f"--config: key {key!r} in {str(path)!r} is not an option of this command{hint}")
        out[name] = _checked_value(types[name], value, f"--config: key {key!r} in {str(path)!r}")
    return out


def _checked_value(kind: Any, value: Any, where: str) -> Any:
    """The value if it has the option's type (YAML gives ints, floats, bools, strings and lists)."""
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if value is None and type(None) in typing.get_args(kind):
        return None
    if typing.get_origin(kind) is not Literal and len(args) == 1 and typing.get_origin(kind) is not list:
        kind = args[0]  # X | None → X
    if typing.get_origin(kind) is list:
        value = [value] if isinstance(value, str) else value
        ok, expected = isinstance(value, list) and all(isinstance(v, str) for v in value), "a list of text"
    elif kind is bool:
        ok, expected = isinstance(value, bool), "true or false"
    elif kind is int:
        ok, expected = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif kind is float:
        value = _yaml_float(value)
        ok, expected = isinstance(value, (int, float)) and not isinstance(value, bool), "a number"
    elif typing.get_origin(kind) is Literal:
        ok, expected = value in typing.get_args(kind), f"one of {list(typing.get_args(kind))}"
    else:
        ok, expected = isinstance(value, str), "text"
    if not ok:
        raise AlftInputError(f"{where}: got {value!r} ({type(value).__name__}), expected {expected}")
    return value


def _yaml_float(value: Any) -> Any:
    """PyYAML reads ``1e-6`` (no dot) as text (YAML 1.1): a number written that way is still a number."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return float(value)
    return value
