"""Login throttling that cannot lock everyone out (issue #12 §5): growing delays, known devices,
the client's address behind a trusted proxy, pruning.

The throttle's clock is frozen (``clock``) and moved by hand: no test waits.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts import throttle
from spotcheck.accounts.models import FailedLogin
from tests.conftest import PASSWORD

PROXY = "10.0.0.1"


class Clock:
    def __init__(self) -> None:
        self.time = timezone.now()

    def __call__(self):
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    frozen = Clock()
    monkeypatch.setattr(throttle, "now", frozen)
    return frozen


def browser(address="10.9.9.9", forwarded=None) -> Client:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return Client(REMOTE_ADDR=address, **extra)


def attempt(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("home")


def refused(response) -> str:
    """Return the throttle's message on a refused attempt (fails if the attempt was not throttled)."""
    assert response.status_code == 200
    page = response.content.decode()
    assert "登录失败次数过多" in page, page
    return page


def known_device(username: str, address="10.5.5.5", forwarded=None) -> Client:
    """Return a browser that has logged in to the account once (and logged out)."""
    client = browser(address, forwarded)
    assert logged_in(attempt(client, username, PASSWORD))
    client.post(reverse("logout"))
    return client


# --- Growing delays, not a hard lock --------------------------------------------------------------


def test_it_delays_an_account_after_repeated_failures(personas, clock):
    for _ in range(5):
        assert "用户名或密码不正确" in attempt(browser(), "alice", "wrong").content.decode()
    # Even the right password, from elsewhere, waits: the browser is not known to the account.
    assert "请在1秒后再试" in refused(attempt(browser("10.1.1.1"), "alice", PASSWORD))
    assert logged_in(attempt(browser(), "henry", PASSWORD))  # other accounts are unaffected
    clock.advance(1)
    assert logged_in(attempt(browser("10.1.1.1"), "alice", PASSWORD))


def test_the_delay_grows_and_is_shown_in_chinese(personas, clock):
    for _ in range(5):
        attempt(browser(), "alice", "wrong")
    waits = []
    for _ in range(5):
        page = refused(attempt(browser(), "alice", "wrong"))  # a refused attempt does not count
        waits.append(page.split("请在")[1].split("后再试")[0])
        clock.advance(2 ** len(waits) / 2)
        assert "用户名或密码不正确" in attempt(browser(), "alice", "wrong").content.decode()
    assert waits == ["1秒", "2秒", "4秒", "8秒", "16秒"]
    assert FailedLogin.objects.count() == 10
    # It never grows past the cap (15 minutes), and the cap passes like any delay.
    for _ in range(20):
        FailedLogin.objects.create(username="alice", address="10.9.9.9", at=clock())
    assert "请在15分钟后再试" in refused(attempt(browser(), "alice", PASSWORD))
    clock.advance(14 * 60 + 55)
    assert "请在5秒后再试" in refused(attempt(browser(), "alice", PASSWORD))
    clock.advance(5)
    assert logged_in(attempt(browser("10.1.1.1"), "alice", PASSWORD))


def test_wait_words():
    assert throttle.wait_text(timedelta(seconds=0.2)) == "1秒"
    assert throttle.wait_text(timedelta(seconds=59.5)) == "1分钟"
    assert throttle.wait_text(timedelta(seconds=64)) == "1分4秒"
    assert throttle.wait_text(timedelta(seconds=900)) == "15分钟"


def test_it_delays_an_address_trying_many_accounts(personas, settings, clock):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for name in ("x1", "x2", "x3"):
        attempt(browser("10.2.2.2"), name, "wrong")
    refused(attempt(browser("10.2.2.2"), "henry", PASSWORD))
    assert logged_in(attempt(browser("10.3.3.3"), "henry", PASSWORD))


def test_a_right_password_forgets_only_its_own_clients_failures(personas, clock):
    for _ in range(2):
        attempt(browser("10.7.7.7"), "alice", "wrong")  # a stranger
    for _ in range(2):
        attempt(browser("10.8.8.8"), "alice", "wrong")  # alice's typos
    assert logged_in(attempt(browser("10.8.8.8"), "alice", PASSWORD))
    assert list(FailedLogin.objects.values_list("address", flat=True)) == ["10.7.7.7"] * 2


def test_a_missing_password_checks_nothing_and_forgets_nothing(personas, clock):
    for _ in range(5):
        attempt(browser(), "alice", "wrong")
    attempt(browser(), "alice", "")
    assert FailedLogin.objects.count() == 5
    refused(attempt(browser(), "alice", PASSWORD))


def test_usernames_differing_in_case_share_a_count(personas, clock):
    for name in ("Alice", "ALICE", "alice", "aLiCe", "alicE"):
        attempt(browser(), name, "wrong")
    refused(attempt(browser("10.1.1.1"), "alice", PASSWORD))


# --- Nobody can lock the coordinator (or an office) out ----------------------------------------------


