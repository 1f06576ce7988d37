"""督促检查: the dashboard, each figure's XLSX, and the yearly report."""

from django.urls import path

from spotcheck.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:key>.xlsx", views.export, name="export"),
    path("report.pdf", views.report, name="report"),
]
