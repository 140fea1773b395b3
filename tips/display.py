"""How staff pages show what a tipster wrote: escaped, and links never clickable."""

from __future__ import annotations

from django.utils.html import format_html_join
from django.utils.safestring import SafeString


def links_as_text(links: object) -> SafeString | str:
    """Each link on its own line as escaped plain text: never an <a>, never fetched."""
    if not isinstance(links, list) or not links:
        return "-"
    return format_html_join("\n", "<div>{}</div>", ((str(link),) for link in links))
