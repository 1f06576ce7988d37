"""Field work, review, follow-up and corrections (staff)."""

from django.urls import path

from spotcheck.results import views

app_name = "results"
urlpatterns = [
    path("", views.my_tasks, name="mine"),
    path("review/", views.review_queue, name="review_queue"),
    path("overdue/", views.overdue, name="overdue"),
    path("<int:pk>/", views.task_detail, name="task"),
    path("<int:pk>/items/<str:item>/", views.save_item, name="entry"),
    path("<int:pk>/items/<str:item>/save/", views.autosave, name="autosave"),
    path("<int:pk>/items/<str:item>/samples/", views.add_sample, name="sample"),
    path("<int:pk>/items/<str:item>/attachments/", views.add_attachments, name="attach"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("<int:pk>/attachments/<int:attachment_id>/remove/", views.remove_attachment, name="attachment_remove"),
    path("<int:pk>/samples/<int:sample_id>/remove/", views.remove_sample, name="sample_remove"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/follow-up/", views.follow_up, name="follow_up"),
    path("<int:pk>/follow-up/<int:record_id>/document/", views.follow_up_document, name="follow_up_document"),
    path("<int:pk>/results/<int:result_id>/correct/", views.correct, name="correct"),
]
