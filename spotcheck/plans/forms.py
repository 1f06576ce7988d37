"""The plan form: the web's way to write a plan file (spec/interfaces.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spotcheck.catalog.lists import published_items
from spotcheck.directory.models import INDUSTRIES, Department, EntityType, Region
from spotcheck.plans.spec import STRATA, STRATUM_NAMES


@dataclass
class Stratum:
    """One stratum's line of the form: its ratio and its count, side by side."""

    name: str
    label: str
    ratio: forms.BoundField
    count: forms.BoundField

    @property
    def same_errors(self) -> bool:
        """Whether both fields carry the same errors (then they are shown once)."""
        return bool(self.ratio.errors) and list(self.ratio.errors) == list(self.count.errors)


@dataclass
class ItemGroup:
    """A department's published items, as the form lists them."""

    code: str
    name: str
    lead: bool
    items: list[Any]  # the items field's BoundWidgets


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"))
    other_departments = forms.MultipleChoiceField(label=_("联合抽查的其他部门"), required=False,
                                                  widget=forms.CheckboxSelectMultiple)
    items = forms.MultipleChoiceField(label=_("抽查事项"), widget=forms.CheckboxSelectMultiple)
    regions = forms.MultipleChoiceField(label=_("镇街（不选为全部）"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    industries = forms.MultipleChoiceField(label=_("行业门类（不选为全部）"), required=False,
                                           choices=list(INDUSTRIES.items()), widget=forms.CheckboxSelectMultiple)
    entity_types = forms.MultipleChoiceField(label=_("市场主体类型（不选为全部）"), required=False,
                                             choices=EntityType.choices, widget=forms.CheckboxSelectMultiple)
    complaint_threshold = forms.IntegerField(label=_("投诉举报阈值（加大抽查力度）"), min_value=1)
    team_size = forms.IntegerField(label=_("检查组人数"), min_value=1)
    capacity = forms.CharField(
        label=_("每人承担上限（一次抽取中一名检查人员最多去几家）"), required=False, max_length=500,
        help_text=_("留空按规则默认；填一个整数适用于全部部门；或按部门填写，如“SCJGJ=5; WJW=16”"))
    honour_exemptions = forms.BooleanField(label=_("连续三年抽查结果良好的免于抽查"), required=False)
    starts_on = forms.DateField(label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, lead: Department, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lead = lead
        rules = settings.SPOTCHECK
        others = list(Department.objects.exclude(pk=lead.pk))
        self.departments = [lead, *others]
        self.choice_field("other_departments").choices = [(d.code, d.name) for d in others]
        items = published_items()
        self.item_department = {code: dept for code, (dept, _item) in items.items()}
        self.choice_field("items").choices = [
            (code, f"{code} {item.name}") for code, (_dept, item) in sorted(items.items())]
        self.choice_field("regions").choices = [(r.code, r.name) for r in Region.objects.all()]
        for stratum in STRATA:
            default = rules[f"default_ratio_{stratum}"]
            label = STRATUM_NAMES[stratum]
            self.fields[f"{stratum}_ratio"] = forms.CharField(
                label=gettext("%(stratum)s：比例") % {"stratum": label}, required=False, initial=default,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
            self.fields[f"{stratum}_count"] = forms.CharField(
                label=gettext("%(stratum)s：数量") % {"stratum": label}, required=False,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
        if not self.is_bound and "year" not in self.initial:
            self.initial.update(year=timezone.localdate().year, team_size=rules["team_size"],
                                complaint_threshold=rules["complaint_threshold"], honour_exemptions=True)

    def clean(self) -> dict[str, Any]:
        """Refuse a stratum given both a ratio and a count (rules.md R4: one or the other)."""
        data = super().clean() or {}
        for stratum in STRATA:
            ratio = (data.get(f"{stratum}_ratio") or "").strip()
            count = (data.get(f"{stratum}_count") or "").strip()
            if ratio and count:
                message = gettext("比例和数量只能填写一项，请清空其中一项")
                self.add_error(f"{stratum}_ratio", message)
                self.add_error(f"{stratum}_count", message)
        return data

    def item_groups(self) -> list[ItemGroup]:
        """Return the items by department, the lead's first (the page shows the chosen departments')."""
        groups = {d.code: ItemGroup(d.code, d.name, d == self.lead, []) for d in self.departments}
        for widget in self["items"]:
            groups[self.item_department[widget.data["value"]]].items.append(widget)
        return list(groups.values())

    def strata(self) -> list[Stratum]:
        """Return each stratum's ratio and count, to be shown on one line."""
        return [Stratum(s, str(STRATUM_NAMES[s]), self[f"{s}_ratio"], self[f"{s}_count"]) for s in STRATA]

    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    @classmethod
    def initial_from(cls, plan_file: dict[str, Any]) -> dict[str, Any]:
        initial = {k: plan_file[k] for k in ("name", "year", "items", "complaint_threshold", "team_size",
                                            "honour_exemptions", "starts_on", "ends_on")}
        initial["other_departments"] = plan_file["departments"][1:]
        initial["capacity"] = capacity_text(plan_file.get("capacity"))
        initial.update({k: plan_file["scope"].get(k, []) for k in ("regions", "industries", "entity_types")})
        for stratum, rule in plan_file["strata"].items():
            initial[f"{stratum}_ratio"] = rule.get("ratio", "")
            initial[f"{stratum}_count"] = rule.get("count", "")
        return initial

    def plan_file(self) -> dict[str, Any]:
        """Return the plan file this form describes (to be checked by spec.validate)."""
        data = self.cleaned_data
        strata: dict[str, dict[str, Any]] = {}
        for stratum in STRATA:
            count = (data.get(f"{stratum}_count") or "").strip()
            ratio = (data.get(f"{stratum}_ratio") or "").strip()
            if count:
                strata[stratum] = {"count": int(count) if count.lstrip("-").isdigit() else count}
            elif ratio:
                strata[stratum] = {"ratio": ratio}
        return {
            "name": data["name"],
            "year": data["year"],
            "departments": [self.lead.code, *data.get("other_departments", [])],
            "items": data["items"],
            "scope": {"regions": data.get("regions", []), "industries": data.get("industries", []),
                      "entity_types": data.get("entity_types", [])},
            "strata": strata,
            "complaint_threshold": data["complaint_threshold"],
            "team_size": data["team_size"],
            "capacity": parse_capacity(data.get("capacity") or ""),
            "honour_exemptions": data.get("honour_exemptions", False),
            "starts_on": data["starts_on"].isoformat() if data.get("starts_on") else None,
            "ends_on": data["ends_on"].isoformat() if data.get("ends_on") else None,
        }

    FIELD_OF = {"departments": "other_departments", "scope.regions": "regions",
                "scope.industries": "industries", "scope.entity_types": "entity_types"}

    def add_problems(self, problems: list[tuple[str, str]]) -> None:
        for name, message in problems:
            field = self.FIELD_OF.get(name, name)
            if field.startswith("capacity."):
                field = "capacity"
            if field.startswith("strata."):  # the field the user filled in: the count, else the ratio
                stratum = field.split(".", 1)[1]
                given = (self.cleaned_data.get(f"{stratum}_count") or "").strip()
                field = f"{stratum}_count" if given else f"{stratum}_ratio"
            self.add_error(field if field in self.fields else None, message)


def capacity_text(capacity: Any) -> str:
    """Return a plan's capacity as the form writes it: "", "5" or "SCJGJ=5; WJW=16"."""
    if capacity is None:
        return ""
    if isinstance(capacity, dict):
        return "; ".join(f"{code}={n}" for code, n in capacity.items())
    return str(capacity)


def parse_capacity(text: str) -> Any:
    """Read the form's capacity text into the plan file's value; spec.validate judges it.

    Malformed parts are passed on as text, so that the validation names them.
    """
    text = text.strip().replace("；", ";").replace("＝", "=")
    if not text:
        return None
    if "=" not in text:
        return int(text) if text.isdigit() else text
    result: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        code, _, number = (x.strip() for x in part.partition("="))
        result[code] = int(number) if number.isdigit() else number
    return result
