"""The public gallery and object pages, as the anonymous visitor (the plain client) sees them.

Most objects here are bare rows (no image files) so the tests stay fast; the few tests about
images use `published_object`, which runs the real intake.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from objects.models import Category, ObjectState, Outcome
from tests.factories import bare_object, published_object

pytestmark = pytest.mark.django_db

NOT_PUBLIC = [
    ObjectState.DRAFT,
    ObjectState.AWAITING_APPROVAL,
    ObjectState.FAILED,
    ObjectState.RETIRED,
]


@pytest.fixture
def public(case, investigator, second_investigator):
    """Make a public row without image files: published an hour ago unless told otherwise."""

    def make(*, state=ObjectState.PUBLISHED, age_hours=1, **fields):
        if state == ObjectState.IDENTIFIED:
            fields.setdefault("outcome", Outcome.COUNTRY_NARROWED)
        return bare_object(
            case,
            investigator,
            state=state,
            approved_by=second_investigator,
            published_at=timezone.now() - timedelta(hours=age_hours),
            thumbnail="objects/thumbs/x.jpg",
            thumbnail_width=480,
            thumbnail_height=360,
            display="objects/x.jpg",
            display_width=1600,
            display_height=1200,
            **fields,
        )

    return make


@pytest.fixture
def hidden(case, investigator):
    """Make a row that is not public in the given state."""

    def make(state, **fields):
        return bare_object(case, investigator, state=state, **fields)

    return make


def codes_in(html: str) -> list[str]:
    """Object codes in the order the gallery's cards link to them."""
    return re.findall(r'href="/en/objects/([^/"]+)/"', html)


def test_the_gallery_lists_public_objects_newest_first(client, public):
    old = public(title="Old mug", age_hours=30)
    new = public(title="New mug", age_hours=1)
    middle = public(title="Middle mug", age_hours=5)

    html = client.get("/en/").content.decode()

    assert codes_in(html) == [new.code, middle.code, old.code]


@pytest.mark.parametrize("state", NOT_PUBLIC)
def test_objects_that_are_not_public_never_appear_and_their_pages_are_404(
    client, public, hidden, state
):
    shown = public(title="Shown bottle", region_hint="Europe")
    secret = hidden(state, title="Secret bottle", region_hint="Oceania")

    html = client.get("/en/").content.decode()

    assert codes_in(html) == [shown.code]
    assert "Secret bottle" not in html
    assert "Oceania" not in html  # not even among the region options
    assert client.get(f"/en/objects/{secret.code}/").status_code == 404


def test_the_gallery_filters_by_category(client, public):
    toy = public(title="Teddy bear", category=Category.TOY)
    public(title="Green bottle", category=Category.PACKAGING)

    html = client.get("/en/", {"category": Category.TOY}).content.decode()

    assert codes_in(html) == [toy.code]
    assert '<option value="toy" selected>' in html


def test_the_gallery_filters_by_region_and_offers_the_regions_of_public_objects(client, public):
    public(title="Bottle", region_hint="Europe")
    asian = public(title="Flyer", region_hint="South-East Asia")
    public(title="Mug", region_hint="")
    public(title="Plate", region_hint="Europe")

    html = client.get("/en/", {"region": "South-East Asia"}).content.decode()

    assert codes_in(html) == [asian.code]
    options = re.findall(
        r'<option value="([^"]*)"', html.split('name="region"')[1].split("</select>")[0]
    )
    assert options == ["", "Europe", "South-East Asia"]


def test_a_filter_value_that_is_not_an_option_is_ignored(client, public):
    obj = public()

    response = client.get("/en/", {"category": "<b>nope</b>", "region": "Atlantis"})

    assert response.status_code == 200
    assert codes_in(response.content.decode()) == [obj.code]


def test_the_gallery_hides_identified_objects_when_asked(client, public):
    open_one = public(title="Open")
    identified = public(title="Solved", state=ObjectState.IDENTIFIED)

    assert set(codes_in(client.get("/en/").content.decode())) == {open_one.code, identified.code}
    html = client.get("/en/", {"hide_identified": "1"}).content.decode()
    assert codes_in(html) == [open_one.code]
    checkbox = re.search(r'<input type="checkbox" name="hide_identified"[^>]*>', html).group()
    assert 'value="1"' in checkbox and " checked" in checkbox


def test_identified_objects_carry_a_visible_badge(client, public):
    public(title="Open")
    public(title="Solved", state=ObjectState.IDENTIFIED)

    html = client.get("/en/").content.decode()

    assert html.count('<span class="badge badge-identified">Identified</span>') == 1


