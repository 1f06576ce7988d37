from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from spotcheck.plans.spec import STRATUM_NAMES

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """Return mapping[key] in a template, or ''."""
    try:
        value = mapping[key]
    except (KeyError, TypeError, IndexError):
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


# The names of the codes that draw records and the frame use (the records keep the codes).
CODE_LABELS = {
    **STRATUM_NAMES,
    "inactive": _("注销、吊销"), "exempt": _("连续三年良好免于抽查"), "already_inspected": _("同一事项已被抽查"),
    "frequency_cap": _("年度抽查次数已达上限"),
}


@register.filter
def zh(code: str) -> str:
    """Return the name of a stratum or exclusion code in the page's language ("涉外"); an unknown code as is."""
    label = CODE_LABELS.get(code)
    return str(label) if label else code


@register.simple_tag
def hash_value(value: Any, keep: int = 12) -> str:
    """Show a long hash shortened ("3f5a9c…e01b"), with a copy button and the whole value on demand.

    The copy button works through spotcheck/copy.js (no inline script: the CSP forbids it);
    without JavaScript the whole value is still there to select, under "全文".
    """
    text = str(value or "")
    if len(text) <= 2 * keep + 1:
        return format_html('<code class="hash">{}</code>', text)
    return format_html(
        '<span class="hash-short"><code class="hash" title="{}">{}…{}</code>'
        ' <button type="button" class="copy" data-copy="{}" data-done="{}">{}</button>'
        '<details><summary>{}</summary><code class="hash">{}</code></details></span>',
        text, text[:keep], text[-4:], text, gettext("已复制"), gettext("复制"), gettext("全文"), text)


@register.filter
def person(actor: str) -> str:
    """Show an actor of the log or a record ("user:scjg_admin") as name and role ("李管理员（部门管理员）")."""
    from spotcheck.audit.display import person as shown

    return shown(actor)
