"""The CSV of tips forwarded for a case or an object: content, provenance, who may have it.

Personas (tests/conftest.py): ana the analyst; ines and sam own the case; olga owns none.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from moderation.exports import FORWARDED_TIPS_HEADER, cell
from moderation.forwarding import forward_record_outcome, tip_forward
from moderation.models import ForwardOutcome
from tests.conftest import staff_login
from tests.factories import TIP_TEXT, received

pytestmark = pytest.mark.django_db


EXPORT = reverse("admin:moderation_forward_export")
CONTACT = "tipster.private@example.org"


@pytest.fixture
def forwarded(public_object, analyst, investigator, second_investigator):
    tip = received(public_object, contact=CONTACT)
    forwards = tip_forward(
        tips=[tip], recipients=[investigator], by=analyst, summary='=HYPERLINK("x")'
    )
    tip_forward(tips=[tip], recipients=[second_investigator], by=analyst, summary="@SUM(A1) lead")
    forward_record_outcome(
        forward=forwards[0], by=investigator, outcome=ForwardOutcome.USEFUL, note=""
    )
    return tip


def rows_of(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_a_case_owner_exports_the_forwarded_tips_of_their_case(
    client, forwarded, public_object, case, second_investigator
):
    staff_login(client, second_investigator)

    response = client.get(EXPORT + f"?case={case.pk}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="forwarded-CASE-2026-017-{today}.csv"'
    )
    header, *rows = rows_of(response)
    assert header == FORWARDED_TIPS_HEADER
    assert len(rows) == 2
    by_recipient = {row[6]: row for row in rows}
    ines_row = by_recipient["ines"]
    assert ines_row[0] == str(forwarded.pk)
    assert ines_row[2] == public_object.code
    assert ines_row[3] == "forwarded"
    assert ines_row[5] == "ana"
    assert ines_row[8] and ines_row[9] == "useful" and ines_row[10]
    assert by_recipient["sam"][9] == ""


def test_the_export_neutralises_spreadsheet_formulas(client, forwarded, case, analyst):
    staff_login(client, analyst)

    rows = rows_of(client.get(EXPORT + f"?case={case.pk}"))[1:]

    summaries = sorted(row[7] for row in rows)
    assert summaries == ['\'=HYPERLINK("x")', "'@SUM(A1) lead"]
    assert [cell(value) for value in ("+1", "-2", "\tx", "ok", 5)] == [
        "'+1",
        "'-2",
        "'\tx",
        "ok",
        "5",
    ]


def test_a_formula_after_a_list_separator_is_neutralised_too():
    """Opened with ";" as the list separator, "a;=CMD()" is two cells, a formula second."""
    assert cell('Lidl;=HYPERLINK("x")') == 'Lidl;\'=HYPERLINK("x")'
    assert cell("a; @SUM(A1);b,+1") == "a; '@SUM(A1);b,'+1"
    assert cell("=1;-2") == "'=1;'-2"
    assert cell("Gdansk; Poland, 2026") == "Gdansk; Poland, 2026"


def test_the_export_holds_no_contact_details_and_no_tip_text(client, forwarded, case, investigator):
    staff_login(client, investigator)

    text = b"".join(client.get(EXPORT + f"?case={case.pk}").streaming_content).decode()

    assert CONTACT not in text
    assert forwarded.contact_encrypted not in text
    assert TIP_TEXT not in text


def test_an_object_export_is_named_after_the_object(client, forwarded, public_object, investigator):
    staff_login(client, investigator)

    response = client.get(EXPORT + f"?object={public_object.pk}")

    assert response.status_code == 200
    assert f"forwarded-{public_object.code}-" in response["Content-Disposition"]
    assert len(rows_of(response)) == 3


def test_the_export_is_audited_with_its_scope_and_row_count(client, forwarded, case, investigator):
    staff_login(client, investigator)

    b"".join(client.get(EXPORT + f"?case={case.pk}").streaming_content)

    entry = AuditEntry.objects.get(action="tips.exported")
    assert entry.username == "ines"
    assert (entry.target_type, entry.target_id) == ("objects.case", str(case.pk))
    assert entry.data == {"case": "CASE-2026-017", "rows": 2}


def test_an_investigator_of_another_case_cannot_export(
    client, forwarded, case, public_object, outsider_investigator
):
    staff_login(client, outsider_investigator)

    assert client.get(EXPORT + f"?case={case.pk}").status_code == 403
    assert client.get(EXPORT + f"?object={public_object.pk}").status_code == 403
    assert not AuditEntry.objects.filter(action="tips.exported").exists()


def test_an_unknown_case_or_a_missing_scope_is_not_found(client, forwarded, analyst):
    staff_login(client, analyst)

    assert client.get(EXPORT + "?case=999999").status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_the_public_cannot_export(client, forwarded, case):
    response = client.get(EXPORT + f"?case={case.pk}")

    assert response.status_code == 302
    assert "/login/" in response["Location"]
