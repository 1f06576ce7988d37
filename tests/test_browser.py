"""Journeys a person clicks through, in a real browser (Playwright driving Debian's Chromium)."""

from __future__ import annotations

import os
import shutil

import pytest

from spotcheck.directory.models import Conflict, Entity
from tests.conftest import PASSWORD, csv_bytes, make_uscc
from tests.test_import_entities import HEADER, row

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.django_db(transaction=True)



@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in
    # the test itself are still synchronous and safe. Only for this module.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: `apt-get install chromium` (the .ci/run script does)")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(browser, live_server, username, phone=False):
    context = browser.new_context(
        viewport={"width": 390, "height": 844} if phone else {"width": 1280, "height": 900},
        locale="zh-CN",
    )
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text))
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{live_server.url}/home/")
    return page


@pytest.mark.parametrize("username,heading", [
    ("coordinator", "区协调办"), ("alice", "部门管理员"), ("henry", "部门负责人"),
    ("ian", "执法检查人员"), ("wanda", "监督见证人"),
])
def test_each_role_logs_in_and_sees_its_start_page(browser, live_server, personas, username, heading):
    page = _log_in(browser, live_server, username)
    assert heading in page.inner_text("h1")
    page.context.close()


def test_the_coordinator_uploads_entities_and_finds_one(browser, live_server, personas, regions, tmp_path):
    path = tmp_path / "entities.csv"
    path.write_bytes(csv_bytes(HEADER, [row(1, name="重庆浏览器测试有限公司"), row(2)]))
    page = _log_in(browser, live_server, "coordinator")
    page.click("text=导入")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].primary")
    page.wait_for_selector(".success")
    assert "新增 2" in page.inner_text(".success")
    page.click("header >> text=市场主体")
    page.fill("input[name=q]", "浏览器")
    page.click("form.filters button[type=submit]")
    assert "重庆浏览器测试有限公司" in page.inner_text("table.list")
    assert Entity.objects.count() == 2
    page.context.close()


def test_a_bad_upload_shows_each_row_and_writes_nothing(browser, live_server, personas, regions, tmp_path):
    path = tmp_path / "entities.csv"
    path.write_bytes(csv_bytes(HEADER, [row(1), row(2, industry="Z")]))
    page = _log_in(browser, live_server, "coordinator")
    page.goto(f"{live_server.url}/directory/imports/entities/")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].primary")
    page.wait_for_selector("table.errors")
    assert "industry" in page.inner_text("table.errors") and Entity.objects.count() == 0
    page.context.close()


def test_an_inspector_declares_a_conflict_on_a_phone(browser, live_server, personas):
    page = _log_in(browser, live_server, "ian", phone=True)
    page.click("text=查看档案与申报回避")
    page.fill("input[name=uscc]", make_uscc(42))
    page.fill("input[name=reason]", "亲属经营")
    page.click("text=提交申报")
    page.wait_for_selector(".messages")
    assert "等待部门管理员确认" in page.inner_text(".messages")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1  # no sideways scrolling on a phone
    assert Conflict.objects.get().status == "pending"
    page.context.close()


def test_the_language_switch_shows_english(browser, live_server, personas):
    page = _log_in(browser, live_server, "coordinator")
    page.click("form.lang button")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Entities" in page.inner_text("header") and "Log out" in page.inner_text("header")
    page.click("form.lang button")  # and back
    page.wait_for_load_state()
    assert "市场主体" in page.inner_text("header")
    page.context.close()


def test_the_draw_ceremony_from_plan_to_verified_record(browser, live_server, personas, published, regions):
    from datetime import date

    from spotcheck.directory.models import Inspector
    from spotcheck.draws.models import Commitment

    for i in range(1, 61):
        Entity.objects.create(uscc=make_uscc(i), name=f"主体{i}", entity_type="enterprise", industry="F",
                              region=regions[0], status="active")
    for n in range(2, 6):
        Inspector.objects.create(cert_no=f"S{n}", name=f"检查员{n}", department=personas["alice"].department,
                                 cert_expires_on=date(2030, 1, 1))
    alice = _log_in(browser, live_server, "alice")
    alice.click("header >> text=抽查计划")
    alice.click("text=编制新计划")
    alice.fill("input[name=name]", "浏览器抽取演练")
    alice.check("input[name=items][value='SCJGJ-001']")
    alice.click("button:has-text('保存计划')")
    alice.wait_for_selector("text=抽取预览")
    alice.click("button:has-text('提交审批')")
    alice.wait_for_selector("text=已提交审批")
    henry = _log_in(browser, live_server, "henry")
    henry.goto(alice.url)
    henry.click("button:has-text('批准')")
    henry.wait_for_selector("text=计划状态：已批准")
    alice.reload()
    from datetime import timedelta

    from django.utils import timezone

    soon = timezone.localtime() + timedelta(minutes=2)
    alice.fill("input[name=planned_draw_at]", soon.strftime("%Y-%m-%dT%H:%M"))
    alice.click("form.commit-form button:has-text('固定抽取范围并公布承诺')")
    alice.wait_for_selector("text=已公布的承诺")
    assert "在此之前不能抽取" in alice.inner_text("body")  # the announced time has not come
    Commitment.objects.update(planned_draw_at=timezone.now())  # …and now it has
    alice.reload()
    alice.fill("input[name=w0_name]", "李公证")
    alice.select_option("select[name=w0_capacity]", "notary")
    alice.fill("textarea[name=entropy]", "6 2 3 4 1 5 5 2 6 1 3 4 2 6 5 1 4 3 2 1")
    alice.click("button:has-text('开始抽取')")
    alice.wait_for_selector("table.draw-result")
    c = Commitment.objects.get()
    # The seed is shown shortened, whole under "全文" and on the copy button.
    assert f'data-copy="{c.seed}"' in alice.content() and "李公证" in alice.inner_text("body")
    assert f"{c.seed[:12]}…{c.seed[-4:]}" in alice.inner_text("body")
    # The public checks the published record in their own browser.
    public = browser.new_context().new_page()
    public.goto(f"{live_server.url}/verify/?plan={c.plan_id}")
    public.click("#load-plan")
    public.wait_for_selector("#verify-status[data-result]", timeout=120_000)
    assert public.get_attribute("#verify-status", "data-result") == "valid"
    public.context.close()
    assert alice.csp_errors == [] and henry.csp_errors == []  # nothing the pages need is blocked
    alice.context.close()
    henry.context.close()



