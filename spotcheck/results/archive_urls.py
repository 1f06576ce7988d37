"""The archive (入卷归档): per-task PDF record forms and the plan's ZIP."""

from django.urls import path  # noqa: F401

app_name = "archive"
urlpatterns: list = []
