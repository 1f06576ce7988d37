"""Who am I; regions and departments (public)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from spotcheck.api.auth import PUBLIC, TokenRequest
from spotcheck.directory.models import Department, Region

router = Router(tags=["meta"])


class MeOut(Schema):
    username: str
    name: str
    role: str
    department: str | None
    token: str


class RegionOut(Schema):
    code: str
    name: str


class DepartmentOut(Schema):
    code: str
    name: str
    short_name: str


@router.get("/me", response=MeOut, summary="The caller: the token's user, role and department")
def me(request: TokenRequest) -> dict:
    user = request.user
    return {
        "username": user.get_username(),
        "name": str(user),
        "role": user.role,
        "department": user.department.code if user.department else None,
        "token": request.api_token.key,
    }


@router.get("/regions", response=list[RegionOut], auth=PUBLIC, summary="Townships and sub-districts (镇街)")
def regions(request: HttpRequest) -> list[Region]:
    return list(Region.objects.order_by("code"))


@router.get("/departments", response=list[DepartmentOut], auth=PUBLIC, summary="Departments (部门)")
def departments(request: HttpRequest) -> list[Department]:
    return list(Department.objects.order_by("code"))
