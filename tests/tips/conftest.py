"""Helpers for posting to the public forms as a visitor would, proof of work included."""

from __future__ import annotations

import base64
import dataclasses
import json
import secrets

import altcha
import pytest
from django.conf import settings


def solved_proof_of_work() -> str:
    """What the browser widget sends: a solved, signed challenge (a small one, to be quick)."""
    challenge = altcha.create_challenge(hmac_key=settings.ALTCHA_HMAC_KEY, max_number=50, number=7)
    solution = altcha.solve_challenge(challenge.challenge, challenge.salt, max_number=50)
    payload = {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "number": solution.number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def tip_data(**fields) -> dict:
    return {
        "body": "This is the Sunny brand sold in Lidl shops in Poland.",
        "country": "PL",
        "where": "Supermarkets",
        "links": "https://example.org/sunny",
        "contact": "",
        "website": "",
        "altcha": solved_proof_of_work(),
        "submission": secrets.token_urlsafe(24),
        **fields,
    }


# --- Two partner portals in one database (tests/tips/network_pair.py) ----------------------


@dataclasses.dataclass
class Pair:
    """A owns `ours`; B shows it as `mirror`, a partner object owned by A."""

    a_at_b: object
    b_at_a: object
    ours: object
    mirror: object
    net: object
    a_keys: object


@pytest.fixture
def pair(db, monkeypatch, case, investigator, second_investigator) -> Pair:
    from nacl.public import PrivateKey, SealedBox

    from network.models import Partner
    from objects.models import TracedObject
    from tests.factories import bare_published_object
    from tests.tips.network_pair import FakeNetwork
    from tips import inbound, relaying

    a_keys = PrivateKey.generate()
    a_at_b = Partner.objects.create(
        name="Portal A",
        origin="http://a.test",
        fingerprint="0" * 64,
        encryption_key=base64.b64encode(bytes(a_keys.public_key)).decode(),
        inbox_url="http://a.test/network/inbox/",
    )
    b_at_a = Partner.objects.create(
        name="Portal B",
        origin="http://b.test",
        fingerprint="1" * 64,
        encryption_key=base64.b64encode(bytes(PrivateKey.generate().public_key)).decode(),
        inbox_url="http://b.test/network/inbox/",
    )
    ours = bare_published_object(case, investigator, second_investigator)
    mirror = bare_published_object(case, investigator, second_investigator)
    TracedObject.objects.filter(pk=mirror.pk).update(owner=a_at_b, owner_ref=ours.code)
    mirror.refresh_from_db()
    monkeypatch.setattr(relaying, "_network_on", lambda: True)
    net = FakeNetwork(a_at_b=a_at_b, b_at_a=b_at_a)
    monkeypatch.setattr(relaying, "exchange", net.exchange)
    # network.keys.unseal with A's private key (this database plays both portals).
    monkeypatch.setattr(inbound, "unseal", lambda sealed: SealedBox(a_keys).decrypt(sealed))
    return Pair(a_at_b=a_at_b, b_at_a=b_at_a, ours=ours, mirror=mirror, net=net, a_keys=a_keys)
