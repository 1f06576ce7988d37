"""The inspector's phone, in a real browser: from 我的任务 to a published result (issue #8 §1–2)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from spotcheck.results import service
from spotcheck.results.archive import NO_FEE
from spotcheck.results.models import Result, Sample
from tests import test_browser
from tests.conftest import PASSWORD
from tests.test_archive import pdf_text
from tests.test_results import PNG, SAMPLE, drawn, member, today_in

pytestmark = pytest.mark.django_db(transaction=True)
browser = test_browser.browser  # the module's Chromium (a fixture)
PHONE = 390

NO_DRAFT = "() => !Object.keys(localStorage).some(k => k.startsWith('spotcheck:draft:'))"


def state(form: str, expected: str) -> str:
    """A predicate (a function, so that the page's CSP allows it): the form's save state, and no draft left."""
    return (f"() => document.querySelector('{form}').dataset.state === '{expected}'"
            + (" && !Object.keys(localStorage).some(k => k.startsWith('spotcheck:draft:'))" if expected == "saved"
               else ""))


def no_sideways_scrolling(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE + 1, page.url


def test_an_inspector_enters_a_result_on_a_phone_and_a_head_publishes_it(browser, live_server, district, personas,
                                                                         settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    plan = drawn(starts_on="2026-01-01")
    task = plan.tasks.order_by("order").first()
    leader = member(task, 0)
    leader.set_password(PASSWORD)
    leader.save()
    today = today_in(plan)
    # A sample recorded twice, once with the wrong quantity, and a photo: each with its 删除.
    wrong = service.add_sample(task, "SCJGJ-001", {**SAMPLE, "quantity": "20袋"}, leader)
    service.add_sample(task, "SCJGJ-001", SAMPLE, leader)
    service.add_attachment(task, "SCJGJ-001", SimpleUploadedFile("现场.png", PNG), leader)

    page = test_browser._log_in(browser, live_server, leader.username, phone=True)
    page.click("text=打开我的任务")
    page.wait_for_url(f"{live_server.url}/tasks/")
    no_sideways_scrolling(page)
    page.click(f"a.task-link[href='/tasks/{task.pk}/']")
    page.wait_for_selector("form.entry")
    assert task.entity.name in page.inner_text("h1") and plan.number in page.inner_text("body")
    assert page.is_disabled("#submit-task")  # nothing entered yet
    no_sideways_scrolling(page)  # with the samples, the photo and their 删除 forms
    remove = f"form.remove-form[action='/tasks/{task.pk}/samples/{wrong.pk}/remove/']"
    page.check(f"{remove} input[name=confirm]")
    page.click(f"{remove} button[type=submit]")
    page.wait_for_selector("text=已删除抽样记录")
    assert list(Sample.objects.values_list("quantity", flat=True)) == ["2袋"]
    form = 'form.entry[data-item="SCJGJ-001"]'
    page.select_option(f"{form} select[name=method]", "onsite")
    page.fill(f"{form} input[name=inspected_on]", today)
    page.select_option(f"{form} select[name=category]", "no_issue")
    page.wait_for_function(state(form, "saved"))
    assert "已保存" in page.inner_text(f"{form} .save-status")

    # The network drops while the inspector writes: the draft stays in the phone, then goes.
    page.context.set_offline(True)
    page.fill(f"{form} textarea[name=checked]", "核对营业执照、经营场所和年报公示信息")
    page.wait_for_function(state(form, "offline"))
    assert "离线" in page.inner_text(f"{form} .save-status")
    assert not page.evaluate(NO_DRAFT) and Result.objects.get().checked == ""
    page.context.set_offline(False)
    page.wait_for_function(state(form, "saved"))
    assert Result.objects.get().checked == "核对营业执照、经营场所和年报公示信息"

    # A request that fails keeps the draft, which the next page load restores and sends.
    page.route("**/save/", lambda route: route.abort())
    page.fill(f"{form} textarea[name=findings]", "经营场所与登记住所一致")
    page.wait_for_function(f"() => document.querySelector('{form} .save-status').textContent.includes('暂存')")
    page.unroute("**/save/")
    assert Result.objects.get().findings == ""
    page.reload()
    page.wait_for_function(state(form, "saved"))
    assert Result.objects.get().findings == "经营场所与登记住所一致"

    page.reload()
    assert page.input_value(f"{form} textarea[name=checked]") == "核对营业执照、经营场所和年报公示信息"
    assert page.input_value(f"{form} select[name=category]") == "no_issue"
    assert page.input_value(f"{form} input[name=inspected_on]") == today
    no_sideways_scrolling(page)
    page.click("#submit-task")
    page.wait_for_selector("text=已提交审核")
    assert "已录入" in page.inner_text("#task-status")

    head = test_browser._log_in(browser, live_server, "henry", phone=True)
    head.click("label.menu-button")  # the phone's menu
    head.click("header >> text=结果审核")
    head.click(f"a[href='/tasks/{task.pk}/#review']")
    head.click("#approve")
    head.wait_for_selector("text=审核通过，检查结果已公示")
    assert head.inner_text("#task-status") == "已公示"
    no_sideways_scrolling(head)
    assert Result.objects.get().published_at is not None
    # The record form for the archive (随机抽查情况记录表), linked from the task page, is a PDF of this result.
    href = head.get_attribute(f"a[href='/archive/task/{task.pk}.pdf']", "href")
    pdf = head.request.get(f"{live_server.url}{href}")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    assert task.entity.name in text and plan.number in text and "2袋" in text and NO_FEE in text
    assert "20袋" not in text  # the sample removed before submission
    assert page.csp_errors == [] and head.csp_errors == []  # nothing the pages need is blocked
    page.context.close()
    head.context.close()

    # The public, on a phone and without logging in, finds the result and the entity's credit record.
    entity = task.entity
    public = browser.new_context(viewport={"width": PHONE, "height": 844}, locale="zh-CN").new_page()
    public.goto(f"{live_server.url}/")
    public.click("label.menu-button")  # the phone's menu
    public.click("header >> text=检查结果公示")
    public.fill("input[name=q]", entity.name[-4:])
    public.press("input[name=q]", "Enter")
    public.wait_for_selector(f"text={entity.uscc}")
    assert "未发现问题" in public.inner_text("main") and task.plan.number in public.inner_text("main")
    no_sideways_scrolling(public)
    public.click(f"a:has-text('{entity.name}')")
    public.wait_for_selector("text=信用记录")
    assert entity.uscc in public.inner_text("main") and "未发现问题" in public.inner_text("main")
    no_sideways_scrolling(public)
    public.context.close()
