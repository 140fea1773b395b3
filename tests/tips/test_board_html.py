"""A group of the evidence board written out in Python (tips/board_html.py): every branch
the template had, every value escaped, and HTML a parser reads back as it was meant."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

from tips.board import BoardGroup
from tips.board_html import Acting, group_article
from tips.evidence import Group
from tips.models import FloodState

ACTING = Acting(
    act_url="/backoffice/tips/tip/board/7/act/",
    csrf_token="token-1",
    can_change=True,
    can_forward=True,
    forward_at_most=5,
)


def row(**changes) -> BoardGroup:
    fields = {
        "id": 12,
        "flood": FloodState.NONE,
        "first_at": datetime(2026, 11, 2, 9, 5, tzinfo=UTC),
        "last_at": datetime(2026, 11, 3, 18, 40, tzinfo=UTC),
        "size": 3,
        "lead_id": 41,
        "languages": ["de", "en"],
        "statuses": {"new": 3},
        "sample": "Sold at the Blue Lake market in Graz.",
    }
    return BoardGroup(group=Group(**{**fields, **changes}))


class Parsed(HTMLParser):
    """The elements, their attributes and the page's text, and whether every tag closed."""

    def __init__(self, html: str):
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag != "input":
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        self.text.append(data)

    def buttons(self) -> dict[str, str | None]:
        return {a["value"]: a.get("class") for t, a in self.tags if t == "button"}

    def inputs(self) -> dict[str, str | None]:
        return {a["name"]: a["value"] for t, a in self.tags if t == "input"}

    @property
    def words(self) -> str:
        return " ".join(" ".join(self.text).split())


def test_a_group_reads_as_the_template_wrote_it():
    page = Parsed(group_article(row(), ACTING))
    assert page.open == []
    assert page.tags[0] == (
        "article",
        {"class": "board-group", "id": "group-12", "aria-labelledby": "group-12-title"},
    )
    assert "Group ~12: 3 tips" in page.words
    assert "Languages: de, en · 2026-11-02 09:05 – 2026-11-03 18:40 · 3 new" in page.words
    assert ("a", {"href": "/backoffice/tips/tip/41/change/"}) in page.tags
    assert ("form", {"method": "post", "action": ACTING.act_url}) in page.tags
    assert page.inputs() == {
        "csrfmiddlewaretoken": "token-1",
        "group": "12",
        "original": "41",
        "post": "yes",
    }
    assert page.buttons() == {
        "duplicate": "button",
        "reject_spam": "button board-danger",
        "reject_irrelevant": "button board-danger",
        "forward": "button",
    }
    assert "Forward 3 open tips…" in page.words and "Reject 3 open tips as spam" in page.words


def test_a_tip_not_grouped_yet_posts_the_tip_and_has_nothing_to_mark_duplicate():
    page = Parsed(
        group_article(
            row(
                id=-41,
                size=1,
                first_at=datetime(2026, 11, 2, tzinfo=UTC),
                last_at=datetime(2026, 11, 2, tzinfo=UTC),
                languages=[],
            ),
            ACTING,
        )
    )
    assert page.tags[0][1]["id"] == "tip-41"
    assert "Tip #41, not grouped yet" in page.words
    assert "Languages: - · 2026-11-02 00:00 · 3 new" in page.words
    assert page.inputs()["tip"] == "41" and "group" not in page.inputs()
    assert "duplicate" not in page.buttons()
    assert "Reject 3 open tip" in page.words


def test_more_open_tips_than_one_forward_takes_send_the_analyst_to_the_queue():
    page = Parsed(group_article(row(size=9, statuses={"new": 9}), ACTING))
    assert "forward" not in page.buttons()
    assert "Too many open tips to forward at once (at most 5): forward them from the queue." in (
        page.words
    )


def test_floods_offer_release_and_reject_while_held_and_nothing_once_rejected():
    held = Parsed(group_article(row(flood=FloodState.HELD, size=6, statuses={"new": 6}), ACTING))
    assert held.tags[0][1]["class"] == "board-group board-flood"
    assert "Held as a suspected flood" in held.words
    assert "Decide on this flood…" in held.words
    assert held.buttons() == {"release_flood": "button", "reject_flood": "button board-danger"}
    assert "Release the flood into the queue (6 tips)" in held.words
    rejected = Parsed(
        group_article(row(flood=FloodState.REJECTED, statuses={"rejected": 3}), ACTING)
    )
    assert rejected.buttons() == {}
    assert "Rejected: tips joining it later stay out of the queue." in rejected.words


def test_who_may_only_read_sees_no_form_and_who_may_not_forward_no_forward_button():
    reader = Parsed(group_article(row(), replace(ACTING, can_change=False)))
    assert not any(tag == "form" for tag, _ in reader.tags)
    no_forward = Parsed(group_article(row(), replace(ACTING, can_forward=False)))
    assert "forward" not in no_forward.buttons() and "reject_spam" in no_forward.buttons()


def test_every_value_is_escaped():
    hostile = '<script>alert(1)</script> & "quoted"'
    html = group_article(row(sample=hostile, languages=['"><b>x']), ACTING)
    assert "<script>" not in html and "<b>" not in html
    page = Parsed(html)
    assert hostile in page.words and '"><b>x' in page.words
