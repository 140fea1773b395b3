"""No byte in the database, the media folder, the cache or the logs holds a visitor's IP
address or user agent."""

import io
import logging
from pathlib import Path

import pytest
from django.core.cache import caches
from django.core.management import call_command

from tests.tips.conftest import tip_data
from traceobject.cache import FailoverRedisCache

pytestmark = pytest.mark.django_db

ADDRESSES = ["203.0.113.77", "2001:db8:77:1::abcd"]
USER_AGENT = "Mozilla/5.0 (UniqueAgent-7Q2X)"


def everything_stored(media_root) -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    files = [p.read_bytes().decode("latin-1") for p in Path(media_root).rglob("*") if p.is_file()]
    cache = caches["ratelimit"]
    keys = cache.redis_keys() if isinstance(cache, FailoverRedisCache) else list(cache._cache)
    return "\n".join([out.getvalue(), *files, *map(str, keys)])


def test_a_visitors_address_and_user_agent_are_never_kept(
    client, public_object, media_root, caplog
):
    caplog.set_level(logging.DEBUG)
    for address in ADDRESSES:
        meta = {"REMOTE_ADDR": address, "HTTP_USER_AGENT": USER_AGENT}
        client.get(f"/en/objects/{public_object.code}/", **meta)
        client.get(f"/en/objects/{public_object.code}/tip/", **meta)
        response = client.post(
            f"/en/objects/{public_object.code}/tip/",
            tip_data(contact="me@example.org", contact_consent="on"),
            follow=True,
            **meta,
        )
        assert 'id="receipt-code"' in response.content.decode()
        client.post("/en/report/", tip_data(danger_now="on"), **meta)
        client.post("/en/receipt/", {"receipt": "1111 2222 3333 4444"}, **meta)
        client.post(
            f"/en/objects/{public_object.code}/tip/", {"body": "x"}, **meta
        )  # an invalid one
    stored = everything_stored(media_root)
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    for needle in [*ADDRESSES, "203.0.113", "2001:db8:77", "UniqueAgent"]:
        assert needle not in stored, needle
        assert needle not in logged, needle
