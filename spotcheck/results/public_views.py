"""Public pages of the results (一公开, no login): the search with its exports, and the credit record."""

from __future__ import annotations

import codecs
import csv
import html as markup
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from django import forms
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spotcheck.accounts.access import public
from spotcheck.directory.exports import english, write_table
from spotcheck.directory.models import Entity
from spotcheck.plans.models import Plan
from spotcheck.results import credit
from spotcheck.results.models import Category, Result
from spotcheck.results.public import (
    EXPORT_HEADER,
    EXPORT_KEYS,
    Found,
    credit_record,
    department_choices,
    export_rows,
    find,
    item_names,
    page_ids,
    page_rows,
)

PAGE_SIZE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("市场主体名称或统一社会信用代码"), required=False, max_length=100)
    department = forms.ChoiceField(label=_("检查部门"), required=False)
    year = forms.TypedChoiceField(label=_("年度"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("检查结果"), required=False, choices=[("", _("全部")), *Category.choices])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        department, year = self.fields["department"], self.fields["year"]
        assert isinstance(department, forms.ChoiceField) and isinstance(year, forms.ChoiceField)
        departments = department_choices()
        self.department_ids = {code: pk for code, _name, pk in departments}
        department.choices = [("", _("全部")), *((code, name) for code, name, _pk in departments)]
        years = Plan.objects.order_by("-year").values_list("year", flat=True).distinct()
        year.choices = [("", _("全部")), *((y, y) for y in years)]

    def options(self) -> dict[str, SafeString]:
        """Return each list's <option> elements, the one asked for selected, every value escaped.

        Built here rather than in the template, for the same reason as ``table_rows``:
        thirty options cost the template more than the rest of the page's form.
        """
        escape = markup.escape
        lists = {}
        for name in ("department", "year", "category"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            choices = cast(list[tuple[Any, Any]], field.choices)  # set above: a list of pairs
            chosen = str(self.data.get(name, ""))
            lists[name] = mark_safe("".join(  # noqa: S308 (every value escaped)
                f'<option value="{escape(str(value))}"{" selected" if str(value) == chosen else ""}>'
                f"{escape(str(label))}</option>" for value, label in choices))
        return lists


class CountedPaginator(Paginator):
    """Page through the results' ids, counted once, by the search's own count."""

    def __init__(self, rows: Any, per_page: int, *, total: Callable[[], int]):
        super().__init__(rows, per_page)
        self.total = total

    @cached_property
    def count(self) -> int:
        return self.total()


def search_page(found: Found, number: Any) -> Page:
    """Return the page ``number`` of the search (the last one past the end, the first one if not a number)."""
    paginator = CountedPaginator(found.results.values_list("pk", flat=True), PAGE_SIZE, total=found.total)
    if not found.windowed:
        return paginator.get_page(number)
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    ids, total = page_ids(found, (wanted - 1) * PAGE_SIZE, PAGE_SIZE)
    if total is None:  # past the end: counted apart, and the last page shown
        return paginator.get_page(wanted)
    paginator.count = total  # type: ignore[misc]  # the cached property's value
    return Page(ids, wanted, paginator)


def _searched(request: HttpRequest) -> tuple[SearchForm, Found]:
    """Return the form and what it finds (nothing while the form is wrong)."""
    form = SearchForm(request.GET)
    if not form.is_valid():
        nothing = Result.objects.none()
        return form, Found(nothing, nothing.count)
    data = form.cleaned_data
    return form, find(query=data["q"], department_id=form.department_ids.get(data["department"]),
                      year=data["year"], category=data["category"])


ROW = ('<tr id="result-{pk}">'
       '<td data-label="{l_entity}"><a href="{entity_url}">{name}</a><br><code>{uscc}</code></td>'
       '<td data-label="{l_plan}"><a href="{plan_url}">{number}</a></td>'
       '<td data-label="{l_department}">{department}</td>'
       '<td data-label="{l_item}">{item_code} {item_name}</td>'
       '<td data-label="{l_date}">{inspected}</td>'
       '<td data-label="{l_result}">{category}{corrects}{corrected}</td>'
       '<td data-label="{l_follow_up}">{follow_up}</td>'
       '<td data-label="{l_published}">{published}</td></tr>\n')
CORRECTS = ('<br><span class="tag warn">{l_correction}</span>{l_reason}：{reason} '
            '<a href="{entity_url}#result-{corrects}">{l_corrects} #{corrects}</a>')
CORRECTED = ('<br><span class="tag">{l_corrected}</span> '
             '<a href="{entity_url}#result-{correction}">{l_see} #{correction}</a>')


def table_rows(rows: list[dict[str, Any]]) -> SafeString:
    """Return the rows of the results table as HTML, every value escaped.

    Built here rather than in the template: fifty rows are a thousand template
    nodes, which cost most of the page's time; the same HTML made by str.format
    costs a tenth of it.
    """
    labels = {"l_entity": gettext("市场主体"), "l_plan": gettext("计划编号"), "l_department": gettext("检查部门"),
              "l_item": gettext("抽查事项"), "l_date": gettext("检查日期"), "l_result": gettext("检查结果"),
              "l_follow_up": gettext("后续处置"), "l_published": gettext("公示日期"),
              "l_correction": gettext("更正"), "l_reason": gettext("更正原因"), "l_corrects": gettext("更正的记录"),
              "l_corrected": gettext("已被更正"), "l_see": gettext("见更正记录")}
    # The standard library's escape: the same five characters as Django's, without its lazy-string wrapper.
    escape = markup.escape
    labels = {key: escape(value) for key, value in labels.items()}
    entity_url = reverse("public_results:entity", args=["CODE"])
    plan_url = reverse("portal:plan", args=[987654321])
    lines = []
    for r in rows:
        link = escape(entity_url.replace("CODE", r["entity__uscc"]))
        lines.append(ROW.format(
            pk=r["pk"], entity_url=link, name=escape(r["entity__name"]), uscc=escape(r["entity__uscc"]),
            plan_url=escape(plan_url.replace("987654321", str(r["task__plan_id"]))),
            number=escape(r["task__plan__number"]), department=escape(r["department__name"]),
            item_code=escape(r["item_code"]), item_name=escape(r["item_name"]), inspected=r["inspected_day"],
            category=escape(r["category_label"]), follow_up=escape(r["follow_up_label"]),
            published=r["published_day"],
            corrects=CORRECTS.format(reason=escape(r["correction_reason"]), entity_url=link,
                                     corrects=r["corrects_id"], **labels) if r["corrects_id"] else "",
            corrected=CORRECTED.format(entity_url=link, correction=r["correction"], **labels)
            if r["correction"] else "",
            **labels))
    return mark_safe("".join(lines))  # every value above is escaped


@public
def results(request: HttpRequest) -> HttpResponseBase:
    """Search the published results by entity name or code, with filters and paging (R7)."""
    form, found = _searched(request)
    page = search_page(found, request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    rows = page_rows(list(page))
    return render(request, "results/public_list.html", {
        "form": form, "options": form.options(), "page": page, "query": query.urlencode(), "rows": rows,
        "table_rows": table_rows(rows)})


def _csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    class Line:
        def write(self, text: str) -> str:
            return text

    writer = csv.writer(Line())
    yield codecs.BOM_UTF8 + writer.writerow(header).encode()
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(row))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


@public
def export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """Download the current search as CSV (UTF-8 with BOM) or .xlsx, formula-safe, streamed."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    form, found = _searched(request)
    filename = f"published-results-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"
    in_english = english(request)
    rows = export_rows(found.results, in_english)
    header = EXPORT_KEYS if in_english else EXPORT_HEADER
    if fmt == "csv":
        response = StreamingHttpResponse(_csv_stream(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # openpyxl writes a whole zip: build it in a temporary file, then stream the file.
    spool = tempfile.TemporaryFile()
    write_table(spool, "xlsx", header, rows, "published results" if in_english else "检查结果公示")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename)


EXEMPTION_REASONS = {
    credit.HEIGHTENED: _("属于加大抽查力度的重点对象，不适用免检。"),
    credit.NO_INSPECTIONS: _("尚无本平台各部门的检查记录。"),
    credit.GAP: _("最近三个年度中有年度未被检查，不满足连续三年的条件。"),
    credit.PROBLEM: _("最近三个年度的检查中有“未发现问题”以外的结果。"),
    credit.PAST: _("连续三年良好的免检年度已过。"),
}


@public
def entity(request: HttpRequest, code: str) -> HttpResponseBase:
    """An entity's credit record (信用记录): every published result and its exemption (R3)."""
    found = get_object_or_404(Entity.objects.select_related("region"), uscc=code.strip().upper())
    record = credit_record(found)
    names = item_names({r.item_code for r in record.results})
    exemption = record.exemption
    return render(request, "results/public_entity.html", {
        "entity": found, "record": record, "exemption": exemption,
        "rows": [(r, names.get(r.item_code, ""), record.follow_ups.get(r.task_id, []), record.corrected.get(r.pk))
                 for r in record.results],
        "reason": EXEMPTION_REASONS.get(exemption.reason, ""),
        "by_year": [(year, [record.department_names.get(c, c) for c in exemption.by_year.get(year, ())])
                    for year in exemption.years],
        "exempt_departments": [record.department_names.get(c, c) for c in exemption.departments],
    })
