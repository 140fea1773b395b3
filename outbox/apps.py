from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        from celery.signals import task_success

        from outbox.health import check_outbox
        from outbox.services import outbox_done_from_signal
        from traceobject.health import register_check

        register_check("outbox", check_outbox)
        # A row is done when its task has run, not when the broker took it.
        task_success.connect(outbox_done_from_signal, dispatch_uid="outbox_done")
