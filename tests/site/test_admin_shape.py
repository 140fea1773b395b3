"""The back office's admin modules stay what the admin framework asks for: every ModelAdmin
of ours writes the audit log only (Django's admin log stays empty, History reads ours), no
admin module imports another, and none grows past the sizes issue #17 set."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.test import RequestFactory

from audit.history import AuditHistory
from tests.site.test_layers import PROJECT, ROOT, import_graph, our_apps

MAX_ADMIN_CLASS_LINES = 200
MAX_MODULE_LINES = 500


def our_model_admins() -> list[admin.ModelAdmin]:
    return [
        model_admin
        for model_admin in admin.site._registry.values()
        if type(model_admin).__module__.split(".")[0] in our_apps()
    ]


def test_every_model_admin_of_ours_reads_and_writes_the_audit_log_only():
    assert len(our_model_admins()) >= 9  # cases, objects, tips, forwards, users, groups, …
    for model_admin in our_model_admins():
        assert isinstance(model_admin, AuditHistory), type(model_admin).__name__


@pytest.mark.django_db
def test_the_admin_log_methods_write_nothing(superuser):
    request = RequestFactory().post("/")
    request.user = superuser
    for model_admin in our_model_admins():
        model_admin.log_addition(request, superuser, [{"added": {}}])
        model_admin.log_change(request, superuser, "changed")
        model_admin.log_deletions(request, type(superuser).objects.filter(pk=superuser.pk))
    assert not LogEntry.objects.exists()


def test_no_admin_module_imports_another_admin_module():
    graph = import_graph()
    assert {
        f"{module} imports {imported}"
        for module, imports in graph.items()
        if module.endswith(".admin")
        for imported in imports
        if imported.endswith(".admin")
    } == set()


def sized_sources() -> list[Path]:
    """Our modules but settings, migrations and management commands (tests, bench are not
    in these packages)."""
    return [
        path
        for package in [PROJECT, *our_apps()]
        for path in sorted((ROOT / package).rglob("*.py"))
        if not {"migrations", "management"} & set(path.parts)
        and path != ROOT / PROJECT / "settings.py"
    ]


def test_no_module_and_no_admin_class_is_larger_than_the_limit():
    oversized = set()
    for path in sized_sources():
        name = str(path.relative_to(ROOT))
        text = path.read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            oversized.add(name)
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.ClassDef)
                and node.name.endswith("Admin")
                and node.end_lineno - node.lineno + 1 > MAX_ADMIN_CLASS_LINES
            ):
                oversized.add(f"{name} {node.name}")
    assert oversized == set()
