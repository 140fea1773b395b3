"""An object's images, for staff who may see the object (404 for anyone else)."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.translation import gettext as _

from objects.backoffice.common import ObjectAdmin, visible_object_or_404
from objects.media import private_storage


def image_view(
    request: HttpRequest, object_id: str, kind: str, *, model_admin: ObjectAdmin
) -> HttpResponseBase:
    obj = visible_object_or_404(model_admin, request, object_id)
    field = {"display": obj.display, "thumbnail": obj.thumbnail}.get(kind)
    if not field or not field.name:
        raise Http404(_("No such image."))
    response: HttpResponseBase
    if settings.PRIVATE_MEDIA_ACCEL_REDIRECT:
        # nginx sends the file from its `internal` location (deploy/nginx.conf).
        response = HttpResponse(content_type="image/jpeg")
        response["X-Accel-Redirect"] = f"/private-media/{field.name}"
    else:
        storage = private_storage()
        if not storage.exists(field.name):
            raise Http404(_("No such image."))
        response = FileResponse(storage.open(field.name, "rb"), content_type="image/jpeg")
    # Never kept by a browser's or a proxy's cache: an unpublished image stays in here.
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