def test_strangers_hammering_an_account_cannot_stop_its_known_device(personas, clock):
    own = known_device("coordinator")
    for n in range(60):  # from sixty addresses, as fast as the delays allow
        attempt(browser(f"198.51.100.{n}"), "coordinator", "guess")
        clock.advance(30)
    assert FailedLogin.objects.filter(username="coordinator").count() > 5
    refused(attempt(browser("203.0.113.9"), "coordinator", PASSWORD))  # any other browser waits
    assert logged_in(attempt(own, "coordinator", PASSWORD))


def test_strangers_sharing_the_known_devices_address_cannot_stop_it(personas, clock):
    own = known_device("coordinator", address=PROXY)  # behind a proxy nobody configured
    for n in range(30):
        attempt(browser(PROXY), "coordinator" if n % 2 else f"user{n}", "guess")
    refused(attempt(browser(PROXY), "coordinator", PASSWORD))
    refused(attempt(browser(PROXY), "henry", PASSWORD))
    assert logged_in(attempt(own, "coordinator", PASSWORD))


def test_a_known_device_has_its_own_delay(personas, clock):
    own = known_device("alice")
    for _ in range(5):
        attempt(own, "alice", "wrong")
    assert "请在1秒后再试" in refused(attempt(own, "alice", PASSWORD))
    assert logged_in(attempt(browser("10.4.4.4"), "alice", PASSWORD))  # the account is not delayed
    clock.advance(1)
    assert logged_in(attempt(own, "alice", PASSWORD))
    assert not FailedLogin.objects.exists()


def test_a_device_is_known_only_to_the_accounts_that_logged_in_from_it(personas, clock):
    own = known_device("alice")
    for _ in range(5):
        attempt(browser("10.6.6.6"), "henry", "wrong")
    refused(attempt(own, "henry", PASSWORD))  # alice's browser is a stranger to henry
    # A shared computer remembers every account that logged in on it.
    clock.advance(1)
    assert logged_in(attempt(own, "henry", PASSWORD))
    own.post(reverse("logout"))
    for _ in range(5):
        attempt(browser("10.6.6.6"), "alice", "wrong")
        attempt(browser("10.6.6.6"), "henry", "wrong")
    assert logged_in(attempt(own, "alice", PASSWORD))
    own.post(reverse("logout"))
    assert logged_in(attempt(own, "henry", PASSWORD))


def test_the_device_cookie_is_signed_httponly_and_secure_in_production(personas, settings, clock):
    settings.SESSION_COOKIE_SECURE = True  # as DEBUG=0 sets it
    client = known_device("alice")
    cookie = client.cookies[throttle.DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    assert int(cookie["max-age"]) == settings.LOGIN_DEVICE_DAYS * 86400
    data = signing.loads(cookie.value, salt=throttle.DEVICE_SALT)
    assert data["accounts"] == ["alice"] and len(data["id"]) >= 16
    # A cookie written by hand, or signed with another key, names no known device.
    forged = browser()
    forged.cookies[throttle.DEVICE_COOKIE] = signing.dumps({"id": data["id"], "accounts": ["coordinator"]},
                                                           salt=throttle.DEVICE_SALT, key="another-key" * 5)
    # The accounts changed under the real signature.
    payload = signing.dumps({"id": data["id"], "accounts": ["coordinator"]}, salt=throttle.DEVICE_SALT,
                            compress=True).rsplit(":", 2)[0]
    tampered = browser()
    tampered.cookies[throttle.DEVICE_COOKIE] = ":".join([payload, *cookie.value.rsplit(":", 2)[1:]])
    for _ in range(5):
        attempt(browser("10.6.6.6"), "coordinator", "wrong")
    refused(attempt(forged, "coordinator", PASSWORD))
    refused(attempt(tampered, "coordinator", PASSWORD))


def test_an_expired_device_is_a_stranger(personas, settings, clock, monkeypatch):
    own = known_device("alice")
    for _ in range(5):
        attempt(browser("10.6.6.6"), "alice", "wrong")
    signed = signing.time.time()
    later = type("Time", (), {"time": staticmethod(lambda: signed + settings.LOGIN_DEVICE_DAYS * 86400 + 5)})
    monkeypatch.setattr(signing, "time", later)  # the cookie's signature is LOGIN_DEVICE_DAYS old
    refused(attempt(own, "alice", PASSWORD))
    monkeypatch.undo()  # a day earlier it was still known
    monkeypatch.setattr(throttle, "now", clock)
    assert logged_in(attempt(own, "alice", PASSWORD))


# --- The client's address behind a trusted proxy ---------------------------------------------------


def test_five_failures_behind_the_proxy_do_not_stop_another_user_behind_it(personas, settings, clock):
    settings.SPOTCHECK_TRUSTED_PROXIES = [PROXY]
    settings.LOGIN_FAILURES_PER_ADDRESS = 5
    for name in ("alice", "x1", "x2", "x3", "x4", "x5"):
        attempt(browser(PROXY, "203.0.113.7"), name, "wrong")
    assert set(FailedLogin.objects.values_list("address", flat=True)) == {"203.0.113.7"}
    refused(attempt(browser(PROXY, "203.0.113.7"), "henry", PASSWORD))  # the guesser's own address waits
    assert logged_in(attempt(browser(PROXY, "203.0.113.8"), "henry", PASSWORD))


def test_without_trusted_proxies_the_header_is_ignored(personas, settings, clock):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):  # a new forged address each time does not escape the address's count
        attempt(browser("10.2.2.2", f"192.0.2.{n}"), f"x{n}", "wrong")
    assert set(FailedLogin.objects.values_list("address", flat=True)) == {"10.2.2.2"}
    refused(attempt(browser("10.2.2.2", "192.0.2.99"), "henry", PASSWORD))


