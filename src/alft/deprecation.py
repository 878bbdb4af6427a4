"""Old public names that still work: each use warns with a DeprecationWarning naming the replacement.

A module keeps its old names with :func:`renamed_attributes` (its ``__getattr__``: the warning comes once, where
the old name is read); a function keeps a renamed keyword argument with :func:`renamed_keywords`.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from alft.errors import AlftInputError


def warn_renamed(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` was renamed ``new`` (stacklevel 3: the caller of the function that calls this)."""
    warnings.warn(f"{old} is deprecated: use {new}", DeprecationWarning, stacklevel=stacklevel)


def renamed_attributes(module: str, renamed: Mapping[str, tuple[str, Callable[[], Any]]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` (PEP 562) serving old names.

    Args:
        module: the module's public path, e.g. ``alft.answers``.
        renamed: old name → (the replacement as users should write it, a function returning its value; a function,
            so that the value may live in a module imported only when the old name is read).
    """

    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, value = renamed[name]
        warn_renamed(f"{module}.{name}", new)
        return value()

    return __getattr__


def renamed_keywords(**old_to_new: str) -> Callable[[Callable], Callable]:
    """A decorator: keyword arguments renamed in a public signature, still accepted under their old names.

    ``@renamed_keywords(references="gold_answers")`` passes ``references=x`` on as ``gold_answers=x`` and warns;
    both at once are refused.
    """

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def accepting_old_keywords(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    if new in kwargs:
                        raise AlftInputError(f"{old}: given with {new}, expected only {new} ({old} is its old name)")
                    warn_renamed(f"{function.__qualname__}({old}=...)", f"{new}=...")
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return accepting_old_keywords

    return decorate
