from django.apps import AppConfig


class TipsConfig(AppConfig):
    name = "tips"
    verbose_name = "Tips"

    def ready(self) -> None:
        from tips.claims import country_names
        from traceobject.warmup import register

        # The CLDR country names in every language the tip page's claim marks need (0.3 s):
        # built before a web process's first request, not during an analyst's.
        register(country_names)
