from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "spotcheck.results"
    verbose_name = "检查结果"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spotcheck.results.selectors import register_result_source

        register_result_source()
