"""Benchmark: the in-browser verifier (/verify/) against ``python -m spotcheck.verify`` (issue #7).

1. Builds a spotcheck-draw/2 record of N candidates in three strata, P inspectors in two
   departments and a joint plan (``spotcheck.draw.v2.run``), and writes it to a temp file.
2. Times ``python -m spotcheck.verify RECORD`` in a subprocess, best of R.
3. Serves the real verify page (the Django template, rendered once), the static files and
   the record from a small HTTP server on 127.0.0.1 with the site's Content-Security-Policy,
   drives Debian's Chromium headless through Playwright, and times each hash engine
   (``?engine=js``, the synchronous SHA-256 of verify-core.js in a Web Worker, and
   ``?engine=webcrypto``, one crypto.subtle.digest promise per hash) from choosing the file
   to ``#verify-status[data-result]``, best of R. A main-thread heartbeat (every 10 ms)
   measures the longest pause of the tab while it verifies.

Usage: python bench/verify_browser.py [--candidates N] [--inspectors P] [--runs R]
The first ``ratio:`` line is the page's default engine (js) ÷ Python; the target is ≤ 10.
"""

from __future__ import annotations

import argparse
import mimetypes
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spotcheck import draw  # noqa: E402

STATIC = ROOT / "spotcheck" / "static"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
RULES = {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"}, "heightened": {"ratio": "0.20"}}


def build_record(candidates: int, inspectors: int) -> dict:
    """A joint-plan v2 record: N candidates in three strata, P inspectors in SCJGJ and WJW."""
    rng = random.Random(1)
    rows = [(f"91500113{i:010d}", rng.choices(["general", "foreign", "heightened"], [90, 5, 5])[0])
            for i in range(candidates)]
    pool = [(f"P{i:05d}", "SCJGJ" if i % 5 < 3 else "WJW") for i in range(inspectors)]
    conflicts = sorted({(rng.choice(pool)[0], rng.choice(rows)[0]) for _ in range(inspectors)})
    return draw.v2.run(
        plan={"id": "bench", "name": "浏览器验证基准", "departments": ["SCJGJ", "WJW"], "items": ["SCJGJ-001"]},
        committed_at="2026-12-01T09:00:00+08:00", drawn_at="2026-12-01T10:00:00+08:00",
        server_secret="ab" * 32, public_entropy="3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4",
        rows=rows, inspectors=pool, conflicts=conflicts, rules=RULES, team_size=3,
        required_departments=["SCJGJ", "WJW"],
    )


def time_python(path: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "spotcheck.verify", str(path)], cwd=ROOT,
                              capture_output=True, text=True)
        best = min(best, time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"python -m spotcheck.verify failed: {done.stdout}{done.stderr}")
    return best


def render_page() -> tuple[bytes, str]:
    """The real /verify/ page, rendered by Django's template engine; and the site's CSP."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings")
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from spotcheck.lib.headers import CONTENT_SECURITY_POLICY

    request = RequestFactory().get("/verify/")
    request.user = AnonymousUser()
    html = render_to_string("draws/verify.html", {"plan_id": ""}, request=request)
    return html.encode("utf-8"), CONTENT_SECURITY_POLICY


def serve(page: bytes, csp: str, record: Path) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            path = self.path.split("?")[0]
            if path == "/verify/":
                body, kind = page, "text/html; charset=utf-8"
            elif path == "/record.json":
                body, kind = record.read_bytes(), "application/json; charset=utf-8"
            elif path.startswith("/static/") and ".." not in path and (STATIC / path[8:]).is_file():
                file = STATIC / path[8:]
                body = file.read_bytes()
                kind = (mimetypes.guess_type(file.name)[0] or "application/octet-stream") + "; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


HEARTBEAT = """() => {
  window.__gap = 0; let last = performance.now();
  window.__beat = setInterval(() => { const now = performance.now(); window.__gap = Math.max(window.__gap, now - last); last = now; }, 10);
}"""


def time_browser(url: str, record: Path, engines: list[str], runs: int) -> dict[str, dict[str, float]]:
    from playwright.sync_api import sync_playwright

    figures: dict[str, dict[str, float]] = {}
    csp_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
        for engine in engines:
            best: dict[str, float] = {"wall": float("inf")}
            for _ in range(runs):
                page.goto(f"{url}/verify/?engine={engine}")
                page.evaluate(HEARTBEAT)
                started = time.perf_counter()
                page.set_input_files("#record-file", str(record))
                page.wait_for_selector("#verify-status[data-result]", timeout=600_000)
                wall = time.perf_counter() - started
                result = page.get_attribute("#verify-status", "data-result")
                if result != "valid":
                    raise SystemExit(f"the browser says {result} ({engine})")
                if wall < best["wall"]:
                    best = {"wall": wall, "page": float(page.get_attribute("#verify-status", "data-ms") or "nan") / 1000,
                            "gap": page.evaluate("window.__gap") / 1000}
            figures[engine] = best
        browser.close()
    if csp_errors:
        raise SystemExit(f"the page broke its Content-Security-Policy: {csp_errors}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--inspectors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="spotcheck-verify-"))
    record = build_record(args.candidates, args.inspectors)
    path = folder / "record.json"
    path.write_text(draw.dumps(record), encoding="utf-8")
    assert draw.verify(record) is None
    print(f"record: {args.candidates:,} candidates, {len(record['strata'])} strata, {args.inspectors} inspectors"
          f" in 2 departments, {len(record['selected']):,} selected, teams of {record['team_size']};"
          f" {path.stat().st_size / 1e6:.1f} MB")

    python = time_python(path, args.runs)
    print(f"python -m spotcheck.verify: {python:.2f} s (best of {args.runs}, with interpreter start-up)")

    server = serve(*render_page(), path)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    figures = time_browser(url, path, ["js", "webcrypto"], args.runs)
    server.shutdown()
    for engine, f in figures.items():
        print(f"browser, {engine} engine: {f['wall']:.2f} s to data-result (in the page {f['page']:.2f} s;"
              f" longest main-thread pause {f['gap'] * 1000:.0f} ms), ratio {f['wall'] / python:.2f}")
    print(f"ratio: {figures['js']['wall'] / python:.2f}")
    print(f"webcrypto ÷ js: {figures['webcrypto']['wall'] / figures['js']['wall']:.2f}")


if __name__ == "__main__":
    main()
