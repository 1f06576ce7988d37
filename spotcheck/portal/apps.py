from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "spotcheck.portal"
    label = "portal"
    verbose_name = "公示门户"
