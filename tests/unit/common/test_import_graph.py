"""No import cycle anywhere in the `taskwire` namespace: a module that two others import in a
circle works only in the order the interpreter happens to load them, and tells a reader that
neither is the lower layer.

Read from the sources, nothing imported: every import statement counts, those under
`if TYPE_CHECKING:` and inside functions too, since each says which module depends on which.
"""

from __future__ import annotations

import ast
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import taskwire

Graph = dict[str, set[str]]


def sources(paths: list[str], prefix: str) -> Iterator[tuple[str, Path, bool]]:
    """(module, its file, whether it is a package) for every module under `paths`."""
    for info in pkgutil.iter_modules(paths, prefix):
        folder = Path(getattr(info.module_finder, "path", ""))
        short = info.name.rsplit(".", 1)[-1]
        if info.ispkg:
            init = folder / short / "__init__.py"
            if init.exists():
                yield info.name, init, True
            yield from sources([str(folder / short)], f"{info.name}.")
        else:
            yield info.name, folder / f"{short}.py", False


def imported(module: str, path: Path, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that `module` imports (a name from a package counts as its
    submodule when there is one, else as the package)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return (found & known) - {module}


def import_graph() -> Graph:
    modules = list(sources(list(taskwire.__path__), "taskwire."))
    known = {name for name, _, _ in modules}
    return {name: imported(name, path, pkg, known) for name, path, pkg in modules}


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_covers_every_package() -> None:
    graph = import_graph()
    for module in ("common.outbox", "projects.app", "tasks.app", "aggregator.app", "notifier.cli"):
        assert f"taskwire.{module}" in graph
    assert "taskwire.aggregator.domain" in graph["taskwire.aggregator.metrics"]
    assert "taskwire.common.events.envelope" in graph["taskwire.common.events"]


def test_no_module_imports_itself_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def test_a_circle_is_found() -> None:
    graph: Graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
