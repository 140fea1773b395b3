from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "tips"
    verbose_name = "Tips"

    def ready(self) -> None:
        from tips.places import place_index
        from traceobject.warmup import register

        # The town names (about 1.5 s to build) before a worker's first tip, not during it.
        register(place_index)
