"""The architecture, checked: the mathematics imports no deep-learning stack, and no module imports itself
back through others (STYLE: layers, each importing only from below)."""

import ast
import re
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
HEAVY = ("torch", "transformers", "trl")


@pytest.mark.parametrize("package", ["alft.estimators", "alft.games", "alft.bon", "alft.answers", "alft.task",
                                     "alft.task.shipped", "alft.task.base_policies", "alft.task.arithmetic"])
def test_the_mathematics_loads_no_deep_learning_stack(package):
    code = f"import sys, json, {package}; print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == [], f"{package} loads {loaded}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """alft modules imported anywhere in the file (lazily inside functions too), outside TYPE_CHECKING."""
    tree = ast.parse(path.read_text())
    skipped = {id(n) for block in ast.walk(tree) if _type_checking_only(block) for n in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                      for alias in node.names}
    return {name for name in found if name in modules}


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    return {name: _imports(path, set(files)) - {name} for name, path in files.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_among_alft_modules():
    graph = _graph()
    assert len(graph) > 50  # the walk found the package
    assert _cycle(graph) is None, " → ".join(_cycle(graph))


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


# The layers of the README's table, lowest first; a module belongs to the longest prefix listed. Shared helpers
# (errors, paths) sit below everything; alft.bvpo's base policy, task and comparison code train, like its trainer.
LAYERS = [
    ("foundation", ["alft.errors", "alft.paths", "alft"]),
    ("mathematics", ["alft.estimators", "alft.bon", "alft.answers", "alft.games", "alft.bvpo"]),
    ("task", ["alft.task"]),
    ("integrations", ["alft.integrations"]),
    ("training", ["alft.training", "alft.bvpo.trainer", "alft.bvpo.base", "alft.bvpo.task", "alft.bvpo.compare"]),
    ("command line", ["alft.cli"]),
]


def _layer(module: str) -> int:
    matches = [(len(prefix), i) for i, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes
               if module == prefix or module.startswith(prefix + ".")]
    return max(matches)[1]


def test_every_import_goes_to_the_same_layer_or_one_below():
    upward = sorted(f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]})"
                    for a, targets in _graph().items() for b in targets if _layer(b) > _layer(a))
    assert upward == []


def test_the_readme_layer_table_is_the_code_s():
    readme = (SRC.parent / "README.md").read_text()
    table = readme[readme.index("| layer | packages | imports |"):]
    rows = [line.split("|")[1:3] for line in table.splitlines()[2:] if line.startswith("|")]
    assert [name.strip() for name, _ in rows] == [name for name, _ in LAYERS[1:]]
    for i, (_, packages) in enumerate(rows, start=1):
        for named in re.findall(r"`(alft(?:\.\w+)+)`", packages):
            assert _layer(named) == i, f"the README puts {named} in {LAYERS[i][0]}, the code in {LAYERS[_layer(named)][0]}"


# The command line and the training job read top to bottom: short files, short functions (issue 22).
MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 50


def _long_parts(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > MAX_FILE_LINES:
            found.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.name}:{node.lineno} {node.name}: {length} lines")
    return found


@pytest.mark.parametrize("layer", ["cli", "training"])
def test_cli_and_training_have_no_long_file_or_function(layer):
    assert _long_parts(SRC / "alft" / layer) == []


def test_the_length_check_finds_a_long_function(tmp_path):
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (tmp_path / "long.py").write_text(f"def long():\n{body}")
    assert _long_parts(tmp_path) == [f"long.py:1 long: {MAX_FUNCTION_LINES + 1} lines"]
