from django.urls import path

from spotcheck.draws import views

app_name = "draws"
urlpatterns = [
    path("<int:pk>/draw/commit/", views.commit_view, name="commit"),
    path("<int:pk>/draw/ceremony/", views.ceremony, name="ceremony"),
]
