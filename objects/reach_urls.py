"""The public addresses that carry objects beyond the portal: feeds, cards and posters."""

from django.urls import path

from objects import embed, feeds, posters

app_name = "reach"

urlpatterns = [
    path("feed.atom", feeds.feed_atom, name="feed_atom"),
    path("feed.json", feeds.feed_json, name="feed_json"),
    path("embed/objects/<str:code>/", embed.embed_card, name="embed"),
    path("objects/<str:code>/poster/", posters.poster, name="poster"),
]
