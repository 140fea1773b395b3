"""A tip about an object can say "a child is in danger now": it is then urgent, as a report
that says so is (the top of the queue, the alert, the guidance on the receipt), and a tip on
a partner's object arrives urgent at its owner (issue #21: "a tip or urgent report")."""

import re

import pytest

from outbox.models import OutboxMessage
from tests.tips.conftest import tip_data
from tips.models import RelayKind, Tip, TipKind, TipRelay

pytestmark = pytest.mark.django_db


def test_the_tip_form_offers_the_box_with_the_emergency_numbers_beside_it(
    client, settings, public_object
):
    settings.EMERGENCY_CONTACTS = [("Politie", "112"), ("Kindertelefoon", "0800-0432")]
    html = client.get(f"/pl/objects/{public_object.code}/tip/").content.decode()
    box = html.index('name="danger_now"')
    # After what the tipster recognises and before their contact details, with the numbers.
    assert html.index('name="links"') < box < html.index('name="contact"')
    numbers = html[box : html.index('name="contact"')]
    assert "Dziecku grozi teraz niebezpieczeństwo" in html[box - 800 : box + 800]
    assert "nie czekaj" in numbers.lower() or "zadzwoń" in numbers.lower()
    assert 'href="tel:112"' in numbers and 'href="tel:08000432"' in numbers


def test_a_tip_with_a_child_in_danger_now_is_urgent_alerted_and_answered_with_guidance(
    client, settings, public_object, django_capture_on_commit_callbacks
):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/en/objects/{public_object.code}/tip/",
            tip_data(
                danger_now="on", body="This is my neighbour's bathroom; the girl is there now."
            ),
            REMOTE_ADDR="198.51.100.23",
            follow=True,
        )
    html = response.content.decode()
    assert re.search(r'id="receipt-code">[\d ]+<', html)
    assert "If a child is in danger now" in html and "<strong>112</strong>" in html
    tip = Tip.objects.get()
    assert (tip.kind, tip.traced_object, tip.urgent) == (TipKind.OBJECT, public_object, True)
    assert OutboxMessage.objects.get(task="tips.tasks.alert_urgent_report").sent_at is not None
    tip.refresh_from_db()
    assert tip.urgent_alert_sent_at is not None


def test_a_tip_without_the_box_stays_an_ordinary_tip(client, public_object):
    client.post(f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="198.51.100.23")
    assert not Tip.objects.get().urgent
    assert not OutboxMessage.objects.filter(task="tips.tasks.alert_urgent_report").exists()


@pytest.mark.usefixtures("require_postgres")
def test_an_urgent_tip_on_a_partner_object_arrives_urgent_at_its_owner(
    client, pair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            f"/en/objects/{pair.mirror.code}/tip/",
            tip_data(danger_now="on", body="The child in this room lives above the kite shop."),
            REMOTE_ADDR="192.0.2.1",
        )
    here = Tip.objects.get(source_partner__isnull=True)
    assert here.urgent
    # Delivered at once (the owner is up): its payload is gone, the tip is at the owner.
    assert TipRelay.objects.get(tip=here, kind=RelayKind.TIP).state == "delivered"
    there = Tip.objects.get(source_partner=pair.b_at_a)
    assert there.urgent and there.traced_object == pair.ours
