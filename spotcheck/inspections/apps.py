from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "spotcheck.inspections"
    label = "inspections"
    verbose_name = "检查任务"

    def ready(self) -> None:
        from spotcheck.inspections.models import register_inspection_source

        register_inspection_source()
