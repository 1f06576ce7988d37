from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "spotcheck.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from spotcheck.accounts import checks  # noqa: F401  (registers the URL access check)
