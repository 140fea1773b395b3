from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        from outbox.health import check_outbox
        from traceobject.health import register_check

        register_check("outbox", check_outbox)
