from django.urls import path

from operations import views

urlpatterns = [path("", views.metrics_page, name="metrics")]
