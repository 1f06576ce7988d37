from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from spotcheck.accounts import throttle


class ThrottledLoginForm(AuthenticationForm):
    """The login form, delaying the next attempt after failures (accounts.throttle).

    A browser that logged in to the account before (a known device) has its own
    count, so strangers' failures never stop the right password from it.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("用户名或密码不正确"),
        "throttled": _("登录失败次数过多，请在%(wait)s后再试。"),
    }

    @sensitive_variables()  # the password and the known device's token
    def clean(self):
        username = (self.cleaned_data.get("username") or "").strip()
        if not username or not self.cleaned_data.get("password"):
            return super().clean()  # a field is missing: no password is checked, nothing counts
        address = throttle.client_address(self.request) if self.request else None
        device = throttle.known_device(self.request, username) if self.request else None
        remaining = throttle.wait(username, address, device)
        if remaining:
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled",
                                        params={"wait": throttle.wait_text(remaining)})
        # Counted before the password is checked, so that simultaneous guesses see each other.
        attempt = throttle.record_failure(username, address, device)
        cleaned = super().clean()
        if self.user_cache is not None:
            throttle.succeeded(attempt, username, address, device)
        return cleaned
