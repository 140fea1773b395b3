from django.urls import path

from network import views

urlpatterns = [
    path(".well-known/traceobject.json", views.well_known, name="network-well-known"),
    path("network/inbox/", views.inbox, name="network-inbox"),
]
