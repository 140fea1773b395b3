"""The fault tests' private services (their own Redis, gunicorn, Celery), reused here."""

from tests.faults.conftest import (  # noqa: F401  (fixtures)
    collected_static,
    private_redis,
    processes,
    site_on_test_database,
    start_worker,
)
