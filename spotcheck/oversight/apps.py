from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "spotcheck.oversight"
    verbose_name = "督促检查"
    default_auto_field = "django.db.models.BigAutoField"
