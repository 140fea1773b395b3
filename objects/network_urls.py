"""The objects' address in the network of partner portals: one fixed, unprefixed URL (the
well-known document points partners at it)."""

from django.urls import path

from objects import network_feed

urlpatterns = [
    path("network/feed.json", network_feed.network_feed, name="network-feed"),
]
