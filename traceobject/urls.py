from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from moderation.admin_site import StaffAdminSite
from moderation.dashboard import dashboard_view
from traceobject import health, views

# Every ModelAdmin is registered with Django's default site; this gives it the two-factor
# login (moderation/admin_site.py) while keeping its name, so "admin:" URLs are unchanged.
admin.site.__class__ = StaffAdminSite
admin.site.site_header = settings.PORTAL_NAME + " back office"
admin.site.site_title = settings.PORTAL_NAME
admin.site.index_template = "admin/traceobject_index.html"  # adds the dashboard and inbox

# Works without the database: it renders no context processor (traceobject/views.py).
handler500 = "traceobject.views.server_error"

urlpatterns = [
    path("", include("objects.urls")),
    path("", include("tips.urls")),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz/", health.healthz, name="healthz"),
    path(
        "backoffice/dashboard/",
        admin.site.admin_view(dashboard_view),
        name="backoffice_dashboard",
    ),
    path("backoffice/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
