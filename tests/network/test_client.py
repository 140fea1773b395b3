"""client.fetch and client.post against real HTTP servers on 127.0.0.1."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from network import client
from network.envelope import Refused
from network.models import Partner, Refusal

pytestmark = pytest.mark.django_db


class Handler(BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"no"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    servers = []

    def start(routes):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.routes = routes
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_port}"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def partner_at(origin):
    return Partner.objects.create(name="P", origin=origin, fingerprint="0" * 64)


def test_it_fetches_from_the_partners_origin_with_conditional_headers(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/feed": (200, {"ETag": '"v1"', "Content-Type": "application/json"}, b"{}")})
    fetched = client.fetch(partner=partner_at(origin), url=f"{origin}/feed", max_bytes=100)
    assert (fetched.status, fetched.body, fetched.etag) == (200, b"{}", '"v1"')
    assert fetched.content_type == "application/json"


def test_a_redirect_on_the_origin_is_followed(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/a": (302, {"Location": "/b"}, b""), "/b": (200, {}, b"here")})
    assert (
        client.fetch(partner=partner_at(origin), url=f"{origin}/a", max_bytes=100).body == b"here"
    )


def test_a_redirect_to_another_origin_is_refused(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    elsewhere = server({"/x": (200, {}, b"internal")})
    origin = server({"/img": (302, {"Location": f"{elsewhere}/x"}, b"")})
    partner = partner_at(origin)
    with pytest.raises(Refused, match="off_origin"):
        client.fetch(partner=partner, url=f"{origin}/img", max_bytes=100)
    assert Refusal.objects.get().partner == partner


def test_a_redirect_to_127_0_0_1_is_refused_as_off_origin(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/img": (301, {"Location": "http://127.0.0.1:6379/"}, b"")})
    with pytest.raises(Refused, match="off_origin"):
        client.fetch(partner=partner_at(origin), url=f"{origin}/img", max_bytes=100)


def test_a_loopback_origin_is_refused_as_private_without_the_setting(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = False
    origin = server({"/feed": (200, {}, b"{}")})
    with pytest.raises(Refused, match="private_address"):
        client.fetch(partner=partner_at(origin), url=f"{origin}/feed", max_bytes=100)


def test_a_url_off_the_origin_is_never_requested(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({})
    with pytest.raises(Refused, match="off_origin"):
        client.fetch(partner=partner_at(origin), url="http://169.254.169.254/latest", max_bytes=9)


def test_an_oversized_body_is_cut_off(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/big": (200, {}, b"x" * 5000)})
    with pytest.raises(Refused, match="oversized"):
        client.fetch(partner=partner_at(origin), url=f"{origin}/big", max_bytes=1000)


def test_too_many_redirects_are_refused(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/loop": (302, {"Location": "/loop"}, b"")})
    with pytest.raises(Refused, match="redirect"):
        client.fetch(partner=partner_at(origin), url=f"{origin}/loop", max_bytes=100)


def test_post_returns_the_status_and_body_and_refuses_redirects(server, settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    origin = server({"/inbox": (200, {}, b"ack"), "/moved": (307, {"Location": "/inbox"}, b"")})
    partner = partner_at(origin)
    assert client.post(partner=partner, url=f"{origin}/inbox", body=b"{}") == (200, b"ack")
    with pytest.raises(Refused, match="redirect"):
        client.post(partner=partner, url=f"{origin}/moved", body=b"{}")


def test_a_closed_port_is_an_http_error(settings):
    settings.NETWORK_ALLOW_PRIVATE = True
    with pytest.raises(Refused, match="http_error"):
        client.fetch(
            partner=partner_at("http://127.0.0.1:9"), url="http://127.0.0.1:9/", max_bytes=9
        )
