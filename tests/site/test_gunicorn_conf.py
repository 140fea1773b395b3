"""gunicorn's per-worker warm-up: what it names exists, and it leaves the work done."""

from tips.claims import country_names
from traceobject import gunicorn_conf


def test_each_worker_builds_the_country_names_before_its_first_request():
    country_names.cache_clear()
    gunicorn_conf.post_worker_init(worker=None)
    assert country_names.cache_info().currsize == 1
