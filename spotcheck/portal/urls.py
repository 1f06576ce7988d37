from django.urls import path

from spotcheck.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/head.json", views.audit_head, name="audit_head"),
]
