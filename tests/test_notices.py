"""The service column (服务专栏, issue #9 §5): notices and service guides of each department.

Personas (tests/conftest.py): alice the administrator, henry the head and ian the
inspector of SCJGJ; olga the administrator of WJW; wanda a witness; the coordinator.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from spotcheck.audit.log import verify_chain
from spotcheck.audit.models import AuditEntry
from spotcheck.catalog.models import ItemCode
from spotcheck.notices import service
from spotcheck.notices.markdown import render
from spotcheck.notices.models import Kind, Notice, NoticeAttachment, NoticeStatus
from spotcheck.notices.service import NoticeRefused

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(personas, published):
    return personas


def notice(department_code="SCJGJ", *, title="企业年报公示指引", body="每年1月1日至6月30日报送年度报告。",
           kind=Kind.GUIDE, items=("SCJGJ-001",), publish=True, actor="cli:test") -> Notice:
    from spotcheck.directory.models import Department

    department = Department.objects.get(code=department_code)
    made = service.create(department, {"kind": kind, "title": title, "body": body, "valid_until": None},
                          ItemCode.objects.filter(code__in=items), None)
    if publish:
        service.publish(made, None)
    made.refresh_from_db()
    return made


def form_data(**changes) -> dict:
    data = {"kind": "notice", "title": "关于开展2026年度年报工作的通知", "body": "请按时报送。", "valid_until": "",
            "items": [ItemCode.objects.get(code="SCJGJ-001").pk]}
    data.update(changes)
    return data


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["材料名称", "份数"])
    book.active.append(["营业执照副本", 1])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><document>办事指南</document>')
    return buffer.getvalue()


def upload(client: Client, target: Notice, *files: tuple[str, bytes]):
    return client.post(reverse("notices:attach", args=[target.pk]),
                       {"file": [SimpleUploadedFile(name, content) for name, content in files]})


def actions(object_id) -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(object_type="notice", object_id=str(object_id))
                .order_by("seq").values_list("action", "actor"))


# --- Writing: who may, and the audit log ------------------------------------------------------------


def test_the_departments_administrator_writes_publishes_and_withdraws_each_step_audited(world, login):
    alice = login(world["alice"])
    response = alice.post(reverse("notices:create", args=["SCJGJ"]), form_data())
    made = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("notices:detail", args=[made.pk])
    assert made.status == NoticeStatus.DRAFT and made.department.code == "SCJGJ"
    assert [i.code for i in made.items.all()] == ["SCJGJ-001"]
    assert alice.post(reverse("notices:edit", args=[made.pk]), form_data(title="新标题")).status_code == 302
    assert alice.post(reverse("notices:publish", args=[made.pk])).status_code == 302
    made.refresh_from_db()
    assert made.status == NoticeStatus.PUBLISHED and made.published_at is not None and made.revised_at is None
    assert alice.post(reverse("notices:withdraw", args=[made.pk]), {"reason": "政策已调整"}).status_code == 302
    made.refresh_from_db()
    assert made.status == NoticeStatus.WITHDRAWN
    assert actions(made.pk) == [("notice_create", "user:alice"), ("notice_update", "user:alice"),
                                ("notice_publish", "user:alice"), ("notice_withdraw", "user:alice")]
    withdrawal = AuditEntry.objects.get(action="notice_withdraw")
    assert "政策已调整" in withdrawal.payload
    assert verify_chain().ok


def test_publishing_again_after_a_withdrawal_keeps_the_first_publication_time(world, login):
    made = notice()
    first = made.published_at
    service.withdraw(made, world["alice"])
    service.publish(made, world["alice"])
    made.refresh_from_db()
    assert made.published_at == first and made.revised_at is not None and made.revised_at >= first


def test_editing_a_published_notice_shows_its_update_time(world, login):
    made = notice()
    assert login(world["alice"]).post(reverse("notices:edit", args=[made.pk]),
                                      form_data(body="修订后的正文")).status_code == 302
    made.refresh_from_db()
    assert made.revised_at is not None and made.body == "修订后的正文"
    page = Client().get(reverse("public_notices:detail", args=[made.pk])).content.decode()
    assert "更新时间" in page and "修订后的正文" in page


def test_publishing_twice_or_withdrawing_a_draft_is_refused_and_writes_nothing(world):
    made = notice()
    before = AuditEntry.objects.count()
    with pytest.raises(NoticeRefused) as refused:
        service.publish(made, world["alice"])
    assert refused.value.status == 409
    draft = notice(publish=False)
    with pytest.raises(NoticeRefused):
        service.withdraw(draft, world["alice"])
    assert AuditEntry.objects.count() == before + 1  # the second notice's creation only
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT


def test_a_notice_without_body_is_not_published(world):
    draft = notice(body="", publish=False)
    with pytest.raises(NoticeRefused):
        service.publish(draft, world["alice"])
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT


def test_the_coordinator_writes_for_any_department(world, login):
    coordinator = login(world["coordinator"])
    assert coordinator.post(reverse("notices:create", args=["WJW"]),
                            form_data(items=[ItemCode.objects.get(code="WJW-001").pk])).status_code == 302
    made = Notice.objects.get()
    assert made.department.code == "WJW"
    assert coordinator.post(reverse("notices:publish", args=[made.pk])).status_code == 302
    assert actions(made.pk) == [("notice_create", "user:coordinator"), ("notice_publish", "user:coordinator")]


def test_another_departments_administrator_gets_404_and_changes_nothing(world, login):
    made = notice(publish=False)
    olga = login(world["olga"])
    before = AuditEntry.objects.count()
    assert olga.get(reverse("notices:detail", args=[made.pk])).status_code == 404
    assert olga.get(reverse("notices:edit", args=[made.pk])).status_code == 404
    assert olga.post(reverse("notices:edit", args=[made.pk]), form_data(title="改掉")).status_code == 404
    assert olga.post(reverse("notices:publish", args=[made.pk])).status_code == 404
    assert olga.post(reverse("notices:create", args=["SCJGJ"]), form_data()).status_code == 404
    assert upload(olga, made, ("a.pdf", PDF)).status_code == 404
    assert "企业年报公示指引" not in olga.get(reverse("notices:manage")).content.decode()
    made.refresh_from_db()
    assert made.title == "企业年报公示指引" and made.status == NoticeStatus.DRAFT
    assert AuditEntry.objects.count() == before and Notice.objects.count() == 1


@pytest.mark.parametrize("persona", ["henry", "ian"])
def test_heads_and_inspectors_read_but_cannot_write(world, login, persona):
    made = notice(publish=False)
    client = login(world[persona])
    page = client.get(reverse("notices:detail", args=[made.pk]))
    assert page.status_code == 200 and "企业年报公示指引" in page.content.decode()
    assert reverse("notices:publish", args=[made.pk]) not in page.content.decode()  # no buttons
    assert "企业年报公示指引" in client.get(reverse("notices:manage")).content.decode()
    before = AuditEntry.objects.count()
    assert client.get(reverse("notices:create", args=["SCJGJ"])).status_code == 403
    assert client.post(reverse("notices:create", args=["SCJGJ"]), form_data()).status_code == 403
    assert client.post(reverse("notices:edit", args=[made.pk]), form_data(title="改掉")).status_code == 403
    assert client.post(reverse("notices:publish", args=[made.pk])).status_code == 403
    assert upload(client, made, ("a.pdf", PDF)).status_code == 403
    made.refresh_from_db()
    assert made.status == NoticeStatus.DRAFT and made.title == "企业年报公示指引"
    assert AuditEntry.objects.count() == before and not NoticeAttachment.objects.exists()


def test_a_witness_is_refused_the_staff_pages(world, login):
    assert login(world["wanda"]).get(reverse("notices:manage")).status_code == 403


def test_a_notice_concerns_only_its_departments_own_items(world, login):
    foreign = ItemCode.objects.get(code="WJW-001")
    response = login(world["alice"]).post(reverse("notices:create", args=["SCJGJ"]), form_data(items=[foreign.pk]))
    assert response.status_code == 400 and "相关抽查事项" in response.content.decode()
    assert not Notice.objects.exists()
    # The service refuses it too, whatever the form offered.
    from spotcheck.directory.models import Department

    with pytest.raises(NoticeRefused) as refused:
        service.create(Department.objects.get(code="SCJGJ"), form_data(), [foreign], world["alice"])
    assert "WJW-001" in refused.value.message
    assert not Notice.objects.exists()


def test_a_bad_form_names_the_field_and_saves_nothing(world, login):
    response = login(world["alice"]).post(reverse("notices:create", args=["SCJGJ"]),
                                          form_data(title="", valid_until="明年"))
    page = response.content.decode()
    assert response.status_code == 400 and "标题" in page and "有效期至" in page
    assert not Notice.objects.exists() and not AuditEntry.objects.filter(action="notice_create").exists()


# --- Sanitising ------------------------------------------------------------------------------------

HOSTILE = """## 办理材料

