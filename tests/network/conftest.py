"""A second portal for the network tests: its own keys, signing as https://partner.test."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.test import override_settings
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from network import keys


@dataclass
class Portal:
    origin: str
    signing_seed: str
    encryption_key: str

    @property
    def signing_public(self) -> str:
        return keys.b64(bytes(SigningKey(keys.base64.b64decode(self.signing_seed)).verify_key))

    @property
    def encryption_public(self) -> str:
        return keys.b64(bytes(PrivateKey(keys.base64.b64decode(self.encryption_key)).public_key))

    @contextmanager
    def speaking(self):
        """Our code signs and seals as this portal inside the block."""
        with override_settings(
            NETWORK_SIGNING_KEYS=[self.signing_seed],
            NETWORK_ENCRYPTION_KEYS=[self.encryption_key],
            SITE_URL=self.origin,
        ):
            yield

    def partner_row(self, **fields):
        from network.models import Partner

        defaults = {
            "name": "Partner agency",
            "fingerprint": keys.fingerprint(self.signing_public),
            "signing_keys": [self.signing_public],
            "encryption_key": self.encryption_public,
            "inbox_url": f"{self.origin}/network/inbox/",
            "feed_url": f"{self.origin}/network/feed.json",
        }
        return Partner.objects.create(origin=self.origin, **{**defaults, **fields})


def portal_new(origin: str) -> Portal:
    return Portal(
        origin=origin,
        signing_seed=keys.b64(bytes(SigningKey.generate())),
        encryption_key=keys.b64(bytes(PrivateKey.generate())),
    )


@pytest.fixture
def remote() -> Portal:
    return portal_new("https://partner.test")


@pytest.fixture
def us_seen_by_remote():
    """Us, as the remote portal's Partner row would hold us (unsaved: only sealing needs it)."""
    from network.models import Partner

    return Partner(
        origin=keys.our_origin(),
        signing_keys=keys.signing_public_keys(),
        encryption_key=keys.encryption_public_key(),
    )


def message_id() -> str:
    return secrets.token_hex(16)
