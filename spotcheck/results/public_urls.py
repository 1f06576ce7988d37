"""Published results and each entity's credit record (一公开, no login)."""

from django.urls import path

from spotcheck.results import public_views as views

app_name = "public_results"
urlpatterns = [
    path("results/", views.results, name="results"),
    path("results/export.<str:fmt>", views.export, name="export"),
    path("entities/<str:code>/", views.entity, name="entity"),
]
