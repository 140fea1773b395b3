from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ObjectsConfig(AppConfig):
    name = "objects"
    verbose_name = "Objects and cases"

    def ready(self) -> None:
        from objects.roles import investigator_group_ensure

        # Runs after this app's permissions exist (auth's own handler runs first).
        post_migrate.connect(investigator_group_ensure, sender=self)
