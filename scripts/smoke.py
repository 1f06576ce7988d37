"""Prove the README's first command on this checkout: `make run` serves the demo district.

Runs `make run` on a free port in its own process group, in a fresh data folder
(as a new clone has none), waits (bounded) until the home page, a public plan
page and the login page answer 200 and a demo login succeeds, then stops it and
everything it started (the worker too). Then runs it a second time on the same
data and checks that the demo was not recreated and nothing was lost.

Usage: python scripts/smoke.py [--timeout SECONDS]   (what `make smoke` runs)
Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping client for one site."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=20) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str, str]:
        token = next((c.value for c in self.jar if c.name == "csrftoken"), "")
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}).encode(),
            headers={"Referer": self.base + path})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.geturl(), response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, self.base + path, error.read().decode("utf-8", "replace")


def wait_until_serving(browser: Browser, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"make run stopped early with status {process.returncode}")
        try:
            if browser.get("/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"make run did not serve within {timeout:.0f} s")


def check_site(base: str, password: str) -> list[str]:
    """Return what failed: the home page, a public plan, the login page, a demo login."""
    problems = []
    browser = Browser(base)
    status, _ = browser.get("/")
    if status != 200:
        problems.append(f"/ answered {status}")
    status, plans = browser.get("/public/plans/")
    match = re.search(r'href="(/public/plans/\d+/)"', plans)
    if status != 200 or not match:
        problems.append(f"/public/plans/ answered {status} without a plan")
    else:
        status, _ = browser.get(match.group(1))
        if status != 200:
            problems.append(f"{match.group(1)} answered {status}")
    status, _ = browser.get("/accounts/login/")
    if status != 200:
        problems.append(f"/accounts/login/ answered {status}")
    status, url, page = browser.post("/accounts/login/", {"username": "scjg_admin", "password": password})
    if status != 200 or url.endswith("/accounts/login/") or 'action="/accounts/logout/"' not in page:
        problems.append(f"the demo login did not succeed (status {status}, at {url})")
    return problems


def run_once(env: dict[str, str], port: int, timeout: float, password: str, label: str,
             logs: Path) -> list[str]:
    log = open(logs / f"make-run-{label}.log", "w")  # noqa: SIM115
    started = time.monotonic()
    process = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    problems: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(Browser(base), process, timeout)
        print(f"[{label}] serving {base} after {time.monotonic() - started:.0f} s")
        problems += check_site(base, password)
    finally:
        # Stop make, the web server and the worker: the whole process group.
        if not stop_group(process, signal.SIGTERM, 20) and not stop_group(process, signal.SIGKILL, 10):
            problems.append("processes of make run were still alive after it was stopped")
        process.wait()
        log.close()
    return problems


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_group(process: subprocess.Popen, sig: int, within: float) -> bool:
    """Send ``sig`` to the process's group; return True once none of it is left."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        process.poll()  # reap make itself, or its zombie keeps the group alive
        if not group_alive(process.pid):
            return True
        time.sleep(0.2)
    return False


def demo_counts(env: dict[str, str]) -> str:
    code = ("from spotcheck.directory.models import Entity, Inspector; from spotcheck.plans.models import Plan;"
            " from spotcheck.draws.models import Commitment;"
            " print(Entity.objects.count(), Inspector.objects.count(), Plan.objects.count(),"
            " list(Commitment.objects.values_list('commitment', flat=True)))")
    return subprocess.run([str(ROOT / ".venv/bin/spotcheck"), "shell", "--no-imports", "-c", code], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the first serve")
    args = parser.parse_args()
    password = os.environ.get("SPOTCHECK_DEMO_PASSWORD", "Banan-2015-250")
    with tempfile.TemporaryDirectory(prefix="spotcheck-smoke-") as tmp:
        data = Path(tmp) / "data"  # not created: a fresh clone has no data folder
        env = {**os.environ, "SPOTCHECK_DATA_DIR": str(data)}
        env.pop("DATABASE_URL", None)
        problems = run_once(env, free_port(), args.timeout, password, "first", Path(tmp))
        if not problems:
            before = demo_counts(env)
            problems = run_once(env, free_port(), args.timeout, password, "second", Path(tmp))
            after = demo_counts(env)
            if before != after:
                problems.append(f"the second run changed the demo: {before} → {after}")
        for line in problems:
            print(f"FAILED: {line}", file=sys.stderr)
        if problems:
            for log in sorted(Path(tmp).glob("make-run-*.log")):
                print(f"--- {log.name} (last lines)", file=sys.stderr)
                print("\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
            return 1
    print("smoke: make run serves the demo (/, a public plan, the login page, a demo login), twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
