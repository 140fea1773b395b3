"""The audit log: append-only in the model, in PostgreSQL and in the admin, with an export.

Personas (tests/conftest.py): the administrator ("adam") reads and exports the log; the
superuser ("root"), where the point is that even a superuser cannot change it.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection, transaction
from django.urls import reverse

from audit.admin import AuditEntryAdmin
from audit.models import AuditEntry
from audit.services import log_action
from tests.conftest import staff_login
from tests.factories import grant
from traceobject.pagination import CappedPaginator

pytestmark = pytest.mark.django_db


CHANGELIST = reverse("admin:audit_auditentry_changelist")
EXPORT = reverse("admin:audit_auditentry_export")


@pytest.fixture
def entries(superuser):
    return [
        log_action("tip.viewed", user=superuser, target=superuser, data={"note": "=1+1"}),
        log_action("object.published", user=superuser, target=superuser),
        log_action("auth.login", user=superuser, data={"password": "hunter2-secret"}),
    ]


def csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_an_entry_cannot_be_changed_or_deleted_through_the_model(entries):
    entry = entries[0]
    entry.action = "tip.nothing_happened"

    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()

    assert AuditEntry.objects.get(pk=entry.pk).action == "tip.viewed"


def test_the_database_refuses_to_change_or_delete_an_entry(entries):
    """On PostgreSQL a trigger refuses raw SQL too; elsewhere the model is the guard."""
    entry = entries[0]
    if connection.vendor == "postgresql":
        for statement in (
            "UPDATE audit_auditentry SET action = 'tip.nothing' WHERE id = %s",
            "DELETE FROM audit_auditentry WHERE id = %s",
        ):
            with (
                pytest.raises(Exception, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [entry.pk])
    else:
        with pytest.raises(PermissionError):
            AuditEntry.objects.get(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "tip.viewed"


def test_the_admin_offers_no_add_change_or_delete_even_to_a_superuser(client, superuser, entries):
    staff_login(client, superuser)
    entry = entries[0]
    change = reverse("admin:audit_auditentry_change", args=[entry.pk])

    page = client.get(change)

    assert page.status_code == 200  # read-only view
    content = page.content.decode()
    assert 'name="_save"' not in content
    assert reverse("admin:audit_auditentry_delete", args=[entry.pk]) not in content
    assert client.post(change, {"action": "tip.nothing"}).status_code == 403
    deleted = client.post(
        reverse("admin:audit_auditentry_delete", args=[entry.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 403
    assert client.get(reverse("admin:audit_auditentry_add")).status_code == 403
    listed = client.get(CHANGELIST)
    assert "delete_selected" not in listed.content.decode()
    assert AuditEntry.objects.filter(pk=entry.pk, action="tip.viewed").exists()


def test_the_list_filters_by_action_namespace(client, administrator, entries):
    staff_login(client, administrator)

    response = client.get(CHANGELIST + "?namespace=object")

    assert response.status_code == 200
    actions = {entry.action for entry in response.context["cl"].result_list}
    assert actions == {"object.published"}
    assert "tip.*" in response.content.decode()


def test_the_list_searches_by_target_id(client, administrator, analyst, entries):
    other = log_action("tip.viewed", user=administrator, target=analyst)
    staff_login(client, administrator)

    response = client.get(CHANGELIST + f"?q={analyst.pk}")

    found = list(response.context["cl"].result_list)
    # The analyst's account itself is also a target: the audit of her role group.
    assert other in found
    assert {entry.target_id for entry in found} == {str(analyst.pk)}


def test_the_export_streams_the_filtered_log_and_is_audited(client, administrator, entries):
    staff_login(client, administrator)
    assert EXPORT in client.get(CHANGELIST).content.decode()

    response = client.get(EXPORT + "?namespace=tip")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][:3] == ["at", "action", "username"]
    assert [row[1] for row in rows[1:]] == ["tip.viewed"]
    assert rows[1][6] == '{"note": "=1+1"}'
    exported = AuditEntry.objects.get(action="audit.exported")
    assert exported.username == "adam"
    assert exported.data["rows"] == 1


def test_secrets_never_reach_the_log_or_its_export(client, administrator, entries):
    staff_login(client, administrator)

    text = b"".join(client.get(EXPORT).streaming_content).decode()

    assert "hunter2" not in text


def test_the_export_needs_its_own_permission(client, analyst, entries):
    # No role may view the log without exporting it: granted by hand to test the split.
    viewer = grant(analyst, ("audit", "view_auditentry"))
    staff_login(client, viewer)

    assert EXPORT not in client.get(CHANGELIST).content.decode()
    assert client.get(EXPORT).status_code == 403
    assert not AuditEntry.objects.filter(action="audit.exported").exists()


# The session (read, and saved in a savepoint: 4), the user, the second factor, the user's
# and group's permissions, the namespaces (one loose index scan), the staff for the username
# filter, the capped count and the page: at any size of the log.
CHANGELIST_QUERIES = 12


def test_the_list_costs_the_same_queries_whatever_its_size(
    client, administrator, entries, django_assert_num_queries, urgent_banner_known
):
    staff_login(client, administrator)
    for view in ("", "?namespace=tip", "?q=adam", "?username=adam", "?p=2", "?o=2"):
        with django_assert_num_queries(CHANGELIST_QUERIES):
            client.get(CHANGELIST + view)


def test_the_list_is_newest_first_whatever_the_url_asks(client, administrator, entries):
    staff_login(client, administrator)

    listed = list(client.get(CHANGELIST + "?o=2").context["cl"].result_list)

    assert listed == list(AuditEntry.objects.order_by("-at", "-id"))


def test_the_list_searches_by_username(client, administrator, analyst, entries):
    log_action("tip.viewed", user=analyst, target=administrator)
    staff_login(client, administrator)

    response = client.get(CHANGELIST + f"?q={analyst.username}")

    found = list(response.context["cl"].result_list)
    assert found and {entry.username for entry in found} == {analyst.username}


def test_the_last_page_of_a_capped_list_shows_the_oldest_entries(
    client, administrator, monkeypatch
):
    """Past the cap the list says "more than", and its last page is the log's first entries
    (not the ones just past the cap), oldest last as on every page."""
    monkeypatch.setattr(CappedPaginator, "cap", 4)
    monkeypatch.setattr(AuditEntryAdmin, "list_per_page", 2)
    logged = [log_action(f"tip.step_{n}", data={"n": n}) for n in range(9)]
    staff_login(client, administrator)

    first = client.get(CHANGELIST + "?namespace=tip")  # not the administrator's own entries
    # 4 counted + 1 past the cap: pages 1 and 2 are the newest four, page 3 the oldest two.
    assert list(first.context["cl"].result_list) == [logged[8], logged[7]]
    html = first.content.decode()
    assert "More than 4 entries" in html and "The last page shows the end of the list." in html
    assert 'href="?namespace=tip&amp;p=3"' in html and "…" in html

    last = client.get(CHANGELIST + "?namespace=tip&p=3")

    assert list(last.context["cl"].result_list) == [logged[1], logged[0]]
