"""The Partner and Refusal pages of the back office, for administrators only."""

import pytest

from network import keys
from network.models import Partner, Refusal
from tests.conftest import staff_login
from tests.network.test_partners import served  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_an_administrator_adds_a_partner_through_the_form(client, administrator, served):  # noqa: F811
    staff_login(client, administrator)
    response = client.post(
        "/backoffice/network/partner/add/",
        {
            "origin": served.origin,
            "fingerprint": keys.fingerprint(served.signing_public),
            "name": "B",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    partner = Partner.objects.get()
    assert (partner.name, partner.origin) == ("B", served.origin)


def test_a_wrong_fingerprint_shows_the_refusal_on_the_form(client, administrator, served):  # noqa: F811
    staff_login(client, administrator)
    response = client.post(
        "/backoffice/network/partner/add/", {"origin": served.origin, "fingerprint": "0" * 64}
    )
    assert response.status_code == 200
    assert b"fingerprint_mismatch" in response.content
    assert not Partner.objects.exists()


def test_the_list_escapes_markup_in_a_partners_name_and_shows_its_state(
    client, administrator, remote
):
    remote.partner_row(name="<script>alert(1)</script>", failures=3)
    staff_login(client, administrator)
    page = client.get("/backoffice/network/partner/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "active" in page


def test_the_remove_action_cuts_the_partner_off(client, administrator, remote):
    partner = remote.partner_row()
    staff_login(client, administrator)
    client.post(
        "/backoffice/network/partner/",
        {"action": "remove", "_selected_action": [partner.pk]},
    )
    partner.refresh_from_db()
    assert not partner.active


def test_refusals_are_read_only_and_escaped(client, administrator):
    Refusal.objects.create(origin="https://<b>x</b>.test", reason="unknown_sender")
    staff_login(client, administrator)
    page = client.get("/backoffice/network/refusal/").content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert client.get("/backoffice/network/refusal/add/").status_code == 403


@pytest.mark.parametrize("persona", ["analyst", "investigator"])
def test_analysts_and_investigators_see_no_partners(client, persona, request):
    staff_login(client, request.getfixturevalue(persona))
    assert client.get("/backoffice/network/partner/").status_code == 403
    assert client.get("/backoffice/network/partner/add/").status_code == 403
