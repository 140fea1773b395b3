"""Every public page in every language, compared with the English page: a sentence a visitor
reads (text, alt text, labels) that is the same as on the English page is English left over.

Three words or more count as a sentence; shorter labels can be the same in two languages
("Status", "Code"). The language menu (every name in its own language), the portal's name,
object codes and numbers are the same everywhere by design."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings
from django.utils import translation

from objects.demo import DEMO_OBJECTS, demo_translations
from tests.factories import published_object
from tips.services import TipContent, tip_receive
from traceobject.views import server_error

OTHER_LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
SKIPPED_TAGS = {"script", "style", "template"}
READ_ATTRIBUTES = ("alt", "aria-label", "title", "placeholder")
SAME_EVERYWHERE = {settings.PORTAL_NAME}
WORD = re.compile(r"[^\W\d_]{2,}")


class VisibleText(HTMLParser):
    """The texts a person reads or hears, leaving out the language menu."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.stack: list[tuple[str, bool]] = []

    def skipping(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skip = tag in SKIPPED_TAGS or "language-switcher" in (values.get("class") or "")
        # Country names come from CLDR, and some are the same in two languages (Isle of Man).
        skip = skip or (
            tag == "option" and bool(re.fullmatch(r"[A-Z]{2}", values.get("value") or ""))
        )
        if tag in {"input", "img", "meta", "link", "br", "hr", "source"}:
            if not skip and not self.skipping():
                self.texts += [values[name] or "" for name in READ_ATTRIBUTES if values.get(name)]
            return
        self.stack.append((tag, skip))
        if not self.skipping():
            self.texts += [values[name] or "" for name in READ_ATTRIBUTES if values.get(name)]

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping() and data.strip():
            self.texts.append(data)


def sentences(html: str) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    found = set()
    for text in parser.texts:
        text = " ".join(text.split())
        for known in SAME_EVERYWHERE:
            text = text.replace(known, " ")
        if len(WORD.findall(text)) >= 3:
            found.add(text.strip())
    return found


@pytest.fixture
def demo_mug(case, investigator, second_investigator):
    """A demo object with the demo data's translations (objects/demo_translations.json)."""
    demo = next(demo for demo in DEMO_OBJECTS if demo.title == "White mug with blue waves")
    obj = published_object(
        case,
        investigator,
        second_investigator,
        seed=3,
        title=demo.title,
        questions=demo.questions,
        alt_text=demo.alt_text,
        region_hint="Europe",
    )
    obj.translations = demo_translations(demo)
    obj.save(update_fields=["translations"])
    return obj


def public_pages(client, code: str, obj, receipt: str) -> dict[str, str]:
    """Each public page's HTML in `code`, forms shown with their errors too."""
    pages = {}
    for name, path in {
        "gallery": "/",
        "object": f"/objects/{obj.code}/",
        "tip-form": f"/objects/{obj.code}/tip/",
        "report": "/report/",
        "receipt-check": "/receipt/",
        "results": "/results/",
        "privacy": "/privacy/",
        "about": "/about/",
        "404": "/no-such-page/",
    }.items():
        pages[name] = client.get(f"/{code}{path}").content.decode()
    pages["tip-errors"] = client.post(
        f"/{code}/objects/{obj.code}/tip/", {"body": "x" * 6000}
    ).content.decode()
    pages["receipt-status"] = client.post(
        f"/{code}/receipt/", {"receipt": receipt}
    ).content.decode()
    with override_settings(REPORT_RATE_LIMITS=[("report-closed", "network", "0/h")]):
        pages["429"] = client.post(f"/{code}/report/", {"body": "What I wrote."}).content.decode()
    with translation.override(code):
        failed = RequestFactory().post(f"/{code}/report/", {"body": "What I wrote."})
        pages["500"] = server_error(failed).content.decode()
    return pages


@pytest.mark.django_db
def test_no_public_page_in_another_language_shows_a_sentence_of_the_english_page(client, demo_mug):
    receipt = tip_receive(
        content=TipContent(body="Sold at the Blue Lake market."),
        language="en",
        traced_object=demo_mug,
    ).receipt
    english = {
        name: sentences(html)
        for name, html in public_pages(client, "en", demo_mug, receipt).items()
    }
    left = {}
    for code in OTHER_LANGUAGES:
        for name, html in public_pages(client, code, demo_mug, receipt).items():
            # What the visitor wrote is given back as written, in any language.
            same = sentences(html) & english[name] - {
                "Sold at the Blue Lake market.",
                "What I wrote.",
            }
            if same:
                left[f"{code} {name}"] = sorted(same)
    assert left == {}
