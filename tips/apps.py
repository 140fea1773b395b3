from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "tips"
    verbose_name = "Tips"

    def ready(self) -> None:
        from tips.claims import country_names
        from tips.inbound import handlers_register
        from traceobject.warmup import register

        # The CLDR country names in every language the tip page's claim marks need (0.3 s):
        # built before a web process's first request, not during an analyst's.
        register(country_names)
        # What partner portals' messages about tips do here (network.inbox calls them).
        handlers_register()
        # Not the town names (tips/places.py, ~130 MiB): with a worker running, a web process
        # extracts no claims; the worker (or import_tips) builds them at its first tip.
