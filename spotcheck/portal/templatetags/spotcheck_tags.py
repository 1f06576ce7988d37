from typing import Any

from django import template

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


# Chinese names of the codes that draw records and the frame use.
CODE_LABELS = {
    "heightened": "加大抽查力度", "foreign": "涉外", "general": "一般",
    "inactive": "注销、吊销", "exempt": "连续三年良好免于抽查", "already_inspected": "同一事项已被抽查",
    "frequency_cap": "年度抽查次数已达上限",
}


@register.filter
def zh(code: str) -> str:
    """Return a stratum or exclusion code with its Chinese name: "涉外 foreign"."""
    label = CODE_LABELS.get(code)
    return f"{label}（{code}）" if label else code
