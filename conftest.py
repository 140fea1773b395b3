"""Environment for the test run, set before Django reads its settings.

Tests run with production defaults (DEBUG off) except that no request is redirected to
HTTPS (tests that check the redirect turn it back on), and Celery tasks run in-process
unless a test starts a real worker.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "traceobject.settings")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
# A Fernet key used by tests only.
os.environ.setdefault("TIP_CONTACT_KEYS", "dGVzdC1vbmx5LWtleS1ub3QtZm9yLXByb2R1Y3Rpb24=")
os.environ.setdefault("SITE_URL", "https://tips.test")
# The network's keys, for tests only (32 bytes each in base64): the network is on in tests.
os.environ.setdefault("NETWORK_SIGNING_KEYS", "dGVzdC1vbmx5LW5ldHdvcmstc2lnbmluZy1rZXktMDE=")
os.environ.setdefault("NETWORK_ENCRYPTION_KEYS", "dGVzdC1vbmx5LW5ldHdvcmstc2VhbGluZy1rZXktMDE=")
os.environ["DEBUG"] = "false"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
os.environ.setdefault("CACHE_KEY_PREFIX", f"traceobject-test-{os.getpid()}")

# Read the settings now, with the variables above: pytest-django then sets Django up.
from django.conf import settings  # noqa: E402

settings.INSTALLED_APPS  # noqa: B018
