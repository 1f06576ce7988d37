from django.urls import path

from spotcheck.catalog import views as catalog
from spotcheck.draws import views as draws
from spotcheck.plans import views as plans
from spotcheck.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.index, name="index"),
    path("transparency/", views.transparency, name="transparency"),
    path("transparency/head.json", views.audit_head, name="audit_head"),
    path("items/", catalog.public_index, name="items"),
    path("items/<str:code>/", catalog.public_list, name="item_list"),
    path("items/<str:code>/v<int:version>/", catalog.public_list, name="item_version"),
    path("items/<str:code>/diff/", catalog.public_diff, name="item_diff"),
    path("public/plans/", plans.public_index, name="plans"),
    path("public/plans/<int:pk>/", plans.public_detail, name="plan"),
    path("public/plans/<int:pk>/record.json", draws.record_json, name="record"),
    path("public/plans/<int:pk>/selected.<str:fmt>", draws.selected_export, name="selected"),
    path("public/plans/<int:pk>/certificate.pdf", draws.certificate, name="certificate"),
    path("verify/", draws.verifier, name="verify"),
]
