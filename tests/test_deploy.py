"""The production-like setup (issue #9 §4): settings clean under `check --deploy`, the script's guard."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    return {**env, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "spotcheck.example.org",
            "DATABASE_URL": "sqlite:///:memory:", "DJANGO_SETTINGS_MODULE": "spotcheck.settings", **extra}


def test_the_production_settings_pass_the_deploy_check_without_a_warning():
    done = subprocess.run([sys.executable, "-m", "spotcheck", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_serves_static_files_with_whitenoise_compressed():
    code = ("from django.conf import settings; "
            "print(settings.MIDDLEWARE[1]); print(settings.STORAGES['staticfiles']['BACKEND'])")
    done = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=ROOT,
                          env=production_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["whitenoise.middleware.WhiteNoiseMiddleware",
                                   "whitenoise.storage.CompressedStaticFilesStorage"]


def test_the_production_script_refuses_without_postgresql(tmp_path):
    env = {**production_env(), "DATABASE_URL": "sqlite:///x.db", "SPOTCHECK_DATA_DIR": str(tmp_path)}
    done = subprocess.run([str(ROOT / "scripts" / "serve-production")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "PostgreSQL" in done.stderr
    assert not (tmp_path / "secret_key").exists()  # nothing started, nothing written
