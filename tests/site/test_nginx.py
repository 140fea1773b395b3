"""deploy/nginx.conf for real: Debian's nginx with that configuration in front of gunicorn,
checking its microcache. Only the addresses (upstream, ports, certificate, log and cache
folders) are changed to run on 127.0.0.1 in a temporary folder."""

from __future__ import annotations

import datetime
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import connection

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "fullchain.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture
def gunicorn(transactional_db, public_object, tmp_path):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL (gunicorn reads the test database): set DATABASE_URL")
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "PAGE_CACHE_SECONDS": "0",  # nginx's own cache is under test
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "STATIC_ROOT": str(tmp_path / "static"),  # production's hashed names need a manifest
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "traceobject.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "gunicorn.log").open("w"),
    )  # fmt: skip
    try:
        wait_for(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def nginx(gunicorn, tmp_path):
    if not Path(NGINX).exists():
        service_missing("needs nginx (apt-get install nginx)")
    port = free_port()
    self_signed(tmp_path)
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {
        "http2 on;": "",  # Debian's nginx may predate the directive; HTTP/2 is not under test
        "server web:8000;": f"server 127.0.0.1:{gunicorn};",
        "listen 80 default_server;": f"listen 127.0.0.1:{free_port()};",
        "listen 443 ssl default_server;": f"listen 127.0.0.1:{port} ssl;",
        "/etc/nginx/certs/": f"{tmp_path}/",
        "/var/log/nginx/": f"{tmp_path}/",
        "/var/cache/nginx/traceobject": f"{tmp_path}/cache",
    }.items():
        assert old in conf
        conf = conf.replace(old, new)
    main = tmp_path / "nginx.conf"
    main.write_text(
        # Started as root, nginx's workers would otherwise run as nobody, locked out of tmp_path.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\nclient_body_temp_path {tmp_path}/body;\nproxy_temp_path {tmp_path}/proxy;\n"
        f"{conf}\n}}\n"
    )
    proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(main), "-g", "daemon off;"])
    try:
        wait_for(port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
