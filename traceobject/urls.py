from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from traceobject import health, views

# Public pages live under a language prefix (/en/, /fr/, …), English included, so every
# language has its own URL for caches and search engines; an unprefixed public URL redirects
# (PublicLocaleMiddleware). `admin.site` is the two-factor back office
# (moderation/admin_site.py), installed through moderation.apps.StaffAdminConfig.

# Works without the database: it renders no context processor (traceobject/views.py).
handler500 = "traceobject.views.server_error"

urlpatterns = [
    path("healthz/", health.healthz, name="healthz"),
    path("metrics", include("operations.urls")),  # Bearer METRICS_TOKEN only
    # Browsers and feed readers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.ico")),
    path("backoffice/", admin.site.urls),
    # Partner portals: our signed identity and the inbox, at fixed addresses (docs/network.md).
    path("", include("network.urls")),
    # oEmbed consumers ask one fixed address; the language is the pasted URL's.
    path("", include("objects.oembed_urls")),
    # Partner portals poll it (docs/network.md): no language, like the other network URLs.
    path("", include("objects.network_urls")),
    *i18n_patterns(
        path("", include("objects.urls")),
        path("", include("objects.reach_urls")),
        path("", include("tips.urls")),
        path("about/", views.about, name="about"),
        path("privacy/", views.privacy, name="privacy"),
        prefix_default_language=True,
    ),
]

if settings.SERVE_MEDIA:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
