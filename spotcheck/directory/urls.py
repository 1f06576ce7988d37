from django.urls import path

from spotcheck.directory import views

app_name = "directory"
urlpatterns = [
    path("entities/", views.entity_list, name="entity_list"),
    path("entities/export.<str:fmt>", views.entity_export, name="entity_export"),
    path("entities/<str:uscc>/", views.entity_detail, name="entity_detail"),
    path("inspectors/", views.inspector_list, name="inspector_list"),
    path("inspectors/export.<str:fmt>", views.inspector_export, name="inspector_export"),
    path("inspectors/conflicts/declare/", views.conflict_declare, name="conflict_declare"),
    path("inspectors/conflicts/<int:pk>/confirm/", views.conflict_confirm, name="conflict_confirm"),
    path("inspectors/<str:cert_no>/", views.inspector_detail, name="inspector_detail"),
    path("imports/<str:kind>/", views.import_upload, name="import_upload"),
    path("imports/jobs/<int:pk>/", views.import_job, name="import_job"),
    path("imports/jobs/<int:pk>/status.json", views.import_job_status, name="import_job_status"),
]
