from django.db import OperationalError

from network import envelope, services
from network.models import Partner
from network.refused import Refused
from traceobject.celery import RetryingTask
from traceobject.celery import app as celery_app


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def network_cleanup() -> int:
    return envelope.network_cleanup()


@celery_app.task(base=RetryingTask, autoretry_for=(OperationalError,))
def partners_refresh() -> int:
    """Daily: every partner's well-known read again, so a key rotation is followed."""
    refreshed = 0
    for partner_id in Partner.objects.filter(active=True).values_list("pk", flat=True):
        partner = Partner.objects.get(pk=partner_id)
        try:
            services.partner_refresh(partner=partner)
        except Refused:  # recorded; the keys we have stay accepted
            continue
        refreshed += 1
    return refreshed
