"""Check every cross-reference in alft's docstrings (``:func:`name```, ``:class:``, ``:mod:``, …) names
something that exists. The API pages render these docstrings, so a reference to a renamed or deleted name
would otherwise reach the docs silently. Uses griffe (mkdocstrings' loader); imports nothing from alft.
"""

from __future__ import annotations

import re
from pathlib import Path

ROLE = re.compile(r":(func|class|mod|meth|data|attr|exc|obj):`~?\.?([\w.]+)`")
SRC = Path(__file__).resolve().parents[2] / "src"


def _exists(package, path: str) -> bool:
    parts = path.split(".")
    if parts[0] != package.name:
        return False
    obj = package
    for part in parts[1:]:
        try:
            obj = obj.members[part]
        except (KeyError, AttributeError):
            return False
        except Exception:  # an alias whose target cannot be loaded: it points outside alft, accept it
            return True
        if getattr(obj, "is_alias", False):
            try:
                obj = obj.final_target
            except Exception:
                return True  # re-exported from another package (e.g. a TRL class)
    return True


def _resolves(package, obj, name: str) -> bool:
    if name.startswith(package.name + "."):
        return _exists(package, name)
    first, _, rest = name.partition(".")
    scope = obj
    while scope is not None:
        if first in getattr(scope, "members", {}) or first in getattr(scope, "imports", {}):
            try:
                target = scope.resolve(first) if first not in scope.members else scope.members[first].path
            except Exception:
                return False
            if not target.startswith(package.name + "."):
                return True  # a name imported from another library: not ours to check
            return _exists(package, target + ("." + rest if rest else ""))
        scope = scope.parent
    return False


def _imported(obj, name: str) -> bool:
    """Fallbacks griffe cannot see: a name bound by tuple assignment in the module (``A, B = ...``), or a
    module outside alft (``fractions.Fraction``)."""
    import importlib
    import importlib.util

    module = obj if obj.is_module else obj.module
    first = name.split(".")[0]
    if first != "alft" and "." in name and importlib.util.find_spec(first) is not None:
        return True
    source = Path(module.filepath).read_text() if module.filepath else ""
    return bool(re.search(rf"^(\w+\s*,\s*)*{re.escape(first)}(\s*,\s*\w+)*\s*=", source, re.M))


def _walk(obj):
    yield obj
    for member in obj.members.values():
        if getattr(member, "is_alias", False):
            continue
        yield from _walk(member)


def broken_references(src: Path = SRC, package_name: str = "alft") -> list[str]:
    """``"alft.x.y: :func:`name`"`` for each docstring reference that names nothing."""
    import griffe

    package = griffe.load(package_name, search_paths=[str(src)], allow_inspection=False)
    broken = []
    for obj in _walk(package):
        if obj.docstring is None:
            continue
        for role, name in ROLE.findall(obj.docstring.value):
            context = obj if obj.is_class or obj.is_module else obj.parent
            if not (_resolves(package, obj, name) or _resolves(package, context, name) or _imported(obj, name)):
                broken.append(f"{obj.path}: :{role}:`{name}`")
    return broken


if __name__ == "__main__":
    for line in broken_references():
        print(line)
