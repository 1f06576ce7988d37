from django.urls import path

from spotcheck.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.manage, name="manage"),
    path("<str:code>/draft/", views.draft, name="draft"),
    path("<str:code>/draft/items/new/", views.item_edit, name="item_new"),
    path("<str:code>/draft/items/<str:item_code>/", views.item_edit, name="item_edit"),
    path("<str:code>/draft/items/<str:item_code>/remove/", views.item_remove, name="item_remove"),
    path("<str:code>/draft/publish/", views.publish, name="publish"),
    path("<str:code>/draft/discard/", views.discard, name="discard"),
]
