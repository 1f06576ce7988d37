"""The public record of a drawn plan: its selected list paged and searchable, labelled on a phone,
long hashes shortened with a copy button and the whole value on demand (issue #11)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from spotcheck.plans import views as plan_views
from tests.test_results import drawn

pytestmark = pytest.mark.django_db
EVERYONE = {"general": {"ratio": "1"}, "foreign": {"ratio": "1"}, "heightened": {"ratio": "1"}}


@pytest.fixture
def plan(district):
    return drawn(strata=EVERYONE, capacity=100, honour_exemptions=False)


def page_of(plan, **params) -> str:
    return Client().get(reverse("portal:plan", args=[plan.pk]), params).content.decode()


def selected_rows(page: str) -> list[str]:
    body = page.split('id="selected"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return re.findall(r"<tr>.*?</tr>", body, re.S)


def test_the_selected_list_is_paged(plan, monkeypatch):
    total = plan.tasks.count()
    monkeypatch.setattr(plan_views, "SELECTED_PAGE", 40)
    pages = -(-total // 40)
    assert pages >= 2
    first, last = page_of(plan), page_of(plan, page=pages)
    assert len(selected_rows(first)) == 40 and f"共 {total} 家" in first
    assert len(selected_rows(last)) == total - 40 * (pages - 1)
    orders = {t.order for t in plan.tasks.all()}
    shown = set()
    for number in range(1, pages + 1):
        shown |= {int(re.search(r'<td data-label="#">(\d+)</td>', row).group(1))
                  for row in selected_rows(page_of(plan, page=number))}
    assert shown == orders


def test_the_selected_list_is_searched_by_code_or_name(plan):
    task = plan.tasks.order_by("order").first()
    by_code = selected_rows(page_of(plan, q=task.entity.uscc.lower()))
    assert len(by_code) == 1 and task.entity.uscc in by_code[0]
    by_name = selected_rows(page_of(plan, q=task.entity.name))
    assert any(task.entity.uscc in row for row in by_name)
    nothing = page_of(plan, q="没有这个主体")
    assert "没有符合条件的市场主体" in nothing and "共 0 家" in nothing


def test_every_cell_keeps_its_label_and_hashes_are_shortened(plan):
    page = page_of(plan)
    for row in selected_rows(page):
        cells = re.findall(r"<td( [^>]*)?>", row)
        assert cells and all('data-label="' in (attrs or "") for attrs in cells)
    commitment = plan.commitments.get(status="drawn")
    # The whole value is there (to copy, and to read under 全文), but shown shortened.
    assert f'data-copy="{commitment.commitment}"' in page
    assert f">{commitment.commitment[:12]}…{commitment.commitment[-4:]}</code>" in page
    assert "<summary>全文</summary>" in page and "spotcheck/copy.js" in page
    # Strata in the page's language only.
    assert "（general）" not in page and "一般" in page


def test_the_certificate_keeps_each_row_whole_on_one_page(plan):
    import io

    from pypdf import PdfReader

    from spotcheck.directory.models import Entity

    for entity in Entity.objects.all():  # long names wrap over several lines
        entity.name = f"重庆市巴南区{entity.pk}号长名称商贸有限责任公司李家沱第{entity.pk}分公司"
        entity.save(update_fields=["name"])
    response = Client().get(reverse("portal:certificate", args=[plan.pk]))
    pages = [page.extract_text().replace("\n", "") for page in PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) >= 3
    for task in plan.tasks.select_related("entity"):
        holding = [n for n, text in enumerate(pages) if task.entity.uscc in text]
        assert len(holding) == 1, task.entity.uscc
        assert task.entity.name in pages[holding[0]], task.entity.name  # not split from its code


def test_the_certificate_is_chinese_whoever_asks_first(plan):
    import io

    from pypdf import PdfReader

    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get(reverse("portal:certificate", args=[plan.pk]))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "随机抽查抽取证明" in text and "一般" in text and "General" not in text
