import json

import pytest

from network import inbox, keys
from network.envelope import document_verify, message_seal
from network.models import Partner
from tests.network.conftest import message_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def echo_handler():
    inbox.handler_register("echo", lambda opened: {"got": opened.payload, "id": opened.message_id})
    yield
    inbox._handlers.pop("echo", None)


def as_ourselves() -> Partner:
    return Partner(
        origin=keys.our_origin(),
        signing_keys=keys.signing_public_keys(),
        name="us",
        fingerprint=keys.fingerprint(keys.signing_public_keys()[0]),
    )


def test_the_well_known_document_is_signed_and_names_our_keys_and_endpoints(client):
    response = client.get("/.well-known/traceobject.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    payload = document_verify(partner=as_ourselves(), raw=response.content, kind="well-known")
    assert payload == {
        "name": "Trace an Object",
        "origin": "https://tips.test",
        "signing_keys": keys.signing_public_keys(),
        "encryption_key": keys.encryption_public_key(),
        "feed": "https://tips.test/network/feed.json",
        "inbox": "https://tips.test/network/inbox/",
        "version": 1,
    }


def test_without_keys_the_network_is_off(client, settings):
    settings.NETWORK_ENABLED = False
    assert client.get("/.well-known/traceobject.json").status_code == 404
    assert client.post("/network/inbox/", b"{}", content_type="application/json").status_code == 404


def post(client, raw):
    return client.post("/network/inbox/", raw, content_type="application/json")


def test_the_inbox_hands_a_message_to_its_handler_and_answers_a_signed_ack(
    remote, us_seen_by_remote, echo_handler
):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    remote.partner_row()
    with remote.speaking():
        raw = message_seal(
            partner=us_seen_by_remote, kind="echo", payload={"x": 1}, message_id="c" * 32
        )
    response = post(csrf_client, raw)
    assert response.status_code == 200, response.content
    assert not response.cookies
    ack = document_verify(partner=as_ourselves(), raw=response.content, kind="ack")
    assert ack == {"got": {"x": 1}, "id": "c" * 32}


def test_the_inbox_refuses_with_the_reason(remote, us_seen_by_remote, client, echo_handler):
    with remote.speaking():
        raw = message_seal(
            partner=us_seen_by_remote, kind="echo", payload={}, message_id=message_id()
        )
    response = post(client, raw)
    assert (response.status_code, response.json()) == (403, {"refused": "unknown_sender"})
    remote.partner_row()
    assert post(client, raw).status_code == 200
    assert post(client, raw).json() == {"refused": "replayed"}


def test_an_unknown_kind_is_refused(remote, us_seen_by_remote, client):
    remote.partner_row()
    with remote.speaking():
        raw = message_seal(
            partner=us_seen_by_remote, kind="nothing", payload={}, message_id=message_id()
        )
    response = post(client, raw)
    assert (response.status_code, response.json()) == (400, {"refused": "unknown_kind"})


def test_an_oversized_body_is_refused_unread(client, settings):
    settings.NETWORK_MAX_MESSAGE_BYTES = 1024
    response = post(client, b"x" * 5000)
    assert (response.status_code, response.json()) == (413, {"refused": "oversized"})


def test_the_inbox_takes_no_get(client):
    assert client.get("/network/inbox/").status_code == 405


def test_the_inbox_answer_is_json_refusal_for_garbage(client):
    response = post(client, b"garbage")
    assert json.loads(response.content) == {"refused": "malformed"}
