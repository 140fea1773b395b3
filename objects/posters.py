"""Printable posters of an object (/fr/objects/<code>/poster/, ?size=a3) and their PDFs,
printed by headless Chromium (docs/architecture.md says how and why)."""

from __future__ import annotations

import mimetypes
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.storage import default_storage
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from objects.embed import owner_name_html
from objects.models import ObjectState
from objects.selectors import object_page_get
from objects.views import public_page

POSTER_SIZES = ("a4", "a3")
CHROMIUM_MISSING = (
    "Chromium is needed to print posters to PDF and was not found at {path}. Install it "
    "(Debian/Ubuntu: apt-get install chromium) or set CHROMIUM to its path, and install "
    "Playwright's Python package (pip install playwright); no browser download is needed. "
    "Without them, open the poster page in any browser and use Print → Save as PDF."
)


def object_public_url(code: str) -> str:
    """The object's page in the active language, at the public address (SITE_URL)."""
    return settings.SITE_URL.rstrip("/") + reverse("objects:detail", args=[code])


def qr_svg(data: str) -> SafeString:
    """`data` as a QR code, an <svg> to inline (sized by CSS; no script, no request)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        border=4,  # the quiet zone the standard asks for: scanners need it
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    svg: str = image.to_string(encoding="unicode")
    # qrcode writes only its own path data: no text from the object reaches this string.
    return mark_safe(svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1))  # noqa: S308


@public_page
def poster(request: HttpRequest, code: str) -> HttpResponse:
    obj = object_page_get(code=code)
    # A poster asks for tips: only for an object still searched for.
    if obj is None or obj.state != ObjectState.PUBLISHED:
        raise Http404("No object searched for with this code.")
    size = request.GET.get("size", "a4")
    if size not in POSTER_SIZES:
        size = "a4"
    language = get_language()
    url = object_public_url(obj.code)
    return render(
        request,
        "objects/poster.html",
        {
            "obj": obj,
            "size": size,
            "other_size": "a3" if size == "a4" else "a4",
            "title": obj.text_in("title", language),
            "question": obj.text_in("questions", language),
            "region": obj.text_in("region_hint", language),
            "alt": obj.text_in("alt_text", language),
            "owner_name": owner_name_html(obj),
            "object_url": url,
            "short_url": url.split("://", 1)[-1].rstrip("/"),
            "qr_svg": qr_svg(url),
        },
    )


@dataclass(frozen=True)
class PosterJob:
    code: str
    language: str
    size: str
    path: Path


def chromium_path() -> str | None:
    return (
        shutil.which(settings.POSTER_CHROMIUM)
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _local_file(path: str) -> Path | None:
    """A static or public media file named by a URL path, read from disk as the web server
    in front of Django would serve it."""
    if path.startswith(settings.STATIC_URL):
        relative = path[len(settings.STATIC_URL) :]
        found = finders.find(relative)
        candidate = Path(found) if isinstance(found, str) else Path(settings.STATIC_ROOT) / relative
    elif path.startswith(settings.MEDIA_URL):
        relative = path[len(settings.MEDIA_URL) :]
        if not default_storage.exists(relative):
            return None
        candidate = Path(default_storage.path(relative))
    else:
        return None
    return candidate if candidate.is_file() else None


def _serve(route: Any, client: Any, origin: str) -> None:
    """Answer one browser request from this process: Django for pages, disk for files;
    anything outside the portal is refused, as the page's CSP would."""
    url = route.request.url
    if not url.startswith(origin + "/"):
        route.abort()
        return
    path = urlsplit(url).path
    local = _local_file(path)
    if local is not None:
        content_type = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=local.read_bytes(), content_type=content_type)
        return
    response = client.get(url[len(origin) :])
    route.fulfill(
        status=response.status_code, headers=dict(response.items()), body=response.content
    )


def _print(jobs: list[PosterJob], executable: str) -> None:
    from django.test import Client
    from playwright.sync_api import sync_playwright

    origin = settings.SITE_URL.rstrip("/")
    parts = urlsplit(origin)
    client = Client(HTTP_HOST=parts.netloc, secure=parts.scheme == "https")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.route("**/*", lambda route: _serve(route, client, origin))
            for job in jobs:
                with translation.override(job.language):
                    url = origin + reverse("reach:poster", args=[job.code])
                response = page.goto(f"{url}?size={job.size}", wait_until="load")
                if response is None or response.status != 200:
                    status = response.status if response else "no answer"
                    raise LookupError(f"{job.code} ({job.language}): the poster page said {status}")
                job.path.parent.mkdir(parents=True, exist_ok=True)
                page.pdf(path=str(job.path), prefer_css_page_size=True, print_background=True)
        finally:
            browser.close()


def posters_print(*, codes: list[str], languages: list[str], size: str, out: Path) -> list[Path]:
    """One PDF per object and language in `out` (CODE-LANG.pdf, CODE-LANG-a3.pdf)."""
    executable = chromium_path()
    if executable is None:
        raise RuntimeError(CHROMIUM_MISSING.format(path=settings.POSTER_CHROMIUM))
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        raise RuntimeError(CHROMIUM_MISSING.format(path=executable)) from exc
    suffix = "" if size == "a4" else f"-{size}"
    jobs = [
        PosterJob(code, language, size, out / f"{code}-{language}{suffix}.pdf")
        for code in codes
        for language in languages
    ]
    failure: list[BaseException] = []

    def run() -> None:
        try:
            _print(jobs, executable)
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)
        finally:
            connections.close_all()  # this thread's own database connection

    # Playwright's sync API refuses a thread that runs an asyncio loop (a caller's may);
    # a thread of its own never has one.
    worker = threading.Thread(target=run, name="object-posters")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return [job.path for job in jobs]
