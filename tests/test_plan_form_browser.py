"""The plan form on a phone, in a real browser (Playwright driving Debian's Chromium; #11, Plans 1–3)."""

from __future__ import annotations

import pytest

from spotcheck.plans.models import Plan
from tests.test_browser import _log_in, browser  # noqa: F401  (the module's browser fixture)

pytestmark = pytest.mark.django_db(transaction=True)

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
UNLABELLED_CELLS = ("[...document.querySelectorAll('table.list td')]"
                    ".filter(td => td.offsetParent !== null && !td.dataset.label).length")


def same_line(page, *selectors: str) -> bool:
    """Whether the elements sit on one line (their tops within a few pixels)."""
    tops = [page.locator(s).bounding_box()["y"] for s in selectors]
    return max(tops) - min(tops) < 4


def test_an_administrator_writes_a_joint_plan_on_a_phone(browser, live_server, personas, published, regions):  # noqa: F811
    page = _log_in(browser, live_server, "alice", phone=True)
    page.goto(f"{live_server.url}/plans/new/")
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.fill("input[name=name]", "手机上编制的联合抽查")
    wjw_item = page.locator("input[name=items][value='WJW-001']")
    assert page.is_visible("input[name=items][value='SCJGJ-001']") and not wjw_item.is_visible()
    # Ticking a joint department shows its items.
    page.check("input[name=other_departments][value='WJW']")
    assert wjw_item.is_visible()
    page.check("input[name=items][value='SCJGJ-001']")
    wjw_item.check()
    # A region found by its search box (Enter searches, it does not send the form), ticked by touch.
    search = page.locator("input[type=search][aria-controls=id_regions]")
    search.fill("鱼洞")
    search.press("Enter")
    assert page.is_hidden("input[name=regions][value='500113001']")
    page.check("input[name=regions][value='500113002']")
    # Each stratum's ratio and count on one line; both given is refused, both fields marked.
    for stratum in ("general", "foreign", "heightened"):
        assert same_line(page, f"#id_{stratum}_ratio", f"#id_{stratum}_count")
    page.fill("input[name=heightened_count]", "12")  # the ratio 0.20 is still filled in
    page.click("button:has-text('保存计划')")
    page.wait_for_selector(".form-errors")
    assert "比例和数量只能填写一项" in page.inner_text(".form-errors") and Plan.objects.count() == 0
    for field in ("heightened_ratio", "heightened_count"):
        assert page.get_attribute(f"#id_{field}", "aria-invalid") == "true"
    assert page.get_attribute("#id_general_ratio", "aria-invalid") is None
    assert page.is_visible("text=比例和数量只能填写一项")
    assert wjw_item.is_visible() and wjw_item.is_checked()  # the ticked department's items, as left
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.fill("input[name=heightened_ratio]", "")
    page.click("button:has-text('保存计划')")
    page.wait_for_selector("text=抽取预览")
    plan = Plan.objects.get()
    assert plan.department_codes == ["SCJGJ", "WJW"] and plan.items == ["SCJGJ-001", "WJW-001"]
    assert plan.scope["regions"] == ["500113002"] and plan.strata["heightened"] == {"count": 12}
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.evaluate(UNLABELLED_CELLS) == 0  # the preview's cells keep their labels on a phone
    assert page.csp_errors == []  # the form's script is served, not inline
    page.context.close()
