"""The results sheet (检查结果表): download and upload per plan and per task."""

from django.urls import path

from spotcheck.results import sheet_views

app_name = "sheets"
urlpatterns = [
    path("plan/<int:pk>/template.<str:fmt>", sheet_views.plan_template, name="plan_template"),
    path("plan/<int:pk>/upload/", sheet_views.plan_upload, name="plan_upload"),
    path("task/<int:pk>/template.<str:fmt>", sheet_views.task_template, name="task_template"),
    path("task/<int:pk>/upload/", sheet_views.task_upload, name="task_upload"),
]
