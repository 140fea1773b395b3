import base64
import json

import pytest

from network import envelope, keys
from network.envelope import Refused, document_sign, document_verify, message_open, message_seal
from network.models import Refusal, SeenNonce
from tests.network.conftest import message_id, portal_new

pytestmark = pytest.mark.django_db


def sent(remote, us, payload=None, kind="tip"):
    with remote.speaking():
        return message_seal(
            partner=us, kind=kind, payload=payload or {"a": "é"}, message_id=message_id()
        )


def refused_reason(raw) -> str:
    with pytest.raises(Refused) as caught:
        message_open(raw)
    return caught.value.reason


def test_a_partners_message_opens_with_its_kind_id_and_payload(remote, us_seen_by_remote):
    partner = remote.partner_row()
    with remote.speaking():
        raw = message_seal(
            partner=us_seen_by_remote,
            kind="tip",
            payload={"body": "blue <b>"},
            message_id="ab" * 16,
        )
    opened = message_open(raw)
    assert (opened.partner, opened.kind, opened.message_id) == (partner, "tip", "ab" * 16)
    assert opened.payload == {"body": "blue <b>"}
    assert b"blue" not in raw  # sealed: the relaying wire never shows the payload


def test_the_timestamp_is_to_the_minute(remote, us_seen_by_remote):
    remote.partner_row()
    assert json.loads(sent(remote, us_seen_by_remote))["ts"] % 60 == 0


def test_a_tampered_signature_is_refused_and_recorded(remote, us_seen_by_remote):
    partner = remote.partner_row()
    message = json.loads(sent(remote, us_seen_by_remote))
    message["kind"] = "tip-status"
    assert refused_reason(envelope.canonical(message)) == "bad_signature"
    assert Refusal.objects.get().partner == partner


def test_a_message_signed_by_another_key_is_refused(remote, us_seen_by_remote):
    remote.partner_row()
    impostor = portal_new(remote.origin)
    assert refused_reason(sent(impostor, us_seen_by_remote)) == "bad_signature"


def test_a_replayed_message_is_refused(remote, us_seen_by_remote):
    remote.partner_row()
    raw = sent(remote, us_seen_by_remote)
    message_open(raw)
    assert refused_reason(raw) == "replayed"
    assert SeenNonce.objects.count() == 1


def test_an_unknown_sender_is_refused_with_its_claimed_origin(remote, us_seen_by_remote):
    assert refused_reason(sent(remote, us_seen_by_remote)) == "unknown_sender"
    refusal = Refusal.objects.get()
    assert (refusal.partner, refusal.origin, refusal.reason) == (
        None,
        remote.origin,
        "unknown_sender",
    )


def test_a_removed_partner_is_cut_off_at_once(remote, us_seen_by_remote):
    partner = remote.partner_row()
    raw = sent(remote, us_seen_by_remote)
    partner.active = False
    partner.save(update_fields=["active"])
    assert refused_reason(raw) == "removed_sender"


def test_an_oversized_message_is_refused_before_parsing(remote, settings):
    settings.NETWORK_MAX_MESSAGE_BYTES = 2048
    assert refused_reason(b"{" + b" " * 4096) == "oversized"


def test_a_stale_timestamp_is_refused(remote, us_seen_by_remote, monkeypatch):
    remote.partner_row()
    raw = sent(remote, us_seen_by_remote)
    now = envelope.unix_now()
    monkeypatch.setattr(envelope, "unix_now", lambda: now + 3600)
    assert refused_reason(raw) == "stale"


def test_a_message_for_another_portal_is_refused(remote, us_seen_by_remote):
    remote.partner_row()
    us_seen_by_remote.origin = "https://elsewhere.test"
    assert refused_reason(sent(remote, us_seen_by_remote)) == "wrong_recipient"


def test_a_message_sealed_to_another_key_is_undecryptable(remote, us_seen_by_remote):
    remote.partner_row()
    us_seen_by_remote.encryption_key = portal_new("https://x.test").encryption_public
    assert refused_reason(sent(remote, us_seen_by_remote)) == "undecryptable"


def test_garbage_is_malformed(remote):
    assert refused_reason(b"not json") == "malformed"
    assert refused_reason(b'{"v": 1}') == "malformed"


def test_a_partner_over_its_rate_is_refused(remote, us_seen_by_remote, settings):
    settings.NETWORK_PARTNER_MESSAGES_PER_MINUTE = 2
    remote.partner_row()
    message_open(sent(remote, us_seen_by_remote))
    message_open(sent(remote, us_seen_by_remote))
    assert refused_reason(sent(remote, us_seen_by_remote)) == "rate_limited"


def test_a_refusal_records_no_payload(remote, us_seen_by_remote, caplog):
    remote.partner_row()
    raw = sent(remote, us_seen_by_remote, payload={"body": "secret-visitor-text"})
    message_open(raw)
    with caplog.at_level("WARNING"):
        refused_reason(raw)
    assert "secret-visitor-text" not in caplog.text
    assert "replayed" in caplog.text


def test_a_signed_document_verifies_and_a_changed_one_does_not(remote):
    partner = remote.partner_row()
    with remote.speaking():
        raw = document_sign(kind="objects", payload={"objects": []})
    assert document_verify(partner=partner, raw=raw, kind="objects") == {"objects": []}
    with pytest.raises(Refused, match="malformed"):
        document_verify(partner=partner, raw=raw, kind="well-known")
    document = json.loads(raw)
    document["body"] = '{"objects":[1]}'
    with pytest.raises(Refused, match="bad_signature"):
        document_verify(partner=partner, raw=envelope.canonical(document), kind="objects")


def test_a_document_older_than_a_week_is_stale(remote, monkeypatch):
    partner = remote.partner_row()
    with remote.speaking():
        raw = document_sign(kind="objects", payload={})
    now = envelope.unix_now()
    monkeypatch.setattr(envelope, "unix_now", lambda: now + 8 * 24 * 3600)
    with pytest.raises(Refused, match="stale"):
        document_verify(partner=partner, raw=raw, kind="objects")


def test_the_signature_covers_the_canonical_json_with_the_context(remote):
    with remote.speaking():
        document = json.loads(document_sign(kind="ack", payload={"z": 1, "a": "ü"}))
    unsigned = {k: v for k, v in document.items() if k != "sig"}
    signed = (
        b"traceobject-v1\n"
        + json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    from nacl.signing import VerifyKey

    VerifyKey(base64.b64decode(remote.signing_public)).verify(
        signed, base64.b64decode(document["sig"])
    )
    assert document["body"] == '{"a":"ü","z":1}'


def test_cleanup_forgets_nonces_past_the_window(remote, us_seen_by_remote):
    from datetime import timedelta

    from django.utils import timezone

    partner = remote.partner_row()
    SeenNonce.objects.create(
        partner=partner, nonce="a" * 32, seen_at=timezone.now() - timedelta(hours=1)
    )
    SeenNonce.objects.create(partner=partner, nonce="b" * 32)
    assert envelope.network_cleanup() == 1
    assert list(SeenNonce.objects.values_list("nonce", flat=True)) == ["b" * 32]


def test_fingerprints_ignore_spaces_colons_and_case():
    public = keys.signing_public_keys()[0]
    value = keys.fingerprint(public)
    assert len(value) == 64
    assert keys.fingerprint_matches(keys.fingerprint_grouped(value).upper(), public)
    assert keys.fingerprint_matches(":".join(value[i : i + 2] for i in range(0, 64, 2)), public)
    assert not keys.fingerprint_matches("0" * 64, public)
