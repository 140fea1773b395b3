"""Analysts' and investigators' text is cleaned as a tipster's is: no direction overrides
or other invisible characters in a forward's summary or an outcome note (tips' notes and
questions already went through the same cleaning field).

Personas (tests/conftest.py): the analyst ana; the investigator ines owns the case.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from moderation.forwarding import tip_forward
from moderation.models import Forward
from tests.conftest import staff_login
from tests.factories import received
from tests.moderation.test_forwarding import create_url

pytestmark = pytest.mark.django_db

OVERRIDE = "\u202e"


def test_a_forward_summary_is_stored_without_direction_overrides(
    client, public_object, analyst, investigator
):
    staff_login(client, analyst)

    response = client.post(
        create_url(received(public_object)),
        {"recipients": [investigator.pk], "summary": f"{OVERRIDE}abc\nSecond line\u2066"},
    )

    assert response.status_code == 302
    assert Forward.objects.get().summary == "abc\nSecond line"


def test_an_outcome_note_is_stored_without_direction_overrides(
    client, public_object, analyst, investigator
):
    [forward] = tip_forward(
        tips=[received(public_object)],
        recipients=[investigator],
        by=analyst,
        summary="Lidl, Poland.",
    )
    staff_login(client, investigator)

    response = client.post(
        reverse("admin:moderation_forward_outcome", args=[forward.pk]),
        {"outcome": "useful", "note": f"{OVERRIDE}abc"},
    )

    assert response.status_code == 302
    forward.refresh_from_db()
    assert forward.outcome_note == "abc"
