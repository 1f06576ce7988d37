from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "spotcheck.records"
    label = "records"
    verbose_name = "行政许可与行政处罚"

    def ready(self) -> None:
        from spotcheck.records import imports  # noqa: F401  (registers the licence and penalty importers)
