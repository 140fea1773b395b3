"""An object's evidence board (tips/board.py): who may open it, what it shows (groups
strongest first, floods apart, the country chart), the group actions that really change the
tips through triage and are audited, and a query count that does not grow with the tips.

Personas (tests/conftest.py): the analyst ana; adam the administrator views tips but changes
none; ines investigates the case of `public_object` and sees no tips.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from tests.conftest import staff_login
from tests.factories import tip_at
from tips import board
from tips.models import (
    ClaimKind,
    FloodState,
    RejectReason,
    Tip,
    TipClaim,
    TipGroup,
    TipStatus,
)
from tips.urgent import urgent_waiting

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
# Session, user and OTP device; the user's and their groups' permissions; the object; the
# board's one statement (the counts, the groups shown with their first tips' texts, the
# claims' tally, the places' points); the audit entry; the session saved in a savepoint
# (3): whatever the number of tips and groups.
# + the activity box (tips/activity.py): its page views per day. On PostgreSQL the board's
# statement counts the activity's tips, groups and places too; the embedded database asks
# three more queries for them, and reads the board in four queries, not one
# (tips/evidence_embedded.py). On PostgreSQL, + a look at the stored tally's marks, and
# when there are some, their count (tips/tally.py); the embedded database keeps none.
BOARD_QUERIES = 11 + 1


def board_url(obj) -> str:
    return reverse("admin:tips_tip_board", args=[obj.pk])


def act_url(obj) -> str:
    return reverse("admin:tips_tip_board_act", args=[obj.pk])


def group_of(
    obj, bodies: list[str], *, languages=("en",), hours=None, flood=FloodState.NONE
) -> TipGroup:
    """A group of tips on `obj`, the first body the oldest tip, spread over `hours`."""
    flooded = flood != FloodState.NONE
    group = TipGroup.objects.create(
        traced_object=obj, flood=flood, flood_detected_at=timezone.now() if flooded else None
    )
    hours = hours or [len(bodies) - n for n in range(len(bodies))]
    for n, body in enumerate(bodies):
        tip_at(
            obj, hours_ago=hours[n], body=body, language=languages[n % len(languages)], group=group
        )
    return group


def claims(group: TipGroup, kind: str, value: str) -> None:
    for tip in group.tips.all():
        TipClaim.objects.get_or_create(
            tip=tip, kind=kind, value=value, traced_object_id=tip.traced_object_id
        )


def section(page: str, section_id: str) -> str:
    """The HTML of one <section> of the board."""
    match = re.search(rf'<section id="{section_id}".*?</section>', page, re.S)
    assert match, section_id
    return match.group(0)


@pytest.fixture
def seeded(public_object):
    """Groups of different strength, a held flood and one tip not grouped yet."""
    small = group_of(
        public_object, ["Small: a shop in Lyon.", "Small 2", "Small 3"], hours=[6, 5, 4]
    )
    burst = group_of(public_object, ["Burst 1", "Burst 2", "Burst 3"], hours=[1.5] * 3)
    polyglot = group_of(
        public_object,
        ["Vendu à Lyon, France.", "Sold in Lyon", "In Lyon verkauft"],
        languages=("fr", "en", "de"),
        hours=[50, 30, 2],
    )
    big = group_of(public_object, [f"Big group {SCRIPT} {n}" for n in range(4)], hours=[9, 8, 7, 6])
    flood = group_of(
        public_object, [f"Spam spam {n}" for n in range(5)], flood=FloodState.HELD, hours=[1] * 5
    )
    lone = tip_at(public_object, hours_ago=3, body="A lone tip about Recife.", urgent=True)
    for group in (small, polyglot, big):
        claims(group, ClaimKind.COUNTRY, "FR")
    claims(small, ClaimKind.COUNTRY, "DE")
    claims(flood, ClaimKind.COUNTRY, "PL")
    claims(polyglot, ClaimKind.DOMAIN, "lyon-market.example")
    return {
        "small": small,
        "burst": burst,
        "polyglot": polyglot,
        "big": big,
        "flood": flood,
        "lone": lone,
    }


# --- What the analyst sees ---------------------------------------------------------------


def test_groups_come_strongest_first_and_floods_apart(analyst_client, public_object, seeded):
    page = analyst_client.get(board_url(public_object)).content.decode()

    groups = section(page, "board-groups")
    anchors = re.findall(r'<article class="board-group[^"]*" id="([^"]+)"', groups)
    # Size first; of three groups of three tips, the one in three languages, then the one
    # spread over two hours, then the burst of one minute; the lone tip last.
    assert anchors == [
        f"group-{seeded['big'].pk}",
        f"group-{seeded['polyglot'].pk}",
        f"group-{seeded['small'].pk}",
        f"group-{seeded['burst'].pk}",
        f"tip-{seeded['lone'].pk}",
    ]
    floods = section(page, "board-floods")
    assert re.findall(r'id="(group-\d+)"', floods) == [f"group-{seeded['flood'].pk}"]
    assert "Held as a suspected flood" in floods
    # Each group shows its first tip's text, escaped, its languages and time span.
    assert "Big group &lt;script&gt;alert(1)&lt;/script&gt; 0" in groups
    assert SCRIPT not in page
    assert "Vendu à Lyon, France." in groups and "de, en, fr" in groups


def test_the_header_shows_the_object_and_its_counts(analyst_client, public_object, seeded):
    public_object.display = "objects/x.jpg"
    public_object.display_width, public_object.display_height = 960, 640
    public_object.save(update_fields=["display", "display_width", "display_height"])

    page = analyst_client.get(board_url(public_object)).content.decode()

    head = section(page, "board-object")
    image = reverse("admin:objects_tracedobject_image", args=[public_object.pk, "display"])
    assert f'<a href="{image}" class="board-image"' in head
    assert 'width="240" height="160"' in head
    assert public_object.code in head and public_object.questions in head
    counts = {
        label: int(number)
        for number, label in re.findall(r"<strong>(\d+)</strong> ([^<]+)</li>", head)
    }
    assert counts == {
        "tips": 19,
        "groups": 6,
        "new": 19,
        "urgent, still open": 1,
        "floods held or rejected": 1,
    }


def test_the_country_chart_is_an_svg_with_a_bar_per_country_and_the_numbers_in_a_table(
    analyst_client, public_object, seeded
):
    page = analyst_client.get(board_url(public_object)).content.decode()

    countries = section(page, "board-countries")
    svg = re.search(r"<svg.*?</svg>", countries, re.S).group(0)
    assert 'role="img"' in svg and "<title" in svg
    bars = re.findall(r'<rect x="\d+" y="\d+" width="(\d+)"', svg)
    # France: 3 independent groups, the longest bar; Germany 1; Poland only in a held flood.
    assert bars == [str(board.CHART_BAR), str(board.CHART_BAR // 3), "2"]
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th><td>(\d+)</td><td>(\d+)</td>", countries)
    assert rows == [
        ("France (FR)", "3", "10"),
        ("Germany (DE)", "1", "3"),
        ("Poland (PL)", "0", "5"),
    ]
    assert "France: 3; Germany: 1; Poland: 0" in svg
    domains = section(page, "board-domains")
    assert re.search(r"lyon-market\.example</th><td>1</td><td>3</td><td>de, en, fr", domains)


def test_opening_the_board_is_audited_with_the_tips_whose_text_it_showed(
    analyst_client, public_object, seeded
):
    analyst_client.get(board_url(public_object))

    entry = AuditEntry.objects.get(action="tip.board_viewed")
    assert entry.username == "ana" and entry.target_id == str(public_object.pk)
    groups = [seeded[name] for name in ("small", "burst", "polyglot", "big", "flood")]
    leads = [group.tips.order_by("received_at").first().pk for group in groups]
    assert entry.data["samples"] == sorted([*leads, seeded["lone"].pk])


# --- Who may open it and act -------------------------------------------------------------


def test_a_viewer_of_tips_reads_the_board_without_buttons(
    client, administrator, public_object, seeded
):
    staff_login(client, administrator)

    page = client.get(board_url(public_object)).content.decode()

    assert "Group ~" in page and 'name="do"' not in page
    response = client.post(act_url(public_object), {"do": "reject_spam", "group": seeded["big"].pk})
    assert response.status_code == 403
    assert not seeded["big"].tips.filter(status=TipStatus.REJECTED).exists()


def test_an_investigator_cannot_open_the_board_and_a_visitor_is_sent_to_log_in(
    client, investigator, public_object
):
    visitor = client.get(board_url(public_object))
    assert visitor.status_code == 302 and "/login/" in visitor["Location"]

    staff_login(client, investigator)

    assert client.get(board_url(public_object)).status_code == 403


def test_the_board_is_read_with_get_and_acted_on_with_post(analyst_client, public_object):
    assert analyst_client.post(board_url(public_object)).status_code == 405
    assert analyst_client.get(act_url(public_object)).status_code == 405
    missing = reverse("admin:tips_tip_board", args=[public_object.pk + 1000])
    assert analyst_client.get(missing).status_code == 404


def test_the_tip_page_and_the_object_page_link_to_the_board(analyst_client, public_object):
    tip = tip_at(public_object)

    tip_page = analyst_client.get(reverse("admin:tips_tip_change", args=[tip.pk]))
    object_page = analyst_client.get(
        reverse("admin:objects_tracedobject_change", args=[public_object.pk])
    )

    assert f'href="{board_url(public_object)}"' in tip_page.content.decode()
    assert f'href="{board_url(public_object)}"' in object_page.content.decode()


# --- Acting on a whole group -------------------------------------------------------------


def test_rejecting_a_group_rejects_its_open_tips_with_the_reason_and_audits_each(
    analyst_client, public_object, seeded
):
    big = seeded["big"]

    response = analyst_client.post(
        act_url(public_object), {"do": "reject_irrelevant", "group": big.pk}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{board_url(public_object)}#group-{big.pk}"
    assert "4 rejected" in response.content.decode()
    assert set(big.tips.values_list("status", "rejected_reason")) == {
        (TipStatus.REJECTED, RejectReason.IRRELEVANT)
    }
    assert AuditEntry.objects.filter(action="tip.rejected").count() == 4
    assert not seeded["small"].tips.filter(status=TipStatus.REJECTED).exists()


def test_marking_a_group_duplicates_of_its_first_tip(analyst_client, public_object, seeded):
    polyglot = seeded["polyglot"]
    first, *others = polyglot.tips.order_by("received_at")

    analyst_client.post(
        act_url(public_object),
        {"do": "duplicate", "group": polyglot.pk, "original": first.pk, "post": "yes"},
    )

    assert {
        (t.status, t.duplicate_of_id) for t in Tip.objects.filter(pk__in=[o.pk for o in others])
    } == {(TipStatus.DUPLICATE, first.pk)}
    first.refresh_from_db()
    assert first.status == TipStatus.NEW
    assert AuditEntry.objects.filter(action="tip.marked_duplicate").count() == 2


def test_a_duplicate_of_a_tip_outside_the_group_is_refused(analyst_client, public_object, seeded):
    outsider = seeded["small"].tips.first()

    analyst_client.post(
        act_url(public_object),
        {"do": "duplicate", "group": seeded["big"].pk, "original": outsider.pk, "post": "yes"},
    )

    assert not Tip.objects.filter(status=TipStatus.DUPLICATE).exists()


def test_forwarding_a_group_opens_the_forward_page_with_its_open_tips(
    analyst_client, public_object, seeded
):
    small = seeded["small"]
    closed, *open_tips = small.tips.order_by("pk")
    Tip.objects.filter(pk=closed.pk).update(status=TipStatus.CLOSED, closed_at=timezone.now())

    response = analyst_client.post(act_url(public_object), {"do": "forward", "group": small.pk})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:moderation_forward_create") + "?tips=" + ",".join(
        str(tip.pk) for tip in open_tips
    )


def test_a_lone_tip_is_acted_on_alone(analyst_client, public_object, seeded):
    lone = seeded["lone"]

    analyst_client.post(act_url(public_object), {"do": "reject_spam", "tip": lone.pk})

    assert list(Tip.objects.filter(status=TipStatus.REJECTED).values_list("pk", flat=True)) == [
        lone.pk
    ]


def test_a_held_flood_is_released_or_rejected_whole(analyst_client, public_object, seeded):
    flood = seeded["flood"]
    page = analyst_client.get(board_url(public_object)).content.decode()
    assert "Reject the flood: 5 open tips as spam" in section(page, "board-floods")

    analyst_client.post(act_url(public_object), {"do": "reject_flood", "group": flood.pk})

    flood.refresh_from_db()
    assert flood.flood == FloodState.REJECTED
    assert set(flood.tips.values_list("rejected_reason", flat=True)) == {RejectReason.SPAM}
    assert AuditEntry.objects.get(action="tip.flood_rejected").data["rejected"] == 5


def test_releasing_a_flood_puts_it_among_the_groups(analyst_client, public_object, seeded):
    flood = seeded["flood"]

    analyst_client.post(act_url(public_object), {"do": "release_flood", "group": flood.pk})

    flood.refresh_from_db()
    assert flood.flood == FloodState.RELEASED
    assert AuditEntry.objects.filter(action="tip.flood_released").count() == 1
    page = analyst_client.get(board_url(public_object)).content.decode()
    assert f'id="group-{flood.pk}"' in section(page, "board-groups")
    assert "No flood on this object." in section(page, "board-floods")


def test_a_group_of_another_object_is_not_touched(
    analyst_client, public_object, case, investigator, second_investigator, seeded
):
    from tests.factories import bare_published_object

    other = bare_published_object(case, investigator, second_investigator)

    analyst_client.post(act_url(other), {"do": "reject_spam", "group": seeded["big"].pk})

    assert not Tip.objects.filter(status=TipStatus.REJECTED).exists()


# --- Cost ----------------------------------------------------------------------------------


@pytest.mark.parametrize("groups", [2, board.GROUPS_SHOWN + 10])
def test_the_board_runs_the_same_queries_whatever_the_number_of_groups(
    analyst_client, public_object, groups, django_assert_num_queries, urgent_banner_known
):
    for n in range(groups):
        group = group_of(public_object, [f"Group {n} tip {m}" for m in range(3)])
        claims(group, ClaimKind.COUNTRY, ["FR", "DE", "PL"][n % 3])
        claims(group, ClaimKind.DOMAIN, f"shop{n % 4}.example")
    flood = group_of(public_object, ["flood a", "flood b"], flood=FloodState.HELD)
    claims(flood, ClaimKind.COUNTRY, "AT")
    urgent_waiting()  # again: building 40 groups on a slow machine outlasts the banner's cache

    embedded = connection.vendor != "postgresql"
    # On PostgreSQL the claims just written are marked: a look at the marks, and their count.
    with django_assert_num_queries(BOARD_QUERIES + (6 if embedded else 2)):
        response = analyst_client.get(board_url(public_object))
    if not embedded:  # counted: the next board only looks
        with django_assert_num_queries(BOARD_QUERIES + 1):
            assert analyst_client.get(board_url(public_object)).status_code == 200

    assert response.status_code == 200
    page = response.content.decode()
    shown = min(groups, board.GROUPS_SHOWN)
    assert page.count('class="board-group"') == shown
    if groups > shown:
        assert f"… and {groups - shown} smaller groups, in the queue." in page
