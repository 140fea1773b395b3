"""Every public page a visitor can reach, as steps a browser takes: shared by the axe matrix
(test_languages.py) and `make screenshots` (screenshots_all.py)."""

from __future__ import annotations

from django.test import RequestFactory
from django.utils import translation

from traceobject.views import server_error


def _goto(path: str):
    return lambda page, code, **_: page.goto(f"/{code}{path}")


def _receipt_status(page, code, *, receipt, **_):
    page.goto(f"/{code}/receipt/")
    page.locator("#id_receipt").fill(receipt)
    page.locator("main form button[type=submit]").click()
    page.locator("#tip-status").wait_for()


def _rate_limited(page, code, **_):
    """The report form's POST answered with the 429 page (the caller closes the budget)."""
    page.goto(f"/{code}/report/")
    page.locator("#id_body").fill("Text that must be given back to the visitor.")
    page.locator("main form button[type=submit]").click()
    page.locator("#written").wait_for()


def _server_error(page, code, **_):
    """The 500 page as the server writes it, at an address of our own server (so its
    stylesheets load): the browser is answered by the real error view's output."""

    def answer(route) -> None:
        with translation.override(code):
            failed = RequestFactory().post(f"/{code}/report/", {"body": "What I wrote."})
            body = server_error(failed).content.decode()
        route.fulfill(status=500, content_type="text/html; charset=utf-8", body=body)

    page.route("**/__server_error__/", answer)
    page.goto(f"/{code}/__server_error__/")
    page.unroute("**/__server_error__/")


PAGES = {
    "gallery": _goto("/"),
    "object": lambda page, code, *, mug, **_: page.goto(f"/{code}/objects/{mug.code}/"),
    "tip-form": lambda page, code, *, mug, **_: page.goto(f"/{code}/objects/{mug.code}/tip/"),
    "report": _goto("/report/"),
    "receipt-check": _goto("/receipt/"),
    "receipt-status": _receipt_status,
    "privacy": _goto("/privacy/"),
    "about": _goto("/about/"),
    "results": _goto("/results/"),
    "404": _goto("/no-such-page/"),
    "429": _rate_limited,
    "500": _server_error,
}
