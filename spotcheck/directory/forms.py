from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from spotcheck.directory.imports import parse_uscc
from spotcheck.directory.models import (
    INDUSTRIES,
    EntityStatus,
    EntityType,
    Region,
)
from spotcheck.directory.name_index import name_holds
from spotcheck.lib.tabular import MB, TableError, check_table_file, upload_max_bytes

YES_NO_ANY = [("", _("不限")), ("1", _("是")), ("0", _("否"))]


class EntitySearchForm(forms.Form):
    q = forms.CharField(label=_("名称或代码"), required=False)
    region = forms.ModelChoiceField(label=_("镇街"), queryset=Region.objects.all(), required=False,
                                    empty_label=_("全部"))
    industry = forms.ChoiceField(label=_("行业"), required=False,
                                 choices=[("", _("全部"))] + [(k, f"{k} {v}") for k, v in INDUSTRIES.items()])
    entity_type = forms.ChoiceField(label=_("类型"), required=False,
                                    choices=[("", _("全部")), *EntityType.choices])
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), *EntityStatus.choices])
    foreign = forms.ChoiceField(label=_("涉外"), required=False, choices=YES_NO_ANY)
    abnormal = forms.ChoiceField(label=_("经营异常"), required=False, choices=YES_NO_ANY)
    serious_violation = forms.ChoiceField(label=_("严重违法失信"), required=False, choices=YES_NO_ANY)
    min_complaints = forms.IntegerField(label=_("投诉举报≥"), required=False, min_value=0)

    def filter(self, queryset):
        data = self.cleaned_data
        if q := (data.get("q") or "").strip():
            queryset = queryset.filter(uscc=q.upper()) if len(q) == 18 else name_holds(queryset, q)
        for name in ("region", "industry", "entity_type", "status"):
            if data.get(name):
                queryset = queryset.filter(**{name: data[name]})
        for name in ("foreign", "abnormal", "serious_violation"):
            if data.get(name) in ("0", "1"):
                queryset = queryset.filter(**{name: data[name] == "1"})
        if data.get("min_complaints") is not None:
            queryset = queryset.filter(complaints_12m__gte=data["min_complaints"])
        return queryset


class TableUploadForm(forms.Form):
    """A form with one table file (.csv or .xlsx), refused before it is read when its size,
    its type or its content is wrong (spotcheck.lib.tabular.check_table_file)."""

    file = forms.FileField(label=_("文件（.csv 或 .xlsx）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("不超过%(mb)sMB") % {"mb": upload_max_bytes() // MB}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_table_file(upload, upload.name or "", size=upload.size)
        except TableError as exc:
            raise forms.ValidationError([e.message for e in exc.errors]) from None
        return upload


class UploadForm(TableUploadForm):
    """A directory, item list or history file."""


class ConflictForm(forms.Form):
    uscc = forms.CharField(label=_("回避对象的统一社会信用代码"), max_length=40)
    reason = forms.CharField(label=_("回避理由"), max_length=200, required=False)

    def clean_uscc(self):
        try:
            return parse_uscc(self.cleaned_data["uscc"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