def test_the_gallery_shows_24_objects_a_page_and_its_page_links_keep_the_filters(client, public):
    for hours in range(30):
        public(category=Category.TOY, age_hours=hours + 1)
    public(category=Category.VEHICLE)

    first = client.get("/en/", {"category": "toy", "hide_identified": "1"}).content.decode()
    second = client.get("/en/", {"category": "toy", "hide_identified": "1", "page": "2"})

    assert len(codes_in(first)) == 24
    assert 'href="?category=toy&amp;hide_identified=1&amp;page=2"' in first
    assert len(codes_in(second.content.decode())) == 6
    assert 'href="?category=toy&amp;hide_identified=1&amp;page=1"' in second.content.decode()
    assert not set(codes_in(first)) & set(codes_in(second.content.decode()))


@pytest.mark.parametrize(
    "number, shown", [("abc", 1), ("", 1), ("0", 2), ("-3", 2), ("99", 2), ("1e9", 1)]
)
def test_a_bad_page_number_gives_the_first_or_last_page(client, public, number, shown):
    for hours in range(25):
        public(age_hours=hours + 1)

    response = client.get("/en/", {"page": number})

    assert response.status_code == 200
    assert response.context["page_obj"].number == shown


def test_the_counts_come_from_the_data(client, public, hidden):
    public()
    public()
    public(state=ObjectState.IDENTIFIED)
    hidden(ObjectState.RETIRED)
    hidden(ObjectState.AWAITING_APPROVAL)

    html = client.get("/en/", {"category": "toy"}).content.decode()

    # Site-wide counters: filters do not change them.
    assert "3 objects published · 1 identified" in html


def test_an_empty_gallery_says_so_in_words(client, hidden):
    hidden(ObjectState.DRAFT)

    html = client.get("/en/").content.decode()

    assert "No objects are published yet." in html
    assert "<form" not in html


def test_filters_that_match_nothing_say_so_in_words(client, public):
    public(category=Category.TOY)

    html = client.get("/en/", {"category": Category.VEHICLE}).content.decode()

    assert "No objects match these filters." in html
    assert codes_in(html) == []


def test_the_filter_form_is_a_labelled_get_form(client, public):
    public()

    html = client.get("/en/").content.decode()

    assert '<form method="get" action="/en/"' in html
    for field in ("category", "region", "hide_identified"):
        assert re.search(rf'<label class="form-[a-z-]*label" for="id_{field}">\w', html)
        assert f'id="id_{field}"' in html


def test_every_image_has_its_alt_text_size_and_lazy_loading(
    client, case, investigator, second_investigator
):
    objects = [
        published_object(case, investigator, second_investigator, seed=seed, alt_text=alt)
        for seed, alt in enumerate(["Red striped towel", "Blue shampoo bottle"])
    ]

    html = client.get("/en/").content.decode()

    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 2
    for obj in objects:
        tag = next(tag for tag in images if obj.thumbnail.url in tag)
        assert f'alt="{obj.alt_text}"' in tag
        assert f'width="{obj.thumbnail_width}" height="{obj.thumbnail_height}"' in tag
        assert 'loading="lazy"' in tag


