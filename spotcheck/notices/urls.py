"""The service column's staff pages (服务专栏管理)."""

from django.urls import path

from spotcheck.notices import views

app_name = "notices"
urlpatterns = [
    path("", views.manage, name="manage"),
    path("new/<str:code>/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/attachments/", views.attach, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:pk>/attachments/<int:attachment_id>/remove/", views.detach, name="detach"),
]
