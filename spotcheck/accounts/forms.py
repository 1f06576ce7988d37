from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts import throttle


class ThrottledLoginForm(AuthenticationForm):
    """The login form, refusing an account or address after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确 / wrong username or password"),
        "throttled": _(
            "登录失败次数过多，请稍后再试 / too many failed logins, please try again later"
        ),
    }

    @sensitive_variables()  # the password and the known device's token
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        address = throttle.client_address(self.request) if self.request else None
        if username and throttle.is_throttled(username, address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.record_failure(username, address)
            raise
        throttle.clear_failures(username)
        return cleaned
