"""The bench settings with a one-view URLconf: the ceiling a Django page can reach here."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.hello_urls"
