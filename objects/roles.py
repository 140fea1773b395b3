"""The Investigator role's name and its permissions on this app's models.

The group is kept in step with this list on every migrate by moderation/roles.py, together
with the other roles (its handler runs once every app's permissions exist).
"""

from __future__ import annotations

INVESTIGATOR = "Investigator"
INVESTIGATOR_PERMISSIONS = {
    "case": ["add", "change", "view"],
    "tracedobject": ["add", "change", "view", "publish", "identify", "retire"],
    "resemblance": ["view"],
}
