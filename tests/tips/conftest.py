"""Helpers for posting to the public forms as a visitor would, proof of work included."""

from __future__ import annotations

import base64
import json
import secrets

import altcha
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