def address_of(remote, forwarded=None, trusted=()):
    from django.test import override_settings

    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    request = RequestFactory().get("/", REMOTE_ADDR=remote, **extra)
    with override_settings(SPOTCHECK_TRUSTED_PROXIES=list(trusted)):
        return throttle.client_address(request)


def test_the_client_address():
    assert address_of("10.0.0.1", "203.0.113.7") == "10.0.0.1"  # not configured: the header is not read
    assert address_of("10.0.0.1", "203.0.113.7", ["10.0.0.2"]) == "10.0.0.1"  # not from a trusted proxy
    assert address_of("10.0.0.1", "203.0.113.7", [PROXY]) == "203.0.113.7"
    assert address_of("10.0.0.1", "203.0.113.7", ["10.0.0.0/8"]) == "203.0.113.7"
    # The client may write the header too: only the right-most untrusted address counts.
    assert address_of("10.0.0.1", "192.0.2.1, 203.0.113.7", [PROXY]) == "203.0.113.7"
    # Through two trusted proxies.
    assert address_of("10.0.0.1", "192.0.2.1, 203.0.113.7, 10.0.0.9", ["10.0.0.0/24"]) == "203.0.113.7"
    assert address_of("10.0.0.1", "203.0.113.7:51000", [PROXY]) == "203.0.113.7"
    assert address_of("10.0.0.1", "[2001:db8::7]:443", [PROXY]) == "2001:db8::7"
    assert address_of("::1", "2001:db8::7", ["::1"]) == "2001:db8::7"
    # No header, an empty one, or junk where the client's address should be: the proxy's own.
    assert address_of("10.0.0.1", None, [PROXY]) == "10.0.0.1"
    assert address_of("10.0.0.1", "", [PROXY]) == "10.0.0.1"
    assert address_of("10.0.0.1", "203.0.113.7, unknown", [PROXY]) == "10.0.0.1"
    assert address_of("", "203.0.113.7", [PROXY]) is None


def test_a_trusted_proxy_that_is_not_an_address_stops_the_start(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from spotcheck.settings import networks_list

    monkeypatch.setenv("SPOTCHECK_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16, proxy.local")
    with pytest.raises(ImproperlyConfigured, match="proxy.local"):
        networks_list("SPOTCHECK_TRUSTED_PROXIES")
    monkeypatch.setenv("SPOTCHECK_TRUSTED_PROXIES", "10.0.0.1, 10.1.0.0/16, ::1")
    assert networks_list("SPOTCHECK_TRUSTED_PROXIES") == ["10.0.0.1/32", "10.1.0.0/16", "::1/128"]
    monkeypatch.delenv("SPOTCHECK_TRUSTED_PROXIES")
    assert networks_list("SPOTCHECK_TRUSTED_PROXIES") == []


# --- Pruning -------------------------------------------------------------------------------------


def test_each_failure_prunes_records_older_than_the_window(personas, settings, clock):
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 24 * 60
    day = timedelta(days=1)
    FailedLogin.objects.create(username="x", address="10.1.1.1", at=clock() - day - timedelta(seconds=1))
    FailedLogin.objects.create(username="y", address=None, at=clock() - 3 * day)
    kept = FailedLogin.objects.create(username="z", address="10.1.1.1", at=clock() - day + timedelta(minutes=1))
    attempt(browser(), "alice", "wrong")
    assert sorted(FailedLogin.objects.values_list("username", flat=True)) == ["alice", "z"]
    assert FailedLogin.objects.filter(pk=kept.pk).exists()
    # A failure older than the window no longer counts, even before it is pruned.
    for _ in range(5):
        FailedLogin.objects.create(username="henry", address="10.1.1.1", at=clock() - day - timedelta(seconds=5))
    assert logged_in(attempt(browser("10.4.4.4"), "henry", PASSWORD))


def test_prune_follows_the_window_setting(db, settings, clock):
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 60
    FailedLogin.objects.create(username="old", at=clock() - timedelta(minutes=61))
    FailedLogin.objects.create(username="new", at=clock() - timedelta(minutes=59))
    assert throttle.prune() == 1
    assert list(FailedLogin.objects.values_list("username", flat=True)) == ["new"]
