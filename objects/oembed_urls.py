"""oEmbed's one address, outside the language prefixes: its language is the pasted URL's."""

from django.urls import path

from objects import embed

urlpatterns = [path("oembed", embed.oembed, name="oembed")]
