"""Reads of the audit log that must stay cheap at a million entries."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from audit.models import AuditEntry

# A loose index scan: each step jumps to the next action name on the action index, so the
# query costs one index probe per distinct action (a few dozen), not a pass over the log
# as SELECT DISTINCT does. Plain SQL that PostgreSQL and SQLite both run.
_DISTINCT_ACTIONS = """
    WITH RECURSIVE actions(action) AS (
        SELECT MIN(action) FROM {table}
        UNION ALL
        SELECT (SELECT MIN(action) FROM {table} WHERE action > actions.action)
        FROM actions WHERE actions.action IS NOT NULL
    )
    SELECT action FROM actions WHERE action IS NOT NULL
"""


def audit_actions() -> list[str]:
    """Every action name the log holds, in order."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_ACTIONS.format(table=table))
        return [action for (action,) in cursor.fetchall()]


def staff_usernames() -> list[str]:
    """Who may appear as acting in the log: the staff accounts (a short table), in order."""
    users = get_user_model().objects.filter(is_staff=True).order_by("username")
    return list(users.values_list("username", flat=True))
