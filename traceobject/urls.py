from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from traceobject import health, views

# `admin.site` is the two-factor back office (moderation/admin_site.py), installed through
# moderation.apps.StaffAdminConfig; it adds its own pages, the dashboard among them.

# Works without the database: it renders no context processor (traceobject/views.py).
handler500 = "traceobject.views.server_error"

urlpatterns = [
    path("", include("objects.urls")),
    path("", include("tips.urls")),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz/", health.healthz, name="healthz"),
    path("backoffice/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
