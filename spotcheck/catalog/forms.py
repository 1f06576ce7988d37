from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from spotcheck.catalog.models import Category, Method


class ItemForm(forms.Form):
    code = forms.CharField(label=_("事项编码"), max_length=64)
    name = forms.CharField(label=_("抽查事项"), max_length=300)
    basis = forms.CharField(label=_("抽查依据"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text=_("法律、法规、规章及条款。没有抽查依据的事项不能公布。"))
    subject = forms.CharField(label=_("抽查主体"), max_length=200)
    content = forms.CharField(label=_("抽查内容"), widget=forms.Textarea(attrs={"rows": 3}))
    methods = forms.MultipleChoiceField(label=_("抽查方式"), choices=Method.choices,
                                        widget=forms.CheckboxSelectMultiple)
    category = forms.ChoiceField(label=_("事项类别"), choices=Category.choices)
    target = forms.CharField(label=_("检查对象"), max_length=300, required=False)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("code")
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label=_("调整说明"), max_length=300, required=False)
