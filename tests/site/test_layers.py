"""Dependencies run one way: traceobject/ (settings, Celery, request helpers) imports no app;
each of our apps imports only the apps listed before it in INSTALLED_APPS (audit, outbox,
objects, tips, moderation, operations); and no two of our modules import each other, however
indirectly. Imports inside functions count too: deferring an import hides a cycle from
Python, not from the design."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "traceobject"


def our_apps() -> list[str]:
    """Our apps, lowest first, as INSTALLED_APPS lists them."""
    return [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_files() -> list[Path]:
    return [
        path
        for package in [PROJECT, *our_apps()]
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from tips import triage` imports the module tips.triage.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in source_files()}
    return {
        name: {imported for imported in imported_modules(path) if imported in modules} - {name}
        for name, path in modules.items()
    }


def package(module: str) -> str:
    return module.split(".")[0]


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    rank = {app: position for position, app in enumerate(our_apps())}
    rank[PROJECT] = -1  # below every app: it may import none of them
    return sorted(
        f"{module} imports {imported}"
        for module, imports in graph.items()
        for imported in imports
        if package(imported) != package(module) and rank[package(imported)] >= rank[package(module)]
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_our_apps_are_listed_lowest_first():
    assert our_apps() == ["audit", "outbox", "objects", "tips", "moderation", "operations"]


def test_the_walk_sees_the_imports_it_must_judge():
    graph = import_graph()
    assert "tips.models" in graph["tips.services"]
    assert "audit.services" in graph["objects.services"]
    assert "tips.triage" in graph["moderation.forwarding"]  # `from tips import triage`


def test_no_module_imports_an_app_above_its_own():
    assert upward_imports(import_graph()) == []


def test_an_upward_import_would_be_caught():
    graph = import_graph()
    graph["objects.services"] = graph["objects.services"] | {"moderation.models"}
    graph["traceobject.celery"] = graph["traceobject.celery"] | {"audit.services"}

    assert upward_imports(graph) == [
        "objects.services imports moderation.models",
        "traceobject.celery imports audit.services",
    ]


def test_traceobject_imports_no_app():
    graph = import_graph()
    assert {
        imported
        for module, imports in graph.items()
        if package(module) == PROJECT
        for imported in imports
        if package(imported) != PROJECT
    } == set()


def test_no_two_modules_import_each_other_even_indirectly():
    assert cycles(import_graph()) == []


def test_a_cycle_would_be_caught():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
