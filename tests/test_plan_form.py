"""The plan form as department staff expect it (#11, Plans 1–3): R4's one-or-the-other, the warning
of a count above its stratum, the chosen departments' items, regions and industries to tick."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from spotcheck.directory.models import Entity
from spotcheck.plans.models import Plan
from tests.conftest import make_uscc
from tests.test_plans import GOOD, create, form_data

pytestmark = pytest.mark.django_db


# --- R4: a ratio or a count, not both ---------------------------------------------------------

def test_the_plan_file_refuses_a_stratum_with_both_a_ratio_and_a_count(tmp_path, published):
    code, out = create(tmp_path, {**GOOD, "strata": {"heightened": {"ratio": "0.20", "count": 12}}})
    assert code == 1 and Plan.objects.count() == 0
    [error] = out["errors"]
    assert error["field"] == "strata.heightened" and "比例和数量只能给出一项" in error["message"]


# --- A count above the stratum: warned, not refused -------------------------------------------

@pytest.fixture
def fifty(regions):
    """Fifty general entities in industry H, none foreign or heightened."""
    for i in range(1, 51):
        Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="H",
                              region=regions[0], status="active")


def test_a_count_above_the_stratum_is_saved_with_a_warning_of_everyone(personas, login, published, fifty):
    alice = login(personas["alice"])
    response = alice.post(reverse("plans:create"), form_data(general_ratio="", general_count="999999"))
    assert response.status_code == 302  # a warning, not a refusal
    plan = Plan.objects.get()
    assert plan.strata["general"] == {"count": 999999}
    page = alice.get(reverse("plans:detail", args=[plan.pk])).content.decode()
    warning = page.split('class="notice-warn"')[1].split("</div>")[0]
    assert "分层“一般”的抽取数量999999大于该分层的候选数50" in warning
    assert "全部50家市场主体都将被抽取" in warning
    row = re.search(r'<tr><td data-label="分层">一般</td>.*?</tr>', page).group(0)
    assert '<td data-label="候选数">50</td>' in row and '<td data-label="将抽取">50</td>' in row  # all fifty
    assert "999999" in row and "超过候选数" in row
    assert "低于最低比例要求" not in page  # the count is no reason to refuse the draw
    assert "都将被抽取" not in page.split('role="alert"', 1)[-1]  # a warning, not among the refusals


def test_a_count_within_the_stratum_gives_no_warning(personas, login, published, fifty):
    alice = login(personas["alice"])
    alice.post(reverse("plans:create"), form_data(general_ratio="", general_count="50"))
    page = alice.get(reverse("plans:detail", args=[Plan.objects.get().pk])).content.decode()
    assert "notice-warn" not in page and "都将被抽取" not in page


def test_a_count_below_the_floor_is_still_refused_at_the_draw(personas, login, published, fifty):
    alice = login(personas["alice"])
    alice.post(reverse("plans:create"), form_data(general_ratio="", general_count="1"))
    page = alice.get(reverse("plans:detail", args=[Plan.objects.get().pk])).content.decode()
    assert "以下问题会使抽取被拒绝" in page and "低于最低比例要求的2" in page  # ceil(0.03 × 50) = 2
    assert "都将被抽取" not in page


