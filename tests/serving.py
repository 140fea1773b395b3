"""The shipped stack on loopback for tests: gunicorn with traceobject/gunicorn_conf.py and
Debian's nginx with deploy/nginx.conf, in which only addresses change (upstream, ports,
certificate, log and cache folders); every other directive is run as shipped."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(folder: Path) -> None:
    """A throw-away certificate for 127.0.0.1, good for a day."""
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
    for _ in range(150):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[int]:
    """gunicorn as production starts it (the config module), on a free loopback port."""
    port = free_port()
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "traceobject.wsgi:application",
         "-c", "python:traceobject.gunicorn_conf", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"),
    )  # fmt: skip
    try:
        wait_for(port)
        yield port
    finally:
        stop(proc)


def nginx_conf(*, upstream: int, http_port: int, https_port: int, folder: Path) -> str:
    """deploy/nginx.conf with its addresses moved to loopback and `folder`, nothing else."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in {
        "server web:8000;": f"server 127.0.0.1:{upstream};",
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https_port} ssl http2;",
        "/etc/nginx/certs/": f"{folder}/",
        "/var/log/nginx/": f"{folder}/",
        "/var/cache/nginx/traceobject": f"{folder}/cache",
    }.items():
        assert old in conf, old
        conf = conf.replace(old, new)
    return conf


@contextlib.contextmanager
def nginx(*, upstream: int, folder: Path) -> Iterator[int]:
    """Debian's nginx running deploy/nginx.conf over TLS (a throw-away certificate)."""
    https_port = free_port()
    self_signed(folder)
    conf = nginx_conf(
        upstream=upstream, http_port=free_port(), https_port=https_port, folder=folder
    )
    main = folder / "nginx.conf"
    main.write_text(
        # Started as root, nginx's workers would otherwise run as nobody, locked out of folder.
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events {}\n"
        f"http {{\nclient_body_temp_path {folder}/body;\nproxy_temp_path {folder}/proxy;\n"
        f"{conf}\n}}\n"
    )
    # -t first: a directive this nginx refuses fails here with nginx's own message.
    check = subprocess.run(
        [NGINX, "-t", "-p", str(folder), "-c", str(main)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([NGINX, "-p", str(folder), "-c", str(main), "-g", "daemon off;"])
    try:
        wait_for(https_port)
        yield https_port
    finally:
        stop(proc)
