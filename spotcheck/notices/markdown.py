"""Turn a notice's Markdown into HTML that is safe to show on the public portal.

Markdown passes raw HTML through, so its output is never trusted: nh3 (the
ammonia sanitiser) keeps only the tags and attributes below. No script, style,
event handler or image survives; links keep http(s), mailto and relative
addresses only and are marked ``rel="noopener nofollow"``.
"""

from __future__ import annotations

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "a", "em", "strong", "del",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
EXTENSIONS = ["tables", "fenced_code", "sane_lists"]
EXTENSION_CONFIGS = {"tables": {"use_align_attribute": True}}


def render(text: str) -> SafeString:
    """Return the sanitised HTML of a Markdown text."""
    html = markdown_lib.markdown(text or "", extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                                 output_format="html")
    clean = nh3.clean(html, tags=TAGS, clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel="noopener nofollow", strip_comments=True)
    return mark_safe(clean)  # noqa: S308 (sanitised by nh3 just above)
