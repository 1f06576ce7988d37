from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "spotcheck.notices"
    verbose_name = "服务专栏"
    default_auto_field = "django.db.models.BigAutoField"
