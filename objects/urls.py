from django.urls import path

from objects import views

app_name = "objects"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("objects/<str:code>/", views.object_detail, name="detail"),
]
