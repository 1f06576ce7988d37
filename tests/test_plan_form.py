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


def field_html(page: str, name: str) -> str:
    """Return the <input> tag of a text field."""
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)


def summary_of(page: str) -> str:
    return page.split('class="error form-errors"')[1].split("</div>")[0]


# --- R4: a ratio or a count, not both ---------------------------------------------------------

def test_a_stratum_given_both_a_ratio_and_a_count_is_refused_with_both_fields_marked(personas, login, published):
    response = login(personas["alice"]).post(reverse("plans:create"), form_data(
        heightened_ratio="0.20", heightened_count="12"))
    page = response.content.decode()
    assert response.status_code == 200 and Plan.objects.count() == 0  # not saved with the count winning
    summary = summary_of(page)
    assert "计划未保存，请修改以下问题" in summary
    for field in ("heightened_ratio", "heightened_count"):
        assert f'<a href="#id_{field}">' in summary  # each marked field is linked from the summary
        tag = field_html(page, field)
        assert 'aria-invalid="true"' in tag and f'aria-describedby="id_{field}_error"' in tag
        assert f'id="id_{field}_error"' in page
    assert summary.count("比例和数量只能填写一项") == 2
    assert " / " not in summary  # one language (Chinese), not both
    for field in ("general_ratio", "general_count", "foreign_ratio"):  # the other strata are not marked
        assert "aria-invalid" not in field_html(page, field)
    assert page.index("form-errors") < page.index('name="name"')  # the summary is at the top


def test_a_count_alone_is_saved_as_the_count(personas, login, published):
    alice = login(personas["alice"])
    response = alice.post(reverse("plans:create"), form_data(heightened_ratio="", heightened_count="12"))
    assert response.status_code == 302
    assert Plan.objects.get().strata == {"general": {"ratio": "0.03"}, "foreign": {"ratio": "0.10"},
                                         "heightened": {"count": 12}}


def test_a_bad_count_marks_the_count_not_the_ratio(personas, login, published):
    page = login(personas["alice"]).post(reverse("plans:create"), form_data(
        heightened_ratio="", heightened_count="x")).content.decode()
    assert "数量不是整数" in page and Plan.objects.count() == 0
    assert 'aria-invalid="true"' in field_html(page, "heightened_count")
    assert "aria-invalid" not in field_html(page, "heightened_ratio")


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


# --- Items of the chosen departments; regions and industries to tick ---------------------------

def test_items_are_grouped_by_department_the_lead_first(personas, login, published):
    page = login(personas["olga"]).get(reverse("plans:create")).content.decode()  # WJW leads
    groups = re.findall(r'<div class="item-group[^"]*" data-department="(\w+)"(.*?)</div>\s*(?=<div class="item-group|</div>)',
                        page, re.S)
    assert [code for code, _ in groups] == ["WJW", "SCJGJ"]
    wjw, scjgj = (html for _, html in groups)
    assert 'value="WJW-001"' in wjw and "SCJGJ-" not in wjw
    assert 'value="SCJGJ-001"' in scjgj and 'value="SCJGJ-002"' in scjgj and "WJW-" not in scjgj
    assert "区卫生健康委" in wjw and "区市场监管局" in scjgj
    assert 'data-lead="WJW"' in page
    # The page's script is a file (the CSP forbids inline scripts).
    assert '<script src="/static/spotcheck/planform.js"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_the_server_refuses_an_item_of_a_department_not_in_the_plan(personas, login, published):
    page = login(personas["alice"]).post(reverse("plans:create"), form_data(
        items=["SCJGJ-001", "WJW-001"])).content.decode()
    assert Plan.objects.count() == 0
    assert '<a href="#id_items">' in summary_of(page) and "该部门不在本计划中" in page


def test_an_item_of_a_ticked_joint_department_is_accepted(personas, login, published):
    response = login(personas["alice"]).post(reverse("plans:create"), form_data(
        other_departments=["WJW"], items=["SCJGJ-001", "WJW-001"]))
    assert response.status_code == 302
    assert Plan.objects.get().department_codes == ["SCJGJ", "WJW"]


def test_regions_and_industries_are_checkboxes_with_a_search_box(personas, login, published, regions):
    alice = login(personas["alice"])
    page = alice.get(reverse("plans:create")).content.decode()
    assert "<select" not in page  # no Ctrl-click list boxes
    for name in ("regions", "industries"):
        box = page.split(f'id="id_{name}"')[1].split("</fieldset>")[0]
        assert box.count('type="checkbox"') == {"regions": 2, "industries": 20}[name]
        assert f'aria-controls="id_{name}"' in page  # its search box
    assert re.search(r'value="H"[^>]*>\s*住宿和餐饮业</label>', page)  # industries by name
    assert re.search(r'value="500113002"[^>]*>\s*鱼洞街道</label>', page)
    response = alice.post(reverse("plans:create"), form_data(regions=["500113002"], industries=["H", "F"]))
    assert response.status_code == 302
    assert Plan.objects.get().scope == {"regions": ["500113002"], "industries": ["H", "F"], "entity_types": []}


def test_the_edit_form_shows_a_count_and_the_ticked_departments(personas, login, published):
    alice = login(personas["alice"])
    alice.post(reverse("plans:create"), form_data(other_departments=["WJW"], items=["SCJGJ-001", "WJW-001"],
                                                  heightened_ratio="", heightened_count="12"))
    page = alice.get(reverse("plans:edit", args=[Plan.objects.get().pk])).content.decode()
    assert 'value="12"' in field_html(page, "heightened_count")
    assert "value=" not in field_html(page, "heightened_ratio")
    assert re.search(r'<input[^>]*name="other_departments" value="WJW"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="items" value="WJW-001"[^>]*checked', page)
