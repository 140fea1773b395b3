"""deploy/nginx.conf for real: Debian's nginx with that configuration in front of gunicorn,
checking its microcache. Only the addresses (upstream, ports, certificate, log and cache
folders) are changed to run on 127.0.0.1 in a temporary folder (tests/serving.py)."""

from __future__ import annotations

import os
import ssl
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests import serving
from tests.conftest import service_missing

pytestmark = pytest.mark.services


@pytest.fixture
def gunicorn(transactional_db, public_object, tmp_path):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (gunicorn reads the test database): set DATABASE_URL")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "PAGE_CACHE_SECONDS": "0",  # nginx's own cache is under test
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STATIC_ROOT": str(tmp_path / "static"),  # production's hashed names need a manifest
        "WEB_CONCURRENCY": "1",
        "WEB_THREADS": "4",
    }
    with serving.gunicorn(env, tmp_path / "gunicorn.log") as port:
        yield port


@pytest.fixture
def nginx(gunicorn, tmp_path):
    if not Path(serving.NGINX).exists():
        service_missing("needs nginx (apt-get install nginx)")
    with serving.nginx(upstream=gunicorn, folder=tmp_path) as port:
        yield port


def fetch(port: int, path: str, *, method: str = "GET", cookie: str = "", data=None):
    request = urllib.request.Request(f"https://127.0.0.1:{port}{path}", method=method, data=data)
    if cookie:
        request.add_header("Cookie", cookie)
    context = ssl._create_unverified_context()  # noqa: S323 (our own self-signed cert)
    try:
        return urllib.request.urlopen(request, context=context)  # noqa: S310 (https only)
    except urllib.error.HTTPError as error:
        return error


def test_nginx_serves_the_gallery_again_from_its_microcache(nginx):
    assert fetch(nginx, "/").headers["X-Cache-Status"] == "MISS"
    assert fetch(nginx, "/").headers["X-Cache-Status"] == "HIT"


def test_nginx_never_caches_for_a_staff_session_nor_a_page_that_sets_a_cookie(nginx, public_object):
    fetch(nginx, "/")
    assert fetch(nginx, "/", cookie="sessionid=x").headers["X-Cache-Status"] == "BYPASS"
    tip_form = f"/en/objects/{public_object.code}/tip/"  # sets the CSRF cookie
    assert fetch(nginx, tip_form).headers["Set-Cookie"]
    assert fetch(nginx, tip_form).headers["X-Cache-Status"] == "MISS"


def test_nginx_never_caches_a_post(nginx):
    assert fetch(nginx, "/en/report/", method="POST", data=b"x=1").headers["X-Cache-Status"] in {
        None,
        "",
    }
    assert (
        fetch(nginx, "/en/report/", method="POST", data=b"x=1").headers["X-Cache-Status"] != "HIT"
    )


def test_nginx_names_no_version_on_any_port(nginx):
    assert fetch(nginx, "/").headers["Server"] == "nginx"
    assert fetch(nginx, "/no-such-page/").headers["Server"] == "nginx"
    conf = (serving.ROOT / "deploy" / "nginx.conf").read_text()
    # At http level, before the first server block: the port-80 one gets it too.
    assert conf.index("\nserver_tokens off;") < conf.index("\nserver {")
