"""Paging a long list without counting all of it."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.core.paginator import Paginator


class CappedPaginator(Paginator):
    """Count at most ``cap`` rows (then ``capped``): a million-row directory is not counted per page.

    The count reads ``cap + 1`` rows at most (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``);
    past the cap the list pages through its first ``cap`` rows and says there are more.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int = 10_000, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def seen(self) -> int:
        rows: Any = self.object_list  # a QuerySet
        return rows.order_by()[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.seen, self.cap)

    @property
    def capped(self) -> bool:
        return self.seen > self.cap
