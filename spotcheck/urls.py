from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from spotcheck.accounts import users
from spotcheck.accounts import views as accounts
from spotcheck.accounts.access import public
from spotcheck.api.api import urls as api_urls
from spotcheck.portal.views import set_language

urlpatterns = [
    path("", include("spotcheck.portal.urls")),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("accounts/password/", users.password_change, name="password_change"),
    path("accounts/reset/<str:token>/", users.password_reset, name="password_reset"),
    path("accounts/users/", include("spotcheck.accounts.urls")),
    path("accounts/tokens/", include("spotcheck.accounts.token_urls")),
    path("home/", accounts.home, name="home"),
    path("directory/", include("spotcheck.directory.urls")),
    path("audit/", include("spotcheck.audit.urls")),
    path("catalog/", include("spotcheck.catalog.urls")),
    path("plans/", include("spotcheck.draws.urls")),
    path("plans/", include("spotcheck.plans.urls")),
    path("tasks/", include("spotcheck.results.urls")),
    path("sheets/", include("spotcheck.results.sheet_urls")),
    path("archive/", include("spotcheck.results.archive_urls")),
    path("public/notices/", include("spotcheck.notices.public_urls")),
    path("public/", include("spotcheck.results.public_urls")),
    path("oversight/", include("spotcheck.oversight.urls")),
    path("api/v1/", api_urls()),
    path("notices/", include("spotcheck.notices.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    # Browsers ask for /favicon.ico on their own (feeds, bookmarks): send them to the icon.
    path("favicon.ico", public(RedirectView.as_view(url=static("spotcheck/favicon.svg"), permanent=True))),
]

handler403 = "spotcheck.portal.errors.forbidden"
handler404 = "spotcheck.portal.errors.not_found"
handler500 = "spotcheck.portal.errors.server_error"
