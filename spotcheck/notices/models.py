"""The service column (服务专栏): each department's notices and service guides for market entities.

A notice is written as a draft, published (then public, with its publication
time), and may be withdrawn (no longer public) and published again. Its body is
Markdown, shown only after sanitising (``notices.markdown``). It names the
catalog items it concerns by their codes, which a department holds across the
versions of its list (``catalog.ItemCode``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from spotcheck.catalog.models import ItemCode
from spotcheck.directory.models import Department


class Kind(models.TextChoices):
    """栏目."""

    NOTICE = "notice", _("通知公告")
    GUIDE = "guide", _("办事指南")


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    WITHDRAWN = "withdrawn", _("已撤回")


class Notice(models.Model):
    """A notice or service guide of a department (通知公告、办事指南)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="notices",
                                   verbose_name=_("发布部门"))
    kind = models.CharField(_("栏目"), max_length=20, choices=Kind.choices, default=Kind.NOTICE)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"), blank=True)
    items = models.ManyToManyField(ItemCode, blank=True, related_name="notices", verbose_name=_("相关抽查事项"))
    status = models.CharField(_("状态"), max_length=20, choices=NoticeStatus.choices, default=NoticeStatus.DRAFT)
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    revised_at = models.DateTimeField(_("更新时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("服务专栏文章")
        verbose_name_plural = _("服务专栏文章")
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["status", "-published_at"], name="notice_public_order")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status == NoticeStatus.PUBLISHED

    @property
    def changed_at(self):
        """Return when the public text last changed: its update time, else its publication."""
        return self.revised_at or self.published_at


def attachment_path(instance: NoticeAttachment, filename: str) -> str:
    return f"notices/{instance.notice_id}/{instance.sha256[:16]}{instance.extension}"


class NoticeAttachment(models.Model):
    """A file attached to a notice (附件): a PDF, photo or Office document, typed by its content."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    extension = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.CharField(max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        ordering = ["notice", "pk"]

    def __str__(self) -> str:
        return self.name
