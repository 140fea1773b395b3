"""bin/lint-migrations (in `make lint`): the zero-downtime rules of docs/operations.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.faults.conftest import ROOT, database_url_of_the_test_database

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def lint(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "bin/lint-migrations"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_every_migration_of_ours_passes_the_rules_or_is_listed_with_its_reason(
    require_postgres,
):
    done = lint({**os.environ, "DATABASE_URL": database_url_of_the_test_database()})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "Erroneous migrations: 0/" in done.stdout


def test_the_list_of_migrations_let_through_names_only_migrations_that_exist():
    source = (ROOT / "bin" / "lint-migrations").read_text()
    listed = re.findall(r'\("(\w+)", "(\d{4}\w*)"\)', source)
    assert len(listed) == 15
    for app, name in listed:
        assert (ROOT / app / "migrations" / f"{name}.py").exists(), (app, name)
