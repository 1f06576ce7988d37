from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "spotcheck.catalog"
    label = "catalog"
    verbose_name = "随机抽查事项清单"

    def ready(self) -> None:
        from spotcheck.catalog import imports  # noqa: F401  (registers the item and history importers)
