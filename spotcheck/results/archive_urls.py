"""The archive (入卷归档): per-task PDF record forms and the plan's ZIP."""

from django.urls import path

from spotcheck.results import archive_views as views

app_name = "archive"
urlpatterns = [
    path("task/<int:pk>.pdf", views.task_pdf, name="task_pdf"),
    path("plan/<int:pk>/", views.plan_archive, name="plan"),
    path("plan/<int:pk>/status.json", views.plan_archive_status, name="plan_status"),
    path("plan/<int:pk>.zip", views.plan_zip, name="plan_zip"),
]