<script>alert("xss")</script>
[点我](javascript:alert(1)) [也点我](JaVaScRiPt:alert(2))
<img src="x" onerror="alert(3)">
<a href="https://example.org" onclick="alert(4)">外链</a>
<div style="position:fixed" onmouseover="alert(5)">原始HTML</div>
<iframe src="https://evil.example"></iframe><style>body{display:none}</style>
![外站图片](https://evil.example/track.png)
<svg onload="alert(6)"></svg>

| 材料 | 份数 |
|:-----|-----:|
| 营业执照 | 1 |

> 引用 **加粗** `代码`
"""


def test_hostile_bodies_come_out_inert():
    html = str(render(HOSTILE))
    lowered = html.lower()
    for bad in ("<script", "alert(", "javascript:", "onerror", "onclick", "onmouseover", "onload", "<img",
                "<iframe", "<style", "style=", "<svg", "<div", "evil.example"):
        assert bad not in lowered, bad
    # What Markdown means is kept: headings, links (marked), tables, quotes, emphasis, code.
    assert "<h2>办理材料</h2>" in html
    assert '<a href="https://example.org" rel="noopener nofollow">外链</a>' in html
    assert '<th align="left">材料</th>' in html and "<blockquote>" in html
    assert "<strong>加粗</strong>" in html and "<code>代码</code>" in html
    assert "原始HTML" in html  # the text of raw HTML stays, as text


def test_the_public_page_shows_the_sanitised_body(world):
    made = notice(body=HOSTILE)
    page = Client().get(reverse("public_notices:detail", args=[made.pk])).content.decode().lower()
    assert "alert(" not in page and "javascript:" not in page and "<h2>办理材料</h2>" in page


# --- Attachments -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("办事指南.pdf", PDF, "application/pdf"),
    ("流程图.png", PNG, "image/png"),
    ("材料清单.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("申请书.docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("旧表格.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "application/msword"),
])
def test_an_attachment_is_kept_with_the_type_its_content_says(world, login, name, content, content_type):
    content = xlsx_bytes() if content is None else docx_bytes() if content == "docx" else content
    made = notice()
    response = upload(login(world["alice"]), made, (name, content))
    assert response.status_code == 302
    kept = NoticeAttachment.objects.get()
    assert kept.content_type == content_type and kept.size == len(content) and kept.name == name
    download = Client().get(reverse("public_notices:attachment", args=[made.pk, kept.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"].startswith("attachment;") and "filename" in download["Content-Disposition"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content
    assert actions(made.pk)[-1] == ("notice_attach", "user:alice")


@pytest.mark.parametrize(("name", "content"), [
    ("setup.pdf", b"MZ\x90\x00" + b"\x00" * 60),  # a program named as a PDF
    ("page.pdf", b"<html><script>alert(1)</script></html>"),  # HTML named as a PDF
    ("archive.docx", None),  # a zip that is no Office document
    ("virus.exe", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504),  # a compound file not named .doc/.xls/.ppt
    ("empty.pdf", b""),
])
def test_a_file_of_another_type_is_refused_and_nothing_is_kept(world, login, media, name, content):
    if content is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("readme.txt", "not a document")
        content = buffer.getvalue()
    made = notice()
    before = AuditEntry.objects.count()
    response = upload(login(world["alice"]), made, (name, content))
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any(name in m and "按文件内容判断" in m for m in messages), messages
    assert not NoticeAttachment.objects.exists() and AuditEntry.objects.count() == before
    assert not (media / "notices").exists()


def test_an_upload_with_one_bad_file_keeps_none(world, login, media):
    made = notice()
    upload(login(world["alice"]), made, ("good.pdf", PDF), ("bad.pdf", b"not a pdf"))
    assert not NoticeAttachment.objects.exists() and not (media / "notices").exists()


def test_a_file_over_the_size_limit_is_refused(world, login, settings):
    settings.SPOTCHECK = {**settings.SPOTCHECK, "attachment_max_mb": 1}
    made = notice()
    response = upload(login(world["alice"]), made, ("big.pdf", PDF + b"\x00" * (1024 * 1024)))
    assert any("1MB" in str(m) for m in response.wsgi_request._messages)
    assert not NoticeAttachment.objects.exists()


def test_removing_an_attachment_deletes_its_file_and_is_audited(world, login, media,
                                                                django_capture_on_commit_callbacks):
    made = notice()
    alice = login(world["alice"])
    upload(alice, made, ("a.pdf", PDF))
    kept = NoticeAttachment.objects.get()
    stored = media / kept.file.name
    assert stored.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert alice.post(reverse("notices:detach", args=[made.pk, kept.pk])).status_code == 302
    assert not NoticeAttachment.objects.exists() and not stored.exists()
    assert actions(made.pk)[-1] == ("notice_detach", "user:alice")


def test_a_drafts_attachment_is_not_public_but_staff_download_it(world, login):
    made = notice(publish=False)
    upload(login(world["alice"]), made, ("a.pdf", PDF))
    kept = NoticeAttachment.objects.get()
    assert Client().get(reverse("public_notices:attachment", args=[made.pk, kept.pk])).status_code == 404
    assert login(world["henry"]).get(reverse("notices:attachment", args=[made.pk, kept.pk])).status_code == 200
    assert login(world["olga"]).get(reverse("notices:attachment", args=[made.pk, kept.pk])).status_code == 404


# --- The public column: drafts hidden, search, department lists, items, the feed --------------------


def test_drafts_and_withdrawn_notices_are_never_public(world):
    draft = notice(title="草稿文章", publish=False)
    withdrawn = notice(title="撤回文章")
    service.withdraw(withdrawn, None)
    shown = notice(title="公开文章")
    public = Client()
    for hidden in (draft, withdrawn):
        assert public.get(reverse("public_notices:detail", args=[hidden.pk])).status_code == 404
    assert public.get(reverse("public_notices:detail", args=[shown.pk])).status_code == 200
    for url in (reverse("public_notices:index"), reverse("public_notices:department", args=["SCJGJ"]),
                reverse("portal:item_list", args=["SCJGJ"])):
        page = public.get(url).content.decode()
        assert "公开文章" in page and "草稿文章" not in page and "撤回文章" not in page, url
    feed = public.get(reverse("public_notices:feed")).content.decode()
    assert "公开文章" in feed and "草稿文章" not in feed and "撤回文章" not in feed


def test_the_list_searches_title_and_body_and_filters_by_kind_and_department(world):
    notice(title="食品经营许可办事指南", body="需提交场所平面图。", kind=Kind.GUIDE)
    notice(title="关于年报的通知", body="年报截止6月30日，逾期列入经营异常名录。", kind=Kind.NOTICE)
    notice("WJW", title="公共场所卫生许可指南", body="卫生许可证办理材料。", kind=Kind.GUIDE, items=("WJW-001",))
    public = Client()

    def titles(**query) -> set[str]:
        page = public.get(reverse("public_notices:index"), query)
        assert page.status_code == 200
        return {n.title for n in page.context["notices"]}

    assert titles(q="平面图") == {"食品经营许可办事指南"}  # found in the body
    assert titles(q="年报") == {"关于年报的通知"}  # in the title
    assert titles(q="许可 卫生") == {"公共场所卫生许可指南"}  # every word
    assert titles(kind="guide") == {"食品经营许可办事指南", "公共场所卫生许可指南"}
    assert titles(department="WJW") == {"公共场所卫生许可指南"}
    assert titles(department="WJW", kind="notice") == set()
    assert titles(kind="nonsense") == set()  # a bad filter shows nothing, with the reason
    own = public.get(reverse("public_notices:department", args=["SCJGJ"]))
    assert {n.title for n in own.context["notices"]} == {"食品经营许可办事指南", "关于年报的通知"}
    assert public.get(reverse("public_notices:department", args=["NOPE"])).status_code == 404


def test_the_list_is_paged_and_the_pager_keeps_the_search(world):
    for n in range(23):
        notice(title=f"指南{n:02d}", items=())
    page = Client().get(reverse("public_notices:index"), {"q": "指南", "kind": "guide"})
    assert len(page.context["notices"]) == 20 and page.context["page"].paginator.num_pages == 2
    assert "q=%E6%8C%87%E5%8D%97&amp;kind=guide&amp;page=2" in page.content.decode()
    second = Client().get(reverse("public_notices:index"), {"q": "指南", "kind": "guide", "page": 2})
    assert len(second.context["notices"]) == 3


def test_each_items_public_page_lists_the_notices_that_concern_it(world):
    notice(title="年报指引", items=("SCJGJ-001",))
    notice(title="两项都相关", items=("SCJGJ-001", "SCJGJ-002"))
    page = Client().get(reverse("portal:item_list", args=["SCJGJ"])).content.decode()
    first = page[page.index('id="SCJGJ-001"'):page.index('id="SCJGJ-002"')]
    second = page[page.index('id="SCJGJ-002"'):]
    assert "年报指引" in first and "两项都相关" in first
    assert "年报指引" not in second and "两项都相关" in second
    made = Notice.objects.get(title="年报指引")
    assert reverse("public_notices:detail", args=[made.pk]) in first
    # The notice's page links back to the item.
    detail = Client().get(reverse("public_notices:detail", args=[made.pk])).content.decode()
    assert reverse("portal:item_list", args=["SCJGJ"]) + "#SCJGJ-001" in detail and "SCJGJ-001 事项SCJGJ-001" in detail


def test_the_atom_feed_parses_and_holds_the_published_notices(world):
    shown = notice(title="公开的指南", body="**要点**<script>alert(1)</script>")
    notice(title="草稿", publish=False)
    notice("WJW", title="卫健委通知", items=("WJW-001",))
    response = Client().get(reverse("public_notices:feed"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own feed)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = {e.findtext(f"{ATOM}title") for e in entries}
    assert titles == {"[办事指南] 公开的指南", "[办事指南] 卫健委通知"}
    entry = next(e for e in entries if "公开的指南" in e.findtext(f"{ATOM}title"))
    assert entry.find(f"{ATOM}link").get("href").endswith(reverse("public_notices:detail", args=[shown.pk]))
    assert entry.findtext(f"{ATOM}published") and entry.findtext(f"{ATOM}updated")
    summary = entry.findtext(f"{ATOM}summary")
    assert "<strong>要点</strong>" in summary and "script" not in summary
    assert entry.find(f"{ATOM}author").findtext(f"{ATOM}name") == "区市场监管局"
    own_feed = Client().get(reverse("public_notices:department_feed", args=["WJW"])).content
    own = ElementTree.fromstring(own_feed)  # noqa: S314 (our own feed)
    assert [e.findtext(f"{ATOM}title") for e in own.findall(f"{ATOM}entry")] == ["[办事指南] 卫健委通知"]


def test_the_list_page_links_its_feed(world):
    page = Client().get(reverse("public_notices:index")).content.decode()
    assert (f'<link rel="alternate" type="application/atom+xml" title="服务专栏" '
            f'href="{reverse("public_notices:feed")}">') in page
    own = Client().get(reverse("public_notices:department", args=["WJW"])).content.decode()
    assert f'href="{reverse("public_notices:department_feed", args=["WJW"])}"' in own


def test_the_navigation_links_the_column(world, login):
    assert reverse("public_notices:index") in Client().get("/").content.decode()
    staff_page = login(world["henry"]).get("/").content.decode()
    manage = f'href="{reverse("notices:manage")}"'
    assert reverse("public_notices:index") in staff_page and manage in staff_page
    assert manage not in login(world["wanda"]).get("/").content.decode()
