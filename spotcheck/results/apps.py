from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "spotcheck.results"
    verbose_name = "检查结果"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from spotcheck.results import name_search
        from spotcheck.results.selectors import register_result_source

        register_result_source()
        # The public search's name index lives outside the models (see name_search).
        post_migrate.connect(name_search.ensure, sender=self, dispatch_uid="results_name_search")
