"""Reports about something else, with immediate guidance when a child is in danger now."""

import pytest

from outbox.models import OutboxMessage
from tests.tips.conftest import tip_data
from tips.models import Tip, TipKind

pytestmark = pytest.mark.django_db


def test_the_report_page_shows_the_emergency_numbers_from_settings(client, settings):
    settings.EMERGENCY_CONTACTS = [("Politie", "112"), ("Kindertelefoon", "0800-0432")]
    response = client.get("/en/report/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "If a child is in danger now" in html
    assert 'href="tel:08000432"><strong>0800-0432</strong></a> – Kindertelefoon' in html
    assert 'name="danger_now"' in html


def test_a_report_is_stored_without_an_object(client):
    response = client.post(
        "/en/report/", tip_data(body="I saw this wallpaper in a hotel in Porto."), follow=True
    )
    assert 'id="receipt-code"' in response.content.decode()
    tip = Tip.objects.get()
    assert tip.kind == TipKind.REPORT and tip.traced_object is None and not tip.urgent
    assert not OutboxMessage.objects.exists()


def test_a_child_in_danger_now_marks_it_urgent_and_shows_guidance_at_once(
    client, settings, django_capture_on_commit_callbacks
):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/en/report/",
            tip_data(danger_now="on", body="Someone is hurting a child next door now."),
            follow=True,
        )
    html = response.content.decode()
    assert "If a child is in danger now" in html and "<strong>112</strong>" in html
    tip = Tip.objects.get()
    assert tip.urgent
    message = OutboxMessage.objects.get()
    assert message.task == "tips.tasks.alert_urgent_report" and message.sent_at is not None
    tip.refresh_from_db()
    assert tip.urgent_alert_sent_at is not None


def test_reports_have_their_own_rate_limits(client, public_object):
    for _ in range(5):
        client.post("/en/report/", tip_data(), REMOTE_ADDR="192.0.2.1")
    assert client.post("/en/report/", tip_data(), REMOTE_ADDR="192.0.2.1").status_code == 429
    # Tips about objects are counted apart.
    response = client.post(
        f"/en/objects/{public_object.code}/tip/", tip_data(), REMOTE_ADDR="192.0.2.1"
    )
    assert response.status_code == 303


def test_the_report_form_asks_what_where_and_when_not_where_something_is_sold(client):
    html = client.get("/en/report/").content.decode()
    assert "Where is it sold or seen?" not in html
    assert "Where did it happen, or where is the child now?" in html
    assert "When did it happen, or when did you see it?" in html


def test_a_report_keeps_where_and_when_it_happened(client):
    client.post(
        "/en/report/",
        tip_data(body="A man films children at the pool.", where="Porto", occurred="Last night"),
    )
    tip = Tip.objects.get()
    assert (tip.where, tip.occurred) == ("Porto", "Last night")


@pytest.mark.parametrize("url", ["/en/", "/fr/about/", "/de/privacy/", "/en/receipt/"])
def test_every_public_page_links_to_the_report_page_from_the_header(client, url):
    html = client.get(url).content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert 'class="btn btn-danger btn-sm danger-now-link" href="' in header
    assert f'href="/{url[1:3]}/report/#danger"' in header


def test_the_urgent_alert_mail_is_in_the_sites_language_whatever_the_page_language(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.URGENT_ALERT_EMAILS = ["duty@police.example"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/pl/report/", tip_data(danger_now="on", body="Dziecko jest w niebezpieczeństwie.")
        )
    (mail,) = mailoutbox
    assert "Urgent report #" in mail.subject and "holds no content" in mail.body
    assert "Dziecko" not in mail.body
    settings.LANGUAGE_CODE = "fr"  # an agency whose staff read French
    from tips.models import Tip
    from tips.tasks import alert_urgent_report

    Tip.objects.update(urgent_alert_sent_at=None)
    alert_urgent_report(Tip.objects.get().pk)
    assert "Signalement urgent n°" in mailoutbox[1].subject
