"""Users, their roles and departments, and failed-login records."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles of docs/mission.md."""

    COORDINATOR = "coordinator", _("区协调办")
    DEPT_ADMIN = "dept_admin", _("部门管理员")
    DEPT_HEAD = "dept_head", _("部门负责人")
    INSPECTOR = "inspector", _("执法检查人员")
    WITNESS = "witness", _("监督见证人")


STAFF_ROLES = (Role.COORDINATOR, Role.DEPT_ADMIN, Role.DEPT_HEAD, Role.INSPECTOR)
DEPARTMENT_ROLES = (Role.DEPT_ADMIN, Role.DEPT_HEAD, Role.INSPECTOR)


class User(AbstractUser):
    """A person who logs in (用户): one role, and one department unless coordinator or witness."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    department = models.ForeignKey(
        "directory.Department",
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    inspector = models.OneToOneField(
        "directory.Inspector",
        verbose_name=_("执法检查人员档案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="user",
    )
    display_name = models.CharField(_("姓名"), max_length=100, blank=True)
    # Set when an administrator gives a temporary password: the next login must change it.
    must_change_password = models.BooleanField(_("下次登录须修改密码"), default=False)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                name="department_role_has_department",
                condition=~models.Q(role__in=["dept_admin", "dept_head", "inspector"])
                | models.Q(department__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def save(self, *args, **kwargs) -> None:
        # A superuser made with `spotcheck createsuperuser` works as the district coordinator.
        if self.is_superuser and not self.role:
            self.role = Role.COORDINATOR
        super().save(*args, **kwargs)

    @property
    def is_staff_role(self) -> bool:
        """Return whether the user works with the directories (not a witness)."""
        return self.role in STAFF_ROLES

    @property
    def is_coordinator(self) -> bool:
        return self.role == Role.COORDINATOR


class FailedLogin(models.Model):
    """A failed login attempt (登录失败记录), kept for a day to delay guessing (accounts.throttle).

    ``username`` is case folded; ``device`` is the id of the known device it came from,
    empty for a browser the account does not know.
    """

    username = models.CharField(max_length=150)
    address = models.GenericIPAddressField(null=True)
    device = models.CharField(max_length=64, blank=True, default="")
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("登录失败记录")
        indexes = [
            models.Index(fields=["username", "device", "at"], name="failedlogin_account"),
            models.Index(fields=["address", "device", "at"], name="failedlogin_address"),
        ]

    def __str__(self) -> str:
        return f"{self.username} @ {self.address} {self.at}"


class PasswordResetLink(models.Model):
    """A one-time password reset link (一次性密码重置链接), issued by an administrator (issue #9 §3).

    Only the SHA-256 of the link's random token is stored; the link itself is shown once, to the
    administrator who hands it over. It works once (``used_at``), until ``expires_at``, while the
    user's password is still the one it was issued against (``password_fingerprint``), while no
    newer link was issued and the account was not disabled (``revoked_at``), and only for an active
    account. The rules are in ``accounts.reset``.
    """

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="reset_links")
    token_hash = models.CharField(_("令牌哈希"), max_length=64, unique=True)
    password_fingerprint = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, verbose_name=_("签发人"), null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("一次性密码重置链接")
        verbose_name_plural = _("一次性密码重置链接")

    def __str__(self) -> str:
        return f"{self.user} {self.created_at}"