def test_the_presentation_fills_a_projector_a_few_entries_at_a_time(browser, live_server, personas, district):
    from django.urls import reverse

    from tests.test_results import drawn

    plan = drawn(strata={"general": {"ratio": "1"}, "foreign": {"ratio": "1"}, "heightened": {"ratio": "1"}},
                 capacity=100, honour_exemptions=False)
    total = plan.tasks.count()
    alice = _log_in(browser, live_server, "alice")
    projector = browser.new_context(viewport={"width": 1920, "height": 1080},
                                    storage_state=alice.context.storage_state()).new_page()
    blocked: list[str] = []
    projector.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    projector.goto(f"{live_server.url}{reverse('draws:ceremony', args=[plan.pk])}?present=1")
    shown = projector.locator(".reveal-entry.on")
    assert shown.count() == 5 and projector.inner_text("[data-shown]") == "5"
    first = shown.all_inner_texts()
    assert plan.tasks.get(order=1).entity.name in first[0]
    size = projector.eval_on_selector(".reveal-entry.on .name", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 36  # readable from the back of a hall
    box = projector.locator(".reveal").bounding_box()
    assert box["width"] >= 1700  # the stage fills the width
    assert projector.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not projector.is_visible("header.site") and not projector.is_visible("table.draw-result")
    projector.keyboard.press("ArrowRight")
    assert shown.count() == 5 and shown.all_inner_texts() != first and projector.inner_text("[data-shown]") == "10"
    projector.click("[data-prev]")
    assert shown.all_inner_texts() == first
    for _ in range(total):
        projector.click("[data-next]")
    assert projector.inner_text("[data-shown]") == str(total)
    assert shown.count() == total - (total - 1) // 5 * 5
    assert blocked == []  # the script is served, not inline
    projector.context.close()
    alice.context.close()


@pytest.mark.parametrize("username", ["coordinator", "alice", "henry", "ian", "wanda", None])
def test_the_navigation_fits_one_line_at_1280_and_folds_into_a_menu_on_a_phone(browser, live_server, personas,
                                                                                 username):
    def header_of(page):
        return page.locator("header.site").bounding_box()

    if username:
        desk = _log_in(browser, live_server, username)
        storage = desk.context.storage_state()
    else:
        desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
        desk.goto(f"{live_server.url}/")
        storage = None
    desk.goto(f"{live_server.url}/")
    links = desk.locator("header.site nav > a, header.site nav > details > summary")
    tops = {round(box["y"]) for box in (links.nth(n).bounding_box() for n in range(links.count()))}
    assert len(tops) == 1, tops  # every entry on one line
    assert header_of(desk)["height"] <= 64
    assert desk.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                storage_state=storage).new_page()
    phone.goto(f"{live_server.url}/")
    assert header_of(phone)["height"] <= 844 * 0.15  # at most 15% of the screen
    assert not phone.is_visible("header.site nav")
    phone.click("label.menu-button")
    assert phone.is_visible("header.site nav")
    if username:
        phone.click("header.site details.drop summary")
        phone.click("header.site .drop-panel >> text=检查结果公示")
    else:
        phone.click("header.site nav >> text=检查结果公示")
    phone.wait_for_url("**/public/results/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.context.close()
    desk.context.close()


def test_the_public_record_of_a_draw_reads_on_a_phone(browser, live_server, district):
    from django.urls import reverse

    from tests.test_plan_form_browser import NO_SIDEWAYS_SCROLL, UNLABELLED_CELLS
    from tests.test_results import drawn

    plan = drawn(strata={"general": {"ratio": "1"}, "foreign": {"ratio": "1"}, "heightened": {"ratio": "1"}},
                 capacity=100, honour_exemptions=False)
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    blocked: list[str] = []
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))
    page.goto(f"{live_server.url}{reverse('portal:plan', args=[plan.pk])}")
    assert page.evaluate(NO_SIDEWAYS_SCROLL) and page.evaluate(UNLABELLED_CELLS) == 0
    rows = page.locator("#selected ~ .table-wrap tbody tr")
    assert rows.count() == min(100, plan.tasks.count())  # a page at a time
    # A long hash: shortened, whole on demand.
    first = page.locator(".hash-short").first
    assert "…" in first.locator("code").first.inner_text()
    first.locator("summary").click()
    assert len(first.locator("details code").inner_text()) == 64
    # The search box finds one entity.
    task = plan.tasks.order_by("order").last()
    page.fill("#selected-q", task.entity.uscc)
    page.press("#selected-q", "Enter")
    page.wait_for_url("**q=*")
    assert rows.count() == 1 and task.entity.uscc in rows.first.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL) and blocked == []
    page.context.close()


def test_the_api_documentation_page_works_under_the_content_security_policy(browser, live_server, db):
    """Swagger UI from the project's own static files: every operation listed, nothing refused by the CSP."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock")
    spec = page.request.get(f"{live_server.url}/api/v1/openapi.json").json()
    assert page.locator(".opblock").count() == sum(len(ops) for ops in spec["paths"].values())
    assert problems == []
    page.close()
