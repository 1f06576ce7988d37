"""The public service column (服务专栏, no login): the list, each notice, its files and the Atom feed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spotcheck.accounts.access import public
from spotcheck.directory.models import Department
from spotcheck.notices import selectors
from spotcheck.notices.downloads import download
from spotcheck.notices.markdown import render as render_markdown
from spotcheck.notices.models import Kind, Notice, NoticeAttachment

PAGE_SIZE = 20
FEED_SIZE = 50


class SearchForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=100)
    department = forms.ChoiceField(label=_("发布部门"), required=False)
    kind = forms.ChoiceField(label=_("栏目"), required=False, choices=[("", _("全部")), *Kind.choices])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("全部")), *Department.objects.order_by("code").values_list("code", "name")]


def _listing(request: HttpRequest, department: Department | None) -> HttpResponseBase:
    data = request.GET.copy()
    if department is not None:
        data["department"] = department.code
    form = SearchForm(data)
    notices = selectors.published()
    if form.is_valid():
        code = form.cleaned_data["department"]
        if code:
            notices = notices.filter(department__code=code)
        if form.cleaned_data["kind"]:
            notices = notices.filter(kind=form.cleaned_data["kind"])
        notices = selectors.search(notices, form.cleaned_data["q"])
    else:
        notices = notices.none()
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    # The pager's links keep the filters; a department's own page has its department in the path.
    kept = {"q": data.get("q", ""), "kind": data.get("kind", ""),
            "department": "" if department else data.get("department", "")}
    query = urlencode([(k, v) for k, v in kept.items() if v])
    feed = (reverse("public_notices:department_feed", args=[department.code]) if department
            else reverse("public_notices:feed"))
    return render(request, "notices/public_list.html", {
        "form": form, "page": page, "notices": page.object_list, "department": department, "query": query,
        "feed_url": feed,
    })


@public
def index(request: HttpRequest) -> HttpResponseBase:
    """List the published notices of every department, filtered, searched and paged."""
    return _listing(request, None)


@public
def department(request: HttpRequest, code: str) -> HttpResponseBase:
    """List one department's published notices."""
    return _listing(request, get_object_or_404(Department, code=code))


def _published(pk: int) -> Notice:
    notice = selectors.published().filter(pk=pk).first()
    if notice is None:
        raise Http404(gettext("未找到"))
    return notice


@public
def detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Show a published notice with its files and the items it concerns."""
    notice = _published(pk)
    return render(request, "notices/public_detail.html", {
        "notice": notice, "body": render_markdown(notice.body), "attachments": notice.attachments.all(),
        "items": selectors.items_of(notice),
    })


@public
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponseBase:
    notice = _published(pk)
    return download(get_object_or_404(NoticeAttachment, pk=attachment_id, notice=notice))


class NoticeFeed(Feed):
    """The Atom feed of the published notices, district-wide or of one department."""

    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, code: str | None = None) -> Department | None:
        return get_object_or_404(Department, code=code) if code else None

    def title(self, obj: Department | None) -> str:
        name = obj.name if obj else gettext("全区")
        return gettext("%(name)s · 服务专栏") % {"name": name}

    def subtitle(self, obj: Department | None) -> str:
        return gettext("各部门为市场主体发布的通知公告和办事指南")

    def link(self, obj: Department | None) -> str:
        return reverse("public_notices:department", args=[obj.code]) if obj else reverse("public_notices:index")

    def items(self, obj: Department | None) -> list[Notice]:
        return list(selectors.published(obj)[:FEED_SIZE])

    def item_title(self, item: Notice) -> str:
        return f"[{item.get_kind_display()}] {item.title}"

    def item_description(self, item: Notice) -> str:
        return str(render_markdown(item.body))

    def item_link(self, item: Notice) -> str:
        return reverse("public_notices:detail", args=[item.pk])

    def item_pubdate(self, item: Notice) -> Any:
        return item.published_at

    def item_updateddate(self, item: Notice) -> Any:
        return item.changed_at

    def item_author_name(self, item: Notice) -> str:
        return item.department.name

    def item_categories(self, item: Notice) -> list[str]:
        return [str(item.get_kind_display())]


_feed = NoticeFeed()


@public
def feed(request: HttpRequest) -> HttpResponseBase:
    return _feed(request)


@public
def department_feed(request: HttpRequest, code: str) -> HttpResponseBase:
    return _feed(request, code=code)
