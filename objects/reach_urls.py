"""The public addresses that carry objects beyond the portal: feeds, cards and posters."""

from django.urls import path

from objects import feeds

app_name = "reach"

urlpatterns = [
    path("feed.atom", feeds.feed_atom, name="feed_atom"),
    path("feed.json", feeds.feed_json, name="feed_json"),
]
