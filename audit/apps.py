from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from celery.signals import task_failure

        from audit.services import failed_task_record_from_signal

        # traceobject.celery imports no app; a task that fails for good is recorded here.
        task_failure.connect(failed_task_record_from_signal, dispatch_uid="audit_failed_task")
