from django.db import OperationalError

from network import envelope
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def network_cleanup() -> int:
    return envelope.network_cleanup()
