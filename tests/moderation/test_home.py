"""The staff home: each role sees what waits for it, as counts that link to the list they
count, in a few indexed queries; and the app list stays below."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import FailedTask
from moderation.forwarding import tip_forward
from objects.models import ObjectState
from tests.conftest import staff_login
from tests.factories import bare_object, tip_at
from tips import triage
from tips.models import FloodState, TipGroup
from tips.services import tip_add_follow_up

pytestmark = pytest.mark.django_db
HOME = "/backoffice/"
# The session, the user, their OTP device and their permissions (2); every count at once;
# the session saved in a savepoint (3).
HOME_QUERY_CAP = 9
# Investigators also see the saturated objects: one query, and one for their groups if any.
SATURATED_QUERIES = 2


def counts(html: str, section: str) -> dict[str, tuple[str, str]]:
    """{label: (number, link)} of one section of the home page, as a person reads it."""
    block = html.split(f'id="{section}"')[1].split("</ul>")[0]
    found = re.findall(
        r'<a href="([^"]+)"[^>]*>\s*<span class="home-number">([^<]+)</span>\s*([^<]+?)</a>', block
    )
    return {label.strip(): (number, link.replace("&amp;", "&")) for link, number, label in found}


def listed_pks(client: Client, link: str) -> set[int]:
    """The ids of the rows the linked list shows (their links to each row's page)."""
    html = client.get(link).content.decode()
    rows = html.split('id="result_list"')[1].split("</table>")[0]
    return {int(pk) for pk in re.findall(r'href="/backoffice/[a-z]+/[a-z]+/(\d+)/change/', rows)}


def test_an_analyst_sees_new_urgent_answered_and_own_counts_each_linking_to_its_list(
    client, analyst, second_analyst, public_object
):
    new = [tip_at(public_object, hours_ago=hours) for hours in (1, 2, 3)]
    urgent = tip_at(public_object, hours_ago=4, urgent=True)
    flooded = tip_at(public_object, hours_ago=5)  # a held flood is out of the queue
    flood = TipGroup.objects.create(
        traced_object=public_object, flood=FloodState.HELD, flood_detected_at=timezone.now()
    )
    flooded.group = flood
    flooded.save(update_fields=["group"])
    answered = tip_at(public_object, hours_ago=6)
    triage.tip_ask(tip=answered, by=analyst, body="Which shop?")
    tip_add_follow_up(tip=answered, body="The one on Main Street.")
    waiting = tip_at(public_object, hours_ago=7)
    triage.tip_ask(tip=waiting, by=analyst, body="Which town?")  # not answered yet
    mine = tip_at(public_object, hours_ago=8)
    triage.tip_assign(tip=mine, to=analyst, by=analyst)
    triage.tip_assign(tip=new[0], to=second_analyst, by=second_analyst)
    closed_mine = tip_at(public_object, hours_ago=9)
    triage.tip_assign(tip=closed_mine, to=analyst, by=analyst)
    triage.tip_close(tip=closed_mine, by=analyst)
    staff_login(client, analyst)

    html = client.get(HOME).content.decode()

    shown = counts(html, "home-analyst")
    expected = {
        "New tips": {*(tip.pk for tip in new), urgent.pk, mine.pk},
        "Urgent reports not yet taken": {urgent.pk},
        "Needs information: the tipster answered": {answered.pk},
        "Open tips assigned to me": {mine.pk},
    }
    assert set(shown) == set(expected)
    for label, pks in expected.items():
        number, link = shown[label]
        assert number == str(len(pks)), label
        assert listed_pks(client, link) == pks, label
    assert "home-investigator" not in html and "home-administrator" not in html
    assert f'href="{reverse("admin:dashboard")}"' in html
    assert 'class="app-tips module' in html  # Django's app list, below the counts
    assert html.index("home-analyst") < html.index('class="app-tips module')


@pytest.mark.parametrize("role", ["analyst", "investigator", "administrator"])
def test_every_home_page_counts_in_one_query(
    client, role, request, public_object, django_assert_max_num_queries
):
    staff_login(client, request.getfixturevalue(role))
    client.get(HOME)  # warm caches (permissions, content types, the urgent banner)

    extra = SATURATED_QUERIES if role == "investigator" else 0
    with django_assert_max_num_queries(HOME_QUERY_CAP + extra):
        response = client.get(HOME)

    assert response.status_code == 200


def test_a_huge_count_is_capped_as_the_queue_caps_it(analyst_client, public_object, monkeypatch):
    monkeypatch.setattr("moderation.home.COUNT_CAP", 2)
    for hours in range(4):
        tip_at(public_object, hours_ago=hours)

    html = analyst_client.get(HOME).content.decode()

    assert counts(html, "home-analyst")["New tips"][0] == "2+"


def test_an_investigator_sees_uploads_awaiting_approval_and_unacknowledged_forwards(
    client, investigator, second_investigator, outsider_investigator, analyst, case, public_object
):
    bare_object(case, second_investigator, title="Sam's upload")
    bare_object(case, investigator, title="Her own upload")  # four eyes: not hers to approve
    bare_object(case, second_investigator, state=ObjectState.DRAFT, title="Still a draft")
    first, second = tip_at(public_object, hours_ago=2), tip_at(public_object, hours_ago=1)
    unread, read = tip_forward(
        tips=[first, second], recipients=[investigator], by=analyst, summary="s"
    )
    read.acknowledged_at = timezone.now()
    read.save(update_fields=["acknowledged_at"])
    tip_forward(tips=[first], recipients=[second_investigator], by=analyst, summary="s")
    staff_login(client, investigator)

    html = client.get(HOME).content.decode()

    shown = counts(html, "home-investigator")
    approve_number, approve_link = shown["Uploads awaiting my approval"]
    assert approve_number == "1"
    objects_page = client.get(approve_link).content.decode()
    assert "Sam&#x27;s upload" in objects_page
    assert "Her own upload" not in objects_page and "Still a draft" not in objects_page
    forward_number, forward_link = shown["Tips forwarded to me, not acknowledged yet"]
    assert forward_number == "1"
    assert listed_pks(client, forward_link) == {unread.pk}
    assert "home-analyst" not in html and "home-administrator" not in html


def failed_logins(username: str, address: str, *, failures: int) -> AccessAttempt:
    """django-axes's record of failed back-office logins for that username and address."""
    return AccessAttempt.objects.create(
        username=username,
        ip_address=address,
        failures_since_start=failures,
        attempt_time=timezone.now(),
        user_agent="",
        path_info="/backoffice/login/",
        get_data="",
        post_data="",
    )


def test_an_administrator_sees_staff_lockouts_and_failed_tasks(
    client, administrator, analyst, investigator
):
    now = timezone.now()
    failed_logins("ana", "fd00::1", failures=5)
    failed_logins("ben", "fd00::2", failures=1)  # one failure: no lockout
    FailedTask.objects.create(task_name="tips.tasks.analyse_tip", args=[1], error="boom")
    old = FailedTask.objects.create(task_name="tips.tasks.analyse_tip", args=[2], error="old")
    FailedTask.objects.filter(pk=old.pk).update(failed_at=now - timedelta(days=30))
    staff_login(client, administrator)

    html = client.get(HOME).content.decode()

    shown = counts(html, "home-administrator")
    assert shown["Active staff accounts"][0] == "3"  # adam, ana, ines
    staff_page = client.get(shown["Active staff accounts"][1]).content.decode()
    assert all(name in staff_page for name in ("adam", "ana", "ines"))
    locked_number, locked_link = shown["Logins locked out now"]
    assert locked_number == "1"
    lockouts = client.get(locked_link)
    assert lockouts.status_code == 200
    assert "ana" in lockouts.content.decode() and ">ben<" not in lockouts.content.decode()
    failed_number, failed_link = shown["Tasks failed in the last 7 days"]
    assert failed_number == "1"
    assert dict(parse_qsl(urlsplit(failed_link).query))["failed_at__gte"]
    failed_page = client.get(failed_link)
    assert failed_page.status_code == 200
    assert "1 failed task" in failed_page.content.decode()
    assert "home-analyst" not in html