def test_html_in_titles_and_questions_is_escaped(client, public):
    obj = public(
        title="<script>alert(1)</script>",
        questions='<img src=x onerror="alert(2)">\nSecond line',
        region_hint="<b>Europe</b>",
    )

    for url in ("/en/", f"/en/objects/{obj.code}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<b>Europe" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;<br>Second line" in html
    assert "<img src=x" not in html


@pytest.mark.parametrize("page", ["gallery", "detail"])
def test_public_pages_can_be_served_by_any_cache(client, public, page):
    obj = public()
    url = "/en/?category=toy" if page == "gallery" else f"/en/objects/{obj.code}/"

    response = client.get(url)

    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and not response.cookies
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert "csrfmiddlewaretoken" not in response.content.decode()


def test_a_staff_member_browsing_with_a_session_gets_a_private_response(
    client, public, investigator
):
    # Their session cookie is renewed on every response; no shared cache may keep it.
    obj = public()
    client.force_login(investigator)

    for url in ("/en/", f"/en/objects/{obj.code}/"):
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "public" not in cache_control


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_public_pages_answer_only_get_and_head(client, public, method):
    obj = public()

    for url in ("/en/", f"/en/objects/{obj.code}/"):
        assert getattr(client, method)(url).status_code == 405
        assert client.head(url).status_code == 200


def test_the_gallery_runs_three_queries_whatever_the_number_of_objects(
    client, public, django_assert_num_queries
):
    for hours in range(30):
        public(
            age_hours=hours + 1,
            region_hint=f"Region {hours % 3}",
            state=ObjectState.IDENTIFIED if hours % 5 == 0 else ObjectState.PUBLISHED,
        )

    # The region options with the counters, the filtered page count and the page's rows.
    with django_assert_num_queries(3):
        response = client.get("/en/", {"hide_identified": "1", "page": "2"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "30 objects published" in html and "6 identified" in html
    assert "Showing 1–24 of 24" in html  # one page of 24: page 2 is page 1

    # Unfiltered, the page count is the counters' "published": two queries.
    with django_assert_num_queries(2):
        response = client.get("/en/", {"page": "2"})

    html = response.content.decode()
    assert "Showing 25–30 of 30" in html
    assert len(codes_in(html)) == 6


def test_the_object_page_runs_one_query(client, public, django_assert_num_queries):
    obj = public(state=ObjectState.IDENTIFIED, outcome_public_line="Sold in two countries.")

    with django_assert_num_queries(1):
        response = client.get(f"/en/objects/{obj.code}/")

    assert "Sold in two countries." in response.content.decode()


def test_the_object_page_shows_the_image_the_details_and_the_tip_link(
    client, case, investigator, second_investigator
):
    obj = published_object(
        case,
        investigator,
        second_investigator,
        title="Striped wallpaper",
        category=Category.TEXTILE,
        region_hint="Europe",
        questions="Where is this wallpaper sold?\nWhen was it made?",
    )

    html = client.get(f"/en/objects/{obj.code}/").content.decode()

    assert f"<title>Striped wallpaper ({obj.code}) · Trace an Object</title>" in html
    assert "<h1" in html and "Striped wallpaper</h1>" in html
    image = re.search(rf'<img src="{obj.display.url}"[^>]*>', html).group()
    assert f'width="{obj.display_width}" height="{obj.display_height}"' in image
    assert f'alt="{obj.alt_text}"' in image
    assert "Textile" in html and "Europe" in html and obj.code in html
    assert "Where is this wallpaper sold?<br>When was it made?" in html
    assert f'href="/en/objects/{obj.code}/tip/"' in html and "Send a tip" in html
    assert "Open: we are still looking" in html


def test_an_identified_object_shows_its_outcome(client, public):
    obj = public(
        state=ObjectState.IDENTIFIED,
        outcome=Outcome.LEAD_ELIMINATED,
        outcome_public_line="This towel is sold in every country.",
    )

    html = client.get(f"/en/objects/{obj.code}/").content.decode()

    assert "Identified" in html and "Sold worldwide, lead eliminated" in html
    assert "This towel is sold in every country." in html
    assert "Open: we are still looking" not in html


def test_an_unknown_code_is_a_404_in_the_site_layout(client):
    response = client.get("/en/objects/TAO-1999-0001/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html and 'href="/en/privacy/"' in html


def test_a_shared_object_link_shows_the_object_with_open_graph_and_twitter_cards(
    client, public_object
):
    html = client.get(f"/fr/objects/{public_object.code}/").content.decode()
    title = f"{public_object.title} ({public_object.code})"
    assert f'<meta property="og:title" content="{title}">' in html
    assert f'<meta name="twitter:title" content="{title}">' in html
    assert (
        f'<meta property="og:url" content="http://testserver/fr/objects/{public_object.code}/">'
        in html
    )
    # The link to copy is the unprefixed one: whoever opens it gets their own language.
    assert f'data-copy-text="http://testserver/objects/{public_object.code}/"' in html


def test_the_site_has_a_favicon_of_its_own(client):
    html = client.get("/en/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg"' in html
    assert client.get("/favicon.ico").headers["Location"] == "/static/favicon.ico"


def test_an_object_shows_its_texts_in_the_page_language_and_marks_english_fallbacks(
    client, public_object
):
    public_object.translations = {"fr": {"title": "Papier peint rayé", "questions": "Où ?"}}
    public_object.region_hint = "Europe"
    public_object.save(update_fields=["translations", "region_hint"])
    html = client.get(f"/fr/objects/{public_object.code}/").content.decode()
    assert '<h1 class="mb-1">Papier peint rayé</h1>' in html
    assert 'class="object-questions"><p>Où ?</p></div>' in html
    assert '<dd class="col-sm-8" lang="en">Europe</dd>' in html  # no French region given
    german = client.get(f"/de/objects/{public_object.code}/").content.decode()
    assert f'<h1 class="mb-1" lang="en">{public_object.title}</h1>' in german
    english = client.get(f"/en/objects/{public_object.code}/").content.decode()
    assert f'<h1 class="mb-1">{public_object.title}</h1>' in english


def test_gallery_cards_use_the_translated_title(client, public_object):
    public_object.translations = {"pl": {"title": "Tapeta w paski"}}
    public_object.save(update_fields=["translations"])
    html = client.get("/pl/").content.decode()
    assert ">Tapeta w paski</a>" in html


def test_the_region_filter_reads_in_the_visitors_language_and_filters_by_the_stored_hint(
    client, public
):
    european = public(title="Bottle", region_hint="Europe")
    public(title="Flyer", region_hint="South-East Asia")

    html = client.get("/fr/", {"region": "Europe"}).content.decode()

    assert re.findall(r'href="/fr/objects/([^/"]+)/"', html) == [european.code]
    select = html.split('name="region"')[1].split("</select>")[0]
    labels = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))
    assert labels["Europe"] == "Europe"  # the same word in French
    assert labels["South-East Asia"] not in {"", "South-East Asia"}
