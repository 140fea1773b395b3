"""Dependencies run one way: traceobject/ (settings, Celery, request helpers) imports no app;
each of our apps imports only the apps listed before it in INSTALLED_APPS (audit, outbox, network,
objects, tips, moderation, operations); no two of our modules import each other, however indirectly.
Imports inside functions count, and so do names in strings ("outbox.OutboxMessage",
"tips.claims.x", "admin:moderation_forward_create"): a dependency spelled as text is one.
Only the composition root may name anything: settings.py (the beat schedule included), the
root URLconf it names, and migrations."""

from __future__ import annotations

import ast
import re
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


# --- Names in strings -----------------------------------------------------------------------

COMPOSITION_ROOT = {f"{PROJECT}/settings.py", f"{PROJECT}/urls.py"}


def packages() -> list[str]:
    return [PROJECT, *our_apps()]


def named_in_string(text: str) -> set[str]:
    """The packages of ours a string names: a dotted name ("outbox.OutboxMessage",
    "objects.tasks.intake_object", "tips.view_tip") or an admin URL name
    ("admin:moderation_forward_change", "tips_tip_changelist")."""
    alternatives = "|".join(packages())
    dotted = re.compile(rf"(?<![\w./-])({alternatives})\.[A-Za-z_]\w*")
    url_name = re.compile(rf"^(?:admin:)?({alternatives})_[a-z0-9]+_[a-z0-9_]+$")
    found = {match.group(1) for match in dotted.finditer(text)}
    if match := url_name.match(text):
        found.add(match.group(1))
    return found


def strings_of(path: Path) -> list[str]:
    """Every string literal of a module but its docstrings (prose, not dependencies)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def string_graph() -> dict[str, set[str]]:
    """Module -> the packages its strings name, outside the composition root."""
    return {
        module_name(path): {name for text in strings_of(path) for name in named_in_string(text)}
        for path in source_files()
        if str(path.relative_to(ROOT)) not in COMPOSITION_ROOT
    }


def upward_names(graph: dict[str, set[str]], texts: dict[str, set[str]]) -> set[str]:
    rank = {app: position for position, app in enumerate(our_apps())}
    rank[PROJECT] = -1
    return {
        f"{module} names {text}"
        for module, named in graph.items()
        for target in named
        if target != package(module) and rank[target] >= rank[package(module)]
        for text in texts.get(module, set())
        if target in named_in_string(text)
    }


def upward_string_names() -> set[str]:
    graph = string_graph()
    texts = {
        module_name(path): set(strings_of(path))
        for path in source_files()
        if module_name(path) in graph
    }
    return upward_names(graph, texts)


def test_no_string_names_an_app_above_its_own():
    assert upward_string_names() == set()


def test_the_string_walk_sees_the_names_it_must_judge():
    graph = string_graph()
    assert "objects" in graph["objects.services"]  # "objects.tasks.intake_object"
    assert "tips" in graph["moderation.home"]  # "tips_tip_changelist", a URL name
    assert "traceobject.settings" not in graph  # the composition root names anything


def test_an_upward_name_in_a_string_would_be_caught():
    graph = {"traceobject.health": {"outbox"}, "audit.history": {"moderation"}}
    texts = {
        "traceobject.health": {"outbox.OutboxMessage"},
        "audit.history": {"admin:moderation_forward_changelist"},
    }
    assert upward_names(graph, texts) == {
        "traceobject.health names outbox.OutboxMessage",
        "audit.history names admin:moderation_forward_changelist",
    }


def test_prose_and_docstrings_name_nothing():
    assert named_in_string("Retire the selected objects. Tips.") == set()
    assert named_in_string("see tips/claims.py") == set()
    assert named_in_string("tips.claims.country_names") == {"tips"}


# --- Imports ---------------------------------------------------------------------------------


def test_our_apps_are_listed_lowest_first():
    assert our_apps() == [
        "audit",
        "outbox",
        "network",
        "objects",
        "tips",
        "moderation",
        "operations",
    ]


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
