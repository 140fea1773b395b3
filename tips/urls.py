from django.urls import path

from tips import views

app_name = "tips"

urlpatterns = [
    path("objects/<str:code>/tip/", views.tip_create, name="tip"),
    path("results/", views.results, name="results"),
    path("report/", views.report_create, name="report"),
    path("receipt/", views.receipt_check, name="receipt"),
    path("receipt/issued/", views.receipt_issued, name="receipt_issued"),
    path("receipt/add/", views.receipt_add, name="receipt_add"),
]
