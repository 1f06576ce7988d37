"""The notice form: drawn by the shared form template (forms/form.html)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spotcheck.catalog.models import ItemCode
from spotcheck.directory.models import Department
from spotcheck.notices.models import Kind, Notice
from spotcheck.notices.selectors import item_names

BODY_MAX_CHARS = 50_000


class ItemChoiceField(forms.ModelMultipleChoiceField):
    """The department's item codes, each shown with its name on the latest version that has it."""

    names: dict[str, str]

    def label_from_instance(self, obj: Any) -> str:
        name = getattr(self, "names", {}).get(obj.code, "")
        return f"{obj.code} {name}".strip()


class NoticeForm(forms.Form):
    kind = forms.ChoiceField(label=_("栏目"), choices=Kind.choices)
    title = forms.CharField(label=_("标题"), max_length=200)
    body = forms.CharField(label=_("正文"), max_length=BODY_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 16}),
                           help_text=_("使用 Markdown 格式：# 标题、**加粗**、- 列表、[链接文字](https://…)、表格。"
                                       "不支持图片和HTML，图片请作为附件上传。"))
    valid_until = forms.DateField(label=_("有效期至"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text=_("可不填；过期后仍可查阅，并标明已过有效期。"))
    items = ItemChoiceField(label=_("相关抽查事项"), queryset=ItemCode.objects.none(), required=False,
                            widget=forms.CheckboxSelectMultiple,
                            help_text=_("只能选择本部门的事项；文章会显示在这些事项的公示页上。"))

    def __init__(self, *args: Any, department: Department, notice: Notice | None = None, **kwargs: Any):
        if notice is not None and "initial" not in kwargs:
            kwargs["initial"] = {"kind": notice.kind, "title": notice.title, "body": notice.body,
                                 "valid_until": notice.valid_until, "items": list(notice.items.all())}
        super().__init__(*args, **kwargs)
        field = self.fields["items"]
        assert isinstance(field, ItemChoiceField)
        field.queryset = ItemCode.objects.filter(department=department).order_by("code")
        field.names = item_names(department)

    def values(self) -> dict[str, Any]:
        return {k: self.cleaned_data[k] for k in ("kind", "title", "body", "valid_until")}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=300, required=False)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"), help_text=_("PDF、照片或Office文档（Word、Excel、PowerPoint）"))
