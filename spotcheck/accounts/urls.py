from django.urls import path

from spotcheck.accounts import users

app_name = "users"
urlpatterns = [
    path("", users.user_list, name="list"),
    path("new/", users.user_create, name="create"),
    path("<int:pk>/", users.user_edit, name="edit"),
    path("<int:pk>/disable/", users.user_disable, name="disable"),
    path("<int:pk>/enable/", users.user_enable, name="enable"),
    path("<int:pk>/reset-password/", users.user_reset_password, name="reset_password"),
    path("<int:pk>/reset-link/", users.user_reset_link, name="reset_link"),
]
