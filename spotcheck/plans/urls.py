from django.urls import path

from spotcheck.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/edit/", views.plan_edit, name="edit"),
    path("<int:pk>/plan.json", views.plan_export, name="export"),
    path("<int:pk>/<str:action>/", views.plan_action, name="action"),
]
