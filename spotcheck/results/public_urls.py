"""Published results and each entity's credit record (一公开, no login)."""

from django.urls import path  # noqa: F401

app_name = "public_results"
urlpatterns: list = []
