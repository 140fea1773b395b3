"""Gallery render benchmark: the median time of one uncached render of the public gallery.

    make bench            (the embedded default: a fresh SQLite database in a temporary folder)
    python bench/gallery_render.py [RENDERS]

In-process, no HTTP and no page cache: the `gallery` view is called with a RequestFactory
request (LocaleMiddleware's language activated by hand), 30 published objects on the page.
CPU time of this process (time.process_time), so that other processes on a shared machine
do not count. It measures the view's own work: its three queries, the filter form and the template. A
second line times the same page through the test client (every middleware, the page cache
off) for the whole request. Target (docs/scaling.md): the view at most 4 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OBJECTS = 30
REGIONS = ["Bavaria", "Brittany", "Lombardy", "Masovia", "Porto"]


def setup() -> None:
    """Django on a fresh SQLite database holding OBJECTS published objects."""
    sys.path.insert(0, str(ROOT))
    folder = tempfile.mkdtemp(prefix="bench-gallery-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DEBUG", "true")
    os.environ["PAGE_CACHE_SECONDS"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traceobject.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from objects.models import Category, ObjectState, Outcome, TracedObject
    from objects.services import case_ensure
    from tests.factories import bare_published_object, persona

    settings.DEBUG = False  # as in production: no query log, the cached template loader
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.SECURE_SSL_REDIRECT = False

    call_command("migrate", verbosity=0, interactive=False)
    ines, sam = persona("ines"), persona("sam")
    case = case_ensure(reference="CASE-BENCH", owner=ines, title="Bench")
    categories = [value for value, _ in Category.choices]
    for number in range(OBJECTS):
        obj = bare_published_object(
            case,
            ines,
            sam,
            title=f"Object {number}",
            category=categories[number % len(categories)],
            region_hint=REGIONS[number % len(REGIONS)],
            thumbnail=f"objects/thumbs/{number}.jpg",
            thumbnail_width=480,
            thumbnail_height=360,
        )
        if number % 5 == 0:  # every fifth one identified: its card carries the badge
            TracedObject.objects.filter(pk=obj.pk).update(
                state=ObjectState.IDENTIFIED, outcome=Outcome.COUNTRY_NARROWED
            )


def main() -> None:
    renders = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    setup()
    from django.test import Client, RequestFactory
    from django.utils import translation

    from objects.views import gallery

    factory = RequestFactory()

    def render_once() -> float:
        request = factory.get("/en/")
        started = time.process_time()
        with translation.override("en"):
            request.LANGUAGE_CODE = "en"
            response = gallery(request)
        elapsed = time.process_time() - started
        assert response.status_code == 200, response.status_code
        return elapsed * 1000

    for _ in range(20):  # warm up: templates compiled and cached, translations loaded
        render_once()
    view_ms = statistics.median(render_once() for _ in range(renders))

    client = Client()

    def request_once() -> float:
        started = time.process_time()
        response = client.get("/en/")
        elapsed = time.process_time() - started
        assert response.status_code == 200, response.status_code
        return elapsed * 1000

    for _ in range(20):
        request_once()
    client_ms = statistics.median(request_once() for _ in range(renders))
    print(f"gallery, {OBJECTS} objects, median of {renders} uncached renders:")
    print(f"  view (queries, form, template): {view_ms:6.2f} ms   (target 4 ms)")
    print(f"  whole request (test client):    {client_ms:6.2f} ms")


if __name__ == "__main__":
    main()
