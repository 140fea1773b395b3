"""Objects travel between partner portals (issue #21): our signed feed, the import of a
partner's objects through our own intake, the poll with its backoff, and the gallery.

A partner is a tiny http.server on the loopback (NETWORK_ALLOW_PRIVATE=True); its signed
feed is signed by this portal with SITE_URL set to the partner's origin, so the partner's
pinned key is ours: what is checked is the verification and the import, not the keys.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from PIL import Image

from network.envelope import document_sign, document_verify
from network.keys import signing_public_keys
from network.models import Partner
from network.services import partner_remove
from objects.intake import object_intake
from objects.media import private_storage, public_storage
from objects.models import ObjectState, Outcome, TracedObject
from objects.network_feed import network_feed_payload
from objects.partners import (
    MAX_BACKOFF_SECONDS,
    PartnerRemoved,
    partner_objects_import,
    partner_poll,
)
from objects.services import object_retire
from tests.factories import bare_object, bare_published_object, published_object

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

GPS_MARKER = "GPS-DATUM-MARKER"


@pytest.fixture(autouse=True)
def network_settings(settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    settings.NETWORK_MAX_IMAGE_BYTES = 8 * 1024 * 1024
    settings.NETWORK_POLL_SECONDS = 300
    return settings


def jpeg_with_gps(width: int = 400, height: int = 300) -> bytes:
    """A partner's photo as a phone writes it: EXIF with a GPS position."""
    image = Image.new("RGB", (width, height), (200, 120, 40))
    for x in range(0, width, 20):
        image.paste((20, 40, 160), (x, 0, x + 8, height))
    exif = Image.Exif()
    exif[0x010F] = "ACME Camera"
    gps = exif.get_ifd(0x8825)
    gps[0x01], gps[0x02] = "N", (52.0, 22.0, 11.0)
    gps[0x12] = GPS_MARKER
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


