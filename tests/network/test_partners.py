"""Adding partners by fingerprint against a real well-known document served on 127.0.0.1."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEntry
from network import keys
from network.envelope import Refused, canonical, document_sign
from network.models import Partner
from network.services import PartnerError, partner_add, partner_refresh, partner_remove
from network.views import well_known_payload
from tests.network.conftest import portal_new

pytestmark = pytest.mark.django_db


class WellKnown(BaseHTTPRequestHandler):
    def do_GET(self):
        body = self.server.document()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def served(settings):
    """A remote portal serving its own well-known on 127.0.0.1 (signed with its keys)."""
    settings.NETWORK_ALLOW_PRIVATE = True
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), WellKnown)
    portal = portal_new(f"http://127.0.0.1:{httpd.server_port}")

    def document():
        with portal.speaking():
            return document_sign(kind="well-known", payload=well_known_payload())

    httpd.document = document
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    portal.httpd = httpd
    yield portal
    httpd.shutdown()
    httpd.server_close()


def test_a_partner_is_added_by_its_fingerprint_and_audited(served, admin_user):
    fingerprint = keys.fingerprint_grouped(keys.fingerprint(served.signing_public)).upper()
    partner = partner_add(origin=served.origin + "/", fingerprint=fingerprint, by=admin_user)
    assert partner.origin == served.origin
    assert partner.signing_keys == [served.signing_public]
    assert partner.encryption_key == served.encryption_public
    assert partner.inbox_url == f"{served.origin}/network/inbox/"
    entry = AuditEntry.objects.get(action="network.partner_added")
    assert entry.user == admin_user


def test_a_wrong_fingerprint_is_refused(served):
    with pytest.raises(Refused, match="fingerprint_mismatch"):
        partner_add(origin=served.origin, fingerprint="ab" * 32)
    assert not Partner.objects.exists()


def test_a_document_not_signed_by_the_pinned_key_is_refused(served):
    impostor = portal_new(served.origin)

    def forged():
        # Lists the genuine key (so the fingerprint matches) but is signed by another one.
        with impostor.speaking():
            payload = {**well_known_payload(), "signing_keys": [served.signing_public]}
            return document_sign(kind="well-known", payload=payload)

    served.httpd.document = forged
    with pytest.raises(Refused, match="bad_signature"):
        partner_add(origin=served.origin, fingerprint=keys.fingerprint(served.signing_public))


def test_bad_input_is_a_partner_error():
    with pytest.raises(PartnerError):
        partner_add(origin="ftp://x", fingerprint="0" * 64)
    with pytest.raises(PartnerError):
        partner_add(origin="https://x.test", fingerprint="xyz")


def test_removing_cuts_off_and_is_audited_once(served):
    partner = partner_add(origin=served.origin, fingerprint=keys.fingerprint(served.signing_public))
    assert partner_remove(partner=partner) is True
    assert partner_remove(partner=partner) is False
    assert not partner.active and partner.removed_at
    assert AuditEntry.objects.filter(action="network.partner_removed").count() == 1


def test_a_rotated_key_is_accepted_only_when_signed_by_a_known_key(served):
    partner = partner_add(origin=served.origin, fingerprint=keys.fingerprint(served.signing_public))
    new = portal_new(served.origin)

    def rotated():
        # Step one of a rotation: the new key published after the current one, which signs.
        with override_keys(served.signing_seed, new.signing_seed, served):
            return document_sign(kind="well-known", payload=well_known_payload())

    served.httpd.document = rotated
    partner = partner_refresh(partner=partner)
    assert partner.signing_keys == [served.signing_public, new.signing_public]

    def only_new():  # the new key alone now: signed by a key we accept since the overlap
        with new.speaking():
            return document_sign(kind="well-known", payload=well_known_payload())

    served.httpd.document = only_new
    assert partner_refresh(partner=partner).signing_keys == [new.signing_public]
    stranger = portal_new(served.origin)
    served.httpd.document = lambda: _signed_by(stranger)
    with pytest.raises(Refused, match="bad_signature"):
        partner_refresh(partner=partner)


def _signed_by(portal):
    with portal.speaking():
        return document_sign(kind="well-known", payload=well_known_payload())


def override_keys(first, second, portal):
    from django.test import override_settings

    return override_settings(
        NETWORK_SIGNING_KEYS=[first, second],
        NETWORK_ENCRYPTION_KEYS=[portal.encryption_key],
        SITE_URL=portal.origin,
    )


def test_the_partner_command_adds_lists_and_removes(served):
    out = StringIO()
    call_command(
        "partner",
        "add",
        served.origin,
        keys.fingerprint(served.signing_public),
        "--name",
        "Agency B",
        stdout=out,
    )
    call_command("partner", "list", stdout=out)
    call_command("partner", "remove", served.origin, stdout=out)
    text = out.getvalue()
    assert "added Agency B" in text and "active" in text and f"removed {served.origin}" in text
    with pytest.raises(CommandError, match="refused: fingerprint_mismatch"):
        call_command("partner", "add", served.origin, "0" * 64)


def test_network_keys_prints_fresh_keys_and_show_prints_our_fingerprint():
    out = StringIO()
    call_command("network_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines() if "=" in line)
    assert keys.base64.b64decode(lines["NETWORK_SIGNING_KEYS"]) and len(lines) == 2
    out = StringIO()
    call_command("network_keys", "--show", stdout=out)
    assert (
        keys.fingerprint_grouped(keys.fingerprint(keys.signing_public_keys()[0])) in out.getvalue()
    )


def test_the_well_known_of_an_unknown_shape_is_refused(served):
    served.httpd.document = lambda: canonical({"v": 1})
    with pytest.raises(Refused, match="fingerprint_mismatch"):
        partner_add(origin=served.origin, fingerprint=keys.fingerprint(served.signing_public))
    assert json  # noqa: B018
