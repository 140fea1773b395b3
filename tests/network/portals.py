"""What tests/network/test_three_portals.py runs around its three portals: the front each
portal stands behind (a recording reverse proxy that also serves the public media, as
nginx does in production), a visitor's browser over real HTTP, and reads of a portal's
own database. Nothing here reaches beyond 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import mimetypes
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import altcha

INBOX = "/network/inbox/"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}


def wait_until(predicate, *, seconds: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"gave up after {seconds} s waiting for {what}")


# --- The front: a recording reverse proxy -------------------------------------------------


@dataclass
class Seen:
    """One request that reached a portal's front: what crossed the wire to it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    dropped: bool = False


class Front(ThreadingHTTPServer):
    """A portal's public address. Serves /media/ from MEDIA_ROOT (deploy/nginx.conf does
    in production; Django serves it only under DEBUG), passes the rest to gunicorn, and
    answers 502 when gunicorn is down, as nginx would. It records every request (the wire
    of the test) and can drop the answer to the next `drop_acks` inbox POSTs that gunicorn
    accepted: the message is stored, its acknowledgement never reaches the sender."""

    daemon_threads = True

    def __init__(self, media_root: Path):
        super().__init__(("127.0.0.1", 0), _FrontHandler)
        self.media_root = media_root
        self.upstream = 0
        self.wire: list[Seen] = []
        self.drop_acks = 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1})
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)

    def inbox_posts(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.wire if s.method == "POST" and s.path == INBOX]


class _FrontHandler(BaseHTTPRequestHandler):
    server: Front

    def log_message(self, *args) -> None:  # quiet: the wire is recorded instead
        pass

    def do_GET(self) -> None:
        self._any()

    def do_HEAD(self) -> None:
        self._any()

    def do_POST(self) -> None:
        self._any()

    def _answer(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Seen(self.command, urlsplit(self.path).path, dict(self.headers.items()), body)
        with self.server.lock:
            self.server.wire.append(seen)
        if seen.path.startswith("/media/"):
            seen.status = self._media(seen.path)
            return
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data, status, answer_headers = response.read(), response.status, response.getheaders()
            conn.close()
        except OSError:
            seen.status = 502
            self._answer(502, [("Content-Type", "text/plain")], b"502 Bad Gateway")
            return
        with self.server.lock:
            drop = seen.method == "POST" and seen.path == INBOX and status == 200
            drop = drop and self.server.drop_acks > 0
            if drop:
                self.server.drop_acks -= 1
        if drop:  # stored by the portal; the sender sees a gateway error instead of the ack
            seen.status, seen.dropped = 502, True
            self._answer(502, [("Content-Type", "text/plain")], b"502 Bad Gateway")
            return
        seen.status = status
        self._answer(status, answer_headers, data)

    def _media(self, path: str) -> int:
        root = self.server.media_root.resolve()
        file = (root / path.removeprefix("/media/")).resolve()
        if not file.is_relative_to(root) or not file.is_file():
            self._answer(404, [("Content-Type", "text/plain")], b"not found")
            return 404
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        self._answer(200, [("Content-Type", kind)], file.read_bytes())
        return 200


# --- A visitor's browser --------------------------------------------------------------------


def proof_of_work(hmac_key: str) -> str:
    """What the browser widget sends, signed with the portal's own key (its SECRET_KEY's)."""
    challenge = altcha.create_challenge(hmac_key=hmac_key, max_number=50, number=7)
    solution = altcha.solve_challenge(challenge.challenge, challenge.salt, max_number=50)
    payload = {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "number": solution.number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def altcha_key(secret_key: str) -> str:
    return hashlib.sha256(f"altcha:{secret_key}".encode()).hexdigest()  # settings.py's


@dataclass
class Page:
    status: int
    text: str
    headers: http.client.HTTPMessage | None = None

    @property
    def receipt(self) -> str | None:
        found = re.search(r'id="receipt-code"[^>]*>([^<]+)<', self.text)
        return found.group(1).strip() if found else None


@dataclass
class Browser:
    """One visitor: its own address (behind the portal's trusted front), its own user agent,
    its cookies (the Secure ones sent back by hand: this is plain HTTP on loopback)."""

    port: int
    address: str
    user_agent: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> Page:
        headers = {"X-Forwarded-For": self.address, "User-Agent": self.user_agent}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        for cookie in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return Page(response.status, text, response.msg)

    def get(self, path: str) -> Page:
        return self.request("GET", path)

    def send(self, path: str, hmac_key: str, **fields: str) -> Page:
        """Load the form, post it with a solved proof of work, follow to the receipt."""
        form = self.get(path)
        assert form.status == 200, (form.status, form.text[:300])
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        submission = re.search(r'name="submission" value="([^"]+)"', form.text)
        data = {
            "csrfmiddlewaretoken": token,
            "submission": submission.group(1) if submission else secrets.token_urlsafe(24),
            "country": "PL",
            "where": "",
            "links": "",
            "contact": "",
            "website": "",
            "altcha": proof_of_work(hmac_key),
            **fields,
        }
        answer = self.request("POST", path, data)
        if answer.status != 303:
            return answer
        return self.get(answer.headers["Location"])

    def receipt_check(self, receipt: str) -> Page:
        form = self.get("/en/receipt/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return self.request(
            "POST", "/en/receipt/", {"csrfmiddlewaretoken": token, "receipt": receipt}
        )


# --- A portal's database --------------------------------------------------------------------


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username,
        password=parts.password or "", dbname=parts.path.strip("/"),
    )  # fmt: skip
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()