@pytest.fixture
def portal() -> Iterator[dict]:
    """A partner portal: serves site["files"][path] = (status, headers, body)."""
    site: dict = {"files": {}, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site["requests"].append((self.path, self.headers.get("If-None-Match", "")))
            status, headers, body = site["files"].get(self.path, (404, {}, b"not found"))
            if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                status, body = 304, b""
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site["origin"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def partner(portal) -> Partner:
    return Partner.objects.create(
        name="Politie Nederland",
        origin=portal["origin"],
        fingerprint="0" * 64,
        signing_keys=signing_public_keys(),
        feed_url=f"{portal['origin']}/network/feed.json",
    )


def item(ref: str = "NL-2026-0001", status: str = "published", **extra) -> dict:
    return {
        "ref": ref,
        "status": status,
        "updated": extra.pop("updated", "2026-12-02T10:00Z"),
        "region": "Europe",
        "category": "toy",
        "translations": extra.pop(
            "translations",
            {
                "en": {"title": "Wooden train", "description": "Where was it sold?"},
                "nl": {"title": "Houten trein", "description": "Waar werd het verkocht?"},
            },
        ),
        "images": extra.pop("images", []),
        **extra,
    }


def with_image(portal: dict, path: str = "/media/objects/train.jpg", data: bytes | None = None):
    data = jpeg_with_gps() if data is None else data
    portal["files"][path] = (200, {"Content-Type": "image/jpeg"}, data)
    return [{"url": portal["origin"] + path, "sha256": hashlib.sha256(data).hexdigest()}]


def imported(partner: Partner, *items: dict) -> list[TracedObject]:
    """Import, then run the intake the outbox would queue; the partner's objects."""
    partner_objects_import(partner=partner, payload={"objects": list(items)})
    for obj in TracedObject.objects.filter(owner=partner, state=ObjectState.DRAFT):
        object_intake(object_id=obj.pk)
    return list(TracedObject.objects.filter(owner=partner).order_by("pk"))


def serve_feed(portal: dict, settings, *items: dict, etag: str = '"v1"') -> None:
    settings.SITE_URL = portal["origin"]  # signed as the partner
    body = document_sign(kind="objects", payload={"objects": list(items)})
    portal["files"]["/network/feed.json"] = (200, {"ETag": etag}, body)
    settings.SITE_URL = "http://testserver"


# --- Our signed feed --------------------------------------------------------------------


def test_our_feed_is_signed_and_verifies_with_our_published_key(
    client, settings, case, investigator, second_investigator
):
    settings.SITE_URL = "http://testserver"
    obj = published_object(case, investigator, second_investigator, title="Striped wallpaper")
    response = client.get("/network/feed.json")
    assert response.status_code == 200
    ourselves = Partner.objects.create(
        name="us", origin="http://testserver", signing_keys=signing_public_keys()
    )
    payload = document_verify(partner=ourselves, raw=response.content, kind="objects")
    [entry] = payload["objects"]
    assert entry["ref"] == obj.code and entry["status"] == "published"
    assert entry["translations"]["en"]["title"] == "Striped wallpaper"
    assert entry["updated"].endswith("Z") and len(entry["updated"]) == len("2026-12-02T10:00Z")
    [image] = entry["images"]
    assert image["url"] == f"http://testserver{obj.display.url}"
    assert image["sha256"] == obj.display_sha256


def test_our_feed_carries_no_draft_no_partner_object_and_nothing_internal(
    case, investigator, second_investigator, partner
):
    shown = bare_published_object(case, investigator, second_investigator, title="Shown")
    bare_object(case, investigator, state=ObjectState.DRAFT, title="Draft")
    bare_object(case, investigator, state=ObjectState.AWAITING_APPROVAL, title="Waiting")
    imported(partner, item())
    payload, _newest = network_feed_payload()
    assert [entry["ref"] for entry in payload["objects"]] == [shown.code]
    text = json.dumps(payload)
    for internal in (case.reference, "ines", "sam", "Demo case", "Wooden train"):
        assert internal not in text


def test_a_retired_object_stays_in_our_feed_without_its_image(
    case, investigator, second_investigator
):
    obj = published_object(case, investigator, second_investigator)
    object_retire(obj=obj, by=investigator)
    [entry] = network_feed_payload()[0]["objects"]
    assert entry["status"] == "retired" and entry["images"] == []


def test_our_feed_answers_304_to_its_etag_and_last_modified(
    client, case, investigator, second_investigator
):
    bare_published_object(case, investigator, second_investigator)
    first = client.get("/network/feed.json")
    assert first["ETag"] and first["Last-Modified"]
    again = client.get("/network/feed.json", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert client.get("/network/feed.json", HTTP_IF_NONE_MATCH='"other"').status_code == 200


# --- Import -----------------------------------------------------------------------------


def test_an_import_creates_a_read_only_partner_object_with_the_owners_texts(partner, portal):
    [obj] = imported(partner, item(images=with_image(portal)))
    assert obj.owner == partner and obj.owner_ref == "NL-2026-0001"
    assert obj.state == ObjectState.PUBLISHED and obj.title == "Wooden train"
    assert obj.translations["nl"]["title"] == "Houten trein"
    assert obj.uploaded_by is None and obj.case.owners.count() == 0
    assert public_storage().exists(obj.display.name)


def test_a_partners_jpeg_comes_out_of_our_intake_without_its_exif_gps(partner, portal):
    original = jpeg_with_gps()
    [obj] = imported(partner, item(images=with_image(portal, data=original)))
    with private_storage().open(obj.display.name, "rb") as served:
        ours = served.read()
    assert ours != original
    assert GPS_MARKER.encode() not in ours and b"ACME" not in ours and b"Exif" not in ours
    assert not Image.open(io.BytesIO(ours)).getexif()


def test_an_oversized_partner_image_is_refused_and_nothing_is_shown(partner, portal, settings):
    settings.NETWORK_MAX_IMAGE_BYTES = 1000
    result = partner_objects_import(
        partner=partner, payload={"objects": [item(images=with_image(portal))]}
    )
    assert result.refused and "oversized" in result.refused[0]
    assert not TracedObject.objects.filter(owner=partner).exists()


def test_an_image_that_is_not_the_one_the_feed_names_is_refused(partner, portal):
    images = with_image(portal)
    images[0]["sha256"] = "0" * 64
    result = partner_objects_import(partner=partner, payload={"objects": [item(images=images)]})
    assert result.refused and not TracedObject.objects.filter(owner=partner).exists()


def test_an_image_off_the_partners_origin_is_never_fetched(partner):
    images = [{"url": "http://127.0.0.2:9/x.jpg", "sha256": "0" * 64}]
    result = partner_objects_import(partner=partner, payload={"objects": [item(images=images)]})
    assert result.refused and not TracedObject.objects.filter(owner=partner).exists()


def test_a_partner_image_redirected_off_its_origin_is_refused(partner, portal):
    images = with_image(portal)
    portal["files"]["/media/objects/moved.jpg"] = (
        302,
        {"Location": "http://127.0.0.1:9/objects/train.jpg"},
        b"",
    )
    images[0]["url"] = portal["origin"] + "/media/objects/moved.jpg"
    result = partner_objects_import(partner=partner, payload={"objects": [item(images=images)]})
    assert result.refused and not TracedObject.objects.filter(owner=partner).exists()


def test_an_import_updates_identifies_and_retires(partner, portal):
    images = with_image(portal)
    [obj] = imported(partner, item(images=images))
    [obj] = imported(
        partner,
        item(
            status="identified",
            updated="2026-12-02T11:00Z",
            outcome=Outcome.COUNTRY_NARROWED,
            outcome_line="Sold in the Netherlands only.",
            images=images,
        ),
    )
    assert obj.state == ObjectState.IDENTIFIED and obj.outcome == Outcome.COUNTRY_NARROWED
    assert obj.outcome_public_line == "Sold in the Netherlands only."
    display = obj.display.name
    [obj] = imported(partner, item(status="retired", updated="2026-12-02T12:00Z"))
    assert obj.state == ObjectState.RETIRED and obj.retired_at
    assert not public_storage().exists(display)


def test_a_changed_text_is_taken_and_an_unchanged_object_left_alone(partner):
    imported(partner, item())
    result = partner_objects_import(partner=partner, payload={"objects": [item()]})
    assert result.unchanged == 1 and not result.changed
    changed = item(updated="2026-12-02T11:00Z", translations={"en": {"title": "Red train"}})
    [obj] = imported(partner, changed)
    assert obj.title == "Red train"


def test_an_object_retired_before_we_ever_saw_it_is_not_created(partner):
    assert imported(partner, item(status="retired")) == []


def test_long_texts_are_cut_to_our_field_limits(partner):
    long = {"en": {"title": "T" * 500, "description": "D" * 5000, "alt": "A" * 900}}
    [obj] = imported(partner, item(translations=long))
    assert (len(obj.title), len(obj.questions), len(obj.alt_text)) == (120, 1000, 300)


def test_a_removed_partners_objects_are_not_updated_and_no_longer_shown(client, partner):
    [obj] = imported(partner, item())
    partner_remove(partner=partner)
    with pytest.raises(PartnerRemoved):
        partner_objects_import(
            partner=partner, payload={"objects": [item(status="retired", updated="x")]}
        )
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED
    assert client.get(f"/en/objects/{obj.code}/").status_code == 404
    assert obj.code not in client.get("/en/").content.decode()


def test_no_lifecycle_transition_of_ours_touches_a_partners_object(partner, superuser):
    [obj] = imported(partner, item())
    with pytest.raises(PermissionDenied):
        object_retire(obj=obj, by=superuser)
    obj.refresh_from_db()
    assert obj.state == ObjectState.PUBLISHED


def test_a_partners_object_is_read_only_in_the_back_office(client, partner, superuser):
    from tests.conftest import staff_login

    [obj] = imported(partner, item())
    staff_login(client, superuser)
    page = client.get(f"/backoffice/objects/tracedobject/{obj.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200 and 'name="title"' not in html
    assert "Politie Nederland" in html and "NL-2026-0001" in html


# --- Poll -------------------------------------------------------------------------------


def test_a_poll_imports_the_feed_and_a_retirement_shows_after_the_next_poll(
    partner, portal, settings
):
    serve_feed(portal, settings, item())
    assert partner_poll(partner_id=partner.pk)
    partner.refresh_from_db()
    assert partner.etag == '"v1"' and partner.failures == 0 and partner.next_poll_at
    [obj] = TracedObject.objects.filter(owner=partner)
    assert obj.state == ObjectState.PUBLISHED

    serve_feed(portal, settings, item(status="retired", updated="2026-12-02T12:00Z"), etag='"v2"')
    Partner.objects.filter(pk=partner.pk).update(next_poll_at=None)
    assert partner_poll(partner_id=partner.pk)
    obj.refresh_from_db()
    assert obj.state == ObjectState.RETIRED
    assert portal["requests"][-1] == ("/network/feed.json", '"v1"')  # a conditional GET


def test_a_poll_before_the_partners_turn_does_nothing(partner, portal, settings):
    serve_feed(portal, settings, item())
    Partner.objects.filter(pk=partner.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
    assert not partner_poll(partner_id=partner.pk)
    assert portal["requests"] == []


def test_a_failing_partner_is_polled_later_and_later_up_to_an_hour(partner, portal):
    portal["files"]["/network/feed.json"] = (500, {}, b"down")
    delays = []
    for _attempt in range(6):
        Partner.objects.filter(pk=partner.pk).update(next_poll_at=None)
        before = timezone.now()
        partner_poll(partner_id=partner.pk)
        partner.refresh_from_db()
        delays.append((partner.next_poll_at - before).total_seconds())
    assert partner.failures == 6 and partner.last_error == "refused: http_error"
    assert delays[1] > delays[0] * 1.5 and max(delays) <= MAX_BACKOFF_SECONDS
    assert delays[-1] > MAX_BACKOFF_SECONDS - 120


def test_a_tampered_feed_is_refused_and_imports_nothing(partner, portal, settings):
    serve_feed(portal, settings, item())
    status, headers, body = portal["files"]["/network/feed.json"]
    portal["files"]["/network/feed.json"] = (status, headers, body.replace(b"Wooden", b"Wicked"))
    partner_poll(partner_id=partner.pk)
    partner.refresh_from_db()
    assert partner.failures == 1 and partner.last_error.startswith("refused:")
    assert not TracedObject.objects.filter(owner=partner).exists()


# --- Gallery ----------------------------------------------------------------------------


def test_the_gallery_says_who_published_a_partners_object_in_the_visitors_language(
    client, partner, case, investigator, second_investigator
):
    ours = bare_published_object(case, investigator, second_investigator, title="Our lamp")
    [theirs] = imported(partner, item())
    html = client.get("/nl/").content.decode()
    assert "Houten trein" in html and "Gepubliceerd door <bdi>Politie Nederland</bdi>" in html
    detail = client.get(f"/nl/objects/{theirs.code}/").content.decode()
    assert "<bdi>Politie Nederland</bdi> (<bdi>NL-2026-0001</bdi>)" in detail
    assert ours.code in html


def test_the_gallery_filters_by_owner(client, partner, case, investigator, second_investigator):
    ours = bare_published_object(case, investigator, second_investigator, title="Our lamp")
    [theirs] = imported(partner, item())
    everything = client.get("/en/").content.decode()
    assert 'name="owner"' in everything
    only_theirs = client.get(f"/en/?owner={partner.pk}").content.decode()
    assert theirs.code in only_theirs and ours.code not in only_theirs
    only_ours = client.get("/en/?owner=here").content.decode()
    assert ours.code in only_ours and theirs.code not in only_ours
    assert theirs.code in client.get("/en/?owner=nonsense").content.decode()
    # Each filter is its own page in the page cache (the key is the full path).
    again = client.get("/en/?owner=here")
    assert again["X-Page-Cache"] == "hit" and theirs.code not in again.content.decode()


def test_the_owner_filter_shows_only_once_a_partner_has_objects_here(
    client, case, investigator, second_investigator
):
    bare_published_object(case, investigator, second_investigator)
    assert 'name="owner"' not in client.get("/en/").content.decode()


def test_markup_in_a_partners_title_is_escaped_on_the_gallery_and_object_page(client, partner):
    texts = {"en": {"title": "<script>alert(1)</script>", "description": "<b>bold</b>"}}
    [obj] = imported(partner, item(translations=texts))
    for url in ("/en/", f"/en/objects/{obj.code}/"):
        html = client.get(url).content.decode()
        assert "<script>alert(1)" not in html and "<b>bold" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_well_known_document_points_partners_at_our_signed_feed(client, settings):
    settings.SITE_URL = "http://testserver"
    ourselves = Partner.objects.create(
        name="us", origin="http://testserver", signing_keys=signing_public_keys()
    )
    well_known = document_verify(
        partner=ourselves,
        raw=client.get("/.well-known/traceobject.json").content,
        kind="well-known",
    )
    feed = client.get(well_known["feed"].removeprefix("http://testserver"))
    assert document_verify(partner=ourselves, raw=feed.content, kind="objects") == {"objects": []}


def test_beat_polls_the_partners_through_the_objects_task(settings):
    from objects import tasks

    entry = settings.CELERY_BEAT_SCHEDULE["objects-partners-poll"]
    assert entry["task"] == tasks.partners_poll.name
    assert entry["schedule"] <= settings.NETWORK_POLL_SECONDS
