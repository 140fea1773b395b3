"""Staff roles are Django groups with permissions, created by migrations.

Investigator: objects/migrations/0002_investigator_group.py. The demo administrator is a
superuser until the back-office work gives administrators a group of their own.
"""

ROLE_GROUPS = {"investigator": "Investigator"}
