from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language, get_language_from_path


def portal(request: HttpRequest) -> dict[str, object]:
    return {
        "PORTAL_NAME": settings.PORTAL_NAME,
        "PORTAL_OPERATOR": portal_operator(),
        "emergency_contacts": settings.EMERGENCY_CONTACTS,
        # Worked out only by the templates that show them (the public base, not the admin).
        "language_versions": SimpleLazyObject(lambda: language_versions(request)),
    }


def portal_operator() -> str:
    """Who runs the portal, in the page's language (settings.PORTAL_OPERATOR)."""
    texts = settings.PORTAL_OPERATOR
    return texts.get(get_language() or "", texts.get("", settings.PORTAL_NAME))


@dataclass(frozen=True)
class LanguageVersion:
    code: str
    name: str
    path: str  # this page (query string included) in that language
    url: str  # the same, absolute: hreflang links must be


def language_versions(request: HttpRequest) -> dict[str, object]:
    """This page in every language, and its unprefixed x-default address (which redirects
    by Accept-Language); empty for pages outside the language prefixes or not resolved."""
    prefix = get_language_from_path(request.path_info)
    if prefix is None or getattr(request, "resolver_match", None) is None:
        return {}
    full_path = request.get_full_path()
    versions = []
    for code, name in settings.LANGUAGES:
        path = translate_url(full_path, code)
        versions.append(LanguageVersion(code, name, path, request.build_absolute_uri(path)))
    unprefixed = full_path[len(prefix) + 1 :]
    return {"all": versions, "x_default": request.build_absolute_uri(unprefixed)}
