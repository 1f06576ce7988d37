"""The API's routers, one module per area, with the path prefix each is served under."""

from __future__ import annotations

from ninja import Router

from spotcheck.api.routers import catalog, directory, draws, meta, plans, public, records, results

ROUTERS: list[tuple[str, Router]] = [
    ("", meta.router),
    ("", directory.router),
    ("", catalog.router),
    ("", plans.router),
    ("", draws.router),
    ("", results.router),
    ("", records.router),
    ("", public.router),
]
