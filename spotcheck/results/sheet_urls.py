"""The results sheet (检查结果表): download and upload per plan and per task."""

from django.urls import path  # noqa: F401

app_name = "sheets"
urlpatterns: list = []
