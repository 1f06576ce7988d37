"""The public service column (服务专栏, no login): notices and service guides, and their Atom feeds."""

from django.urls import path

from spotcheck.notices import public_views as views

app_name = "public_notices"
urlpatterns = [
    path("", views.index, name="index"),
    path("feed.atom", views.feed, name="feed"),
    path("departments/<str:code>/", views.department, name="department"),
    path("departments/<str:code>/feed.atom", views.department_feed, name="department_feed"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
