"""Settings from the environment; production refuses insecure defaults."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from spotcheck.settings import database_from_url


def test_sqlite_urls():
    assert database_from_url("sqlite:///data/x.sqlite3")["NAME"] == "data/x.sqlite3"
    assert database_from_url("sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"
    assert database_from_url("sqlite:///:memory:")["NAME"] == ":memory:"


def test_postgres_urls():
    db = database_from_url("postgres://u:p%40ss@db.example:5433/spot")
    assert (db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["NAME"]) == ("u", "p@ss", "db.example", "5433", "spot")
    socket = database_from_url("postgres://postgres@/spot?host=/tmp/pg")
    assert socket["HOST"] == "/tmp/pg" and socket["NAME"] == "spot"


def test_an_unknown_scheme_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        database_from_url("mysql://x/y")


def _spotcheck(*args, **env):
    full = {**os.environ, "DATABASE_URL": "sqlite:///:memory:", **env}
    full.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run([sys.executable, "-m", "spotcheck", *args], capture_output=True, text=True,
                          env=full, timeout=120)


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run([sys.executable, "-m", "spotcheck", "check"], capture_output=True, text=True,
                            env={**env, "DEBUG": "0", "DATABASE_URL": "sqlite:///:memory:"}, timeout=120)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_check_deploy_is_clean_in_production_settings():
    result = _spotcheck("check", "--deploy", "--fail-level", "WARNING", DEBUG="0",
                        SECRET_KEY="k" * 30 + "-a-long-random-production-secret-0123456789",
                        ALLOWED_HOSTS="spotcheck.example.gov.cn")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_rule_settings_come_from_the_environment():
    result = _spotcheck("shell", "--no-imports", "-c", "from django.conf import settings; print(settings.SPOTCHECK['max_draws_per_year'])",
                        SPOTCHECK_MAX_DRAWS_PER_YEAR="5")
    assert result.stdout.strip() == "5"
