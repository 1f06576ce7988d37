"""Item lists (rules.md R1): versions, publication, the public lists, and import_items."""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.audit.models import AuditEntry
from spotcheck.catalog import lists
from spotcheck.catalog.models import InspectionItem, ItemList
from tests.conftest import ITEM_HEADER, csv_bytes, import_file, item_row

pytestmark = pytest.mark.django_db


def import_items(tmp_path, rows, name="items.csv"):
    return import_file(tmp_path, "import_items", csv_bytes(ITEM_HEADER, rows), name)


def test_import_publishes_a_version_per_department(tmp_path, departments):
    code, out = import_items(tmp_path, [item_row("S-1"), item_row("S-2"), item_row("W-1", "WJW")])
    assert code == 0 and out["created"] == 3
    scjgj = ItemList.current(departments["SCJGJ"])
    assert scjgj.version == 1 and scjgj.is_published and scjgj.items.count() == 2
    assert ItemList.current(departments["WJW"]).items.get().methods == ["onsite", "written"]
    entry = AuditEntry.objects.get(action="import_items")
    assert entry.data["published_versions"] == {"SCJGJ": 1, "WJW": 1}


def test_reimport_makes_a_new_version_only_when_something_changed(tmp_path, departments):
    import_items(tmp_path, [item_row("S-1"), item_row("S-2")])
    code, out = import_items(tmp_path, [item_row("S-1")])
    assert (out["created"], out["updated"], out["unchanged"]) == (0, 0, 1)
    assert ItemList.objects.filter(department=departments["SCJGJ"]).count() == 1
    code, out = import_items(tmp_path, [item_row("S-1", name="新名称"), item_row("S-3")])
    assert (out["created"], out["updated"], out["unchanged"]) == (1, 1, 0)
    v1, v2 = ItemList.objects.filter(department=departments["SCJGJ"]).order_by("version")
    assert v1.items.get(code="S-1").name == "事项S-1"  # the published version was not edited
    assert sorted(v2.items.values_list("code", flat=True)) == ["S-1", "S-2", "S-3"]
    assert v2.items.get(code="S-1").name == "新名称"


@pytest.mark.parametrize("row,column", [
    (item_row("S-1", basis=""), "basis"),
    (item_row("S-1", department="NOPE"), "department"),
    (item_row("S-1", methods="telepathy"), "methods"),
    (item_row("S-1", category="urgent"), "category"),
])
def test_bad_items_are_refused(tmp_path, departments, row, column):
    code, out = import_items(tmp_path, [item_row("S-0"), row])
    assert code == 1 and (out["errors"][0]["row"], out["errors"][0]["column"]) == (3, column)
    assert ItemList.objects.count() == 0


def test_an_item_without_a_legal_basis_cannot_be_published(departments):
    draft = lists.draft_for(departments["SCJGJ"], "test")
    lists.edit_item(draft, "S-1", {"name": "n", "basis": "", "subject": "s", "content": "c",
                                   "methods": ["onsite"], "category": "general", "target": ""}, "test")
    with pytest.raises(lists.ListError, match="没有抽查依据"):
        lists.publish(draft, "test")
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_published_version_is_never_edited(departments, published):
    current = ItemList.current(departments["SCJGJ"])
    with pytest.raises(lists.ListError):
        lists.edit_item(current, "S-9", {"name": "n"}, "test")
    with pytest.raises(lists.ListError):
        lists.discard(current, "test")
    draft = lists.draft_for(departments["SCJGJ"], "test")
    assert draft.version == current.version + 1 and draft.items.count() == current.items.count()


def test_the_diff_between_versions(departments, published):
    old = ItemList.current(departments["SCJGJ"])
    draft = lists.draft_for(departments["SCJGJ"], "test")
    lists.remove_item(draft, "SCJGJ-001", "test")
    lists.edit_item(draft, "SCJGJ-002", {**draft.items.get(code="SCJGJ-002").values(), "content": "新内容"}, "test")
    lists.edit_item(draft, "SCJGJ-009", {**draft.items.get(code="SCJGJ-002").values()}, "test")
    new = lists.publish(draft, "test", note="法规修订")
    changes = {(c.kind, c.code): c.fields for c in lists.diff(old, new)}
    assert changes == {("removed", "SCJGJ-001"): [], ("changed", "SCJGJ-002"): ["content"], ("added", "SCJGJ-009"): []}


def test_the_public_sees_current_lists_and_history_without_login(client, departments, published):
    draft = lists.draft_for(departments["SCJGJ"], "test")
    lists.edit_item(draft, "SCJGJ-001", {**draft.items.get(code="SCJGJ-001").values(), "name": "改过的名称"}, "test")
    page = client.get(reverse("portal:item_list", args=["SCJGJ"])).content.decode()
    assert "事项SCJGJ-001" in page and "改过的名称" not in page  # drafts are not public
    lists.publish(draft, "test")
    page = client.get(reverse("portal:item_list", args=["SCJGJ"])).content.decode()
    assert "改过的名称" in page and "v1" in page and "v2" in page
    assert "事项SCJGJ-001" in client.get(reverse("portal:item_version", args=["SCJGJ", 1])).content.decode()
    diff = client.get(reverse("portal:item_diff", args=["SCJGJ"]) + "?from=1&to=2").content.decode()
    assert "改过的名称" in diff and "事项SCJGJ-001" in diff
    assert "区卫生健康委" in client.get(reverse("portal:items")).content.decode()


def test_an_administrator_edits_and_publishes_in_the_web(personas, login, published):
    alice = login(personas["alice"])
    alice.post(reverse("catalog:draft", args=["SCJGJ"]))
    response = alice.post(reverse("catalog:item_new", args=["SCJGJ"]), {
        "code": "SCJGJ-010", "name": "新事项", "basis": "", "subject": "区市场监管局", "content": "内容",
        "methods": ["onsite"], "category": "general"})
    assert response.status_code == 302
    page = alice.get(reverse("catalog:draft", args=["SCJGJ"])).content.decode()
    assert "缺少抽查依据" in page and "暂不能公布" in page
    alice.post(reverse("catalog:publish", args=["SCJGJ"]), {"note": "x"}, follow=True)
    assert ItemList.objects.filter(status="draft").count() == 1  # refused
    alice.post(reverse("catalog:item_edit", args=["SCJGJ", "SCJGJ-010"]), {
        "code": "SCJGJ-010", "name": "新事项", "basis": "《某条例》第三条", "subject": "区市场监管局",
        "content": "内容", "methods": ["onsite"], "category": "key"})
    alice.post(reverse("catalog:publish", args=["SCJGJ"]), {"note": "新增事项"})
    current = ItemList.current(personas["alice"].department)
    assert current.version == 2 and current.items.get(code="SCJGJ-010").category == "key"
    assert {"item_list_draft", "item_edit", "item_list_publish"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_other_departments_cannot_edit_a_list(personas, login, published):
    assert login(personas["olga"]).post(reverse("catalog:draft", args=["SCJGJ"])).status_code == 404
    assert login(personas["henry"]).post(reverse("catalog:draft", args=["SCJGJ"])).status_code == 403
    assert InspectionItem.objects.filter(item_list__status="draft").count() == 0
