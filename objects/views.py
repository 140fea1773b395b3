"""The public pages: the gallery and one object's page.

Any cache may serve these pages, so they never read `request.user` or `request.session`
(nor do their templates), carry no CSRF token and set no cookie. Reads are in selectors.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypedDict, cast

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from objects.models import Category, ObjectState
from objects.selectors import (
    object_public_get,
    objects_public_counts,
    objects_public_list,
    objects_public_regions,
)

GALLERY_PAGE_SIZE = 24
# Short enough that a newly published or identified object shows within a minute.
PUBLIC_MAX_AGE = 60


def public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET and HEAD only, and cacheable by any cache for PUBLIC_MAX_AGE seconds.

    Except for a staff member browsing with a session cookie: SESSION_SAVE_EVERY_REQUEST
    renews that cookie on every response, and a shared cache must never store it.
    """

    @require_safe
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
        else:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
        return response

    return wrapped


class GalleryFilters(TypedDict):
    category: str
    region: str
    hide_identified: bool


class GalleryFilterForm(forms.Form):
    """The gallery's GET filters; a value that is not an option is ignored, not an error."""

    category = forms.ChoiceField(
        label=_("Category"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    region = forms.ChoiceField(
        label=_("Region"), required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    hide_identified = forms.BooleanField(
        label=_("Hide identified objects"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input", "value": "1"}),
    )

    def __init__(self, data, *, regions: list[str]):
        super().__init__(data)
        # self.fields holds copies of the ChoiceFields above, typed as plain Fields.
        category = cast(forms.ChoiceField, self.fields["category"])
        category.choices = [("", _("All categories")), *Category.choices]
        region = cast(forms.ChoiceField, self.fields["region"])
        region.choices = [("", _("All regions")), *((r, r) for r in regions)]

    def filters(self) -> GalleryFilters:
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return {
            "category": self.cleaned_data.get("category", ""),
            "region": self.cleaned_data.get("region", ""),
            "hide_identified": self.cleaned_data.get("hide_identified", False),
        }


@public_page
def gallery(request: HttpRequest) -> HttpResponse:
    form = GalleryFilterForm(request.GET, regions=objects_public_regions())
    filters = form.filters()
    paginator = Paginator(objects_public_list(**filters), GALLERY_PAGE_SIZE)
    # get_page turns a missing or malformed number into page 1, one too large into the last.
    page_obj = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "objects/gallery.html",
        {
            "form": form,
            "filtered": any(filters.values()),
            "page_obj": page_obj,
            "page_range": paginator.get_elided_page_range(page_obj.number),
            "counts": objects_public_counts(),
            "ObjectState": ObjectState,
        },
    )


@public_page
def object_detail(request: HttpRequest, code: str) -> HttpResponse:
    obj = object_public_get(code=code)
    if obj is None:
        raise Http404("No public object with this code.")
    # The shared link is the unprefixed one: whoever opens it gets their own language.
    share_path = request.path_info[len(request.LANGUAGE_CODE) + 1 :]
    share_image = request.build_absolute_uri(obj.thumbnail.url) if obj.thumbnail else ""
    return render(
        request,
        "objects/object_detail.html",
        {
            "obj": obj,
            "ObjectState": ObjectState,
            "share_url": request.build_absolute_uri(share_path),
            "share_image": share_image,
        },
    )
