"""Form errors look the same everywhere: a red summary at the top, each wrong field marked (#11)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_item_form_sums_up_its_errors_and_marks_the_fields(personas, login, published):
    alice = login(personas["alice"])
    alice.post(reverse("catalog:draft", args=["SCJGJ"]))
    response = alice.post(reverse("catalog:item_new", args=["SCJGJ"]), {"code": "", "name": "", "category": "general"})
    page = response.content.decode()
    assert response.status_code == 200
    summary = page.split('class="error form-errors"')[1].split("</div>")[0]
    assert "未能保存，请修改以下问题" in summary
    assert '<a href="#id_code">' in summary and '<a href="#id_name">' in summary  # each error links to its field
    assert page.index("form-errors") < page.index('name="code"')  # at the top
    code_field = re.search(r'<div class="form-field has-error[^"]*">.*?</div>', page, re.S).group(0)
    assert 'aria-invalid="true"' in code_field and 'aria-describedby="id_code_error"' in code_field
    assert '<div class="field-error" id="id_code_error">' in page


def test_a_form_without_errors_shows_no_summary(personas, login, published):
    alice = login(personas["alice"])
    alice.post(reverse("catalog:draft", args=["SCJGJ"]))
    page = alice.get(reverse("catalog:item_new", args=["SCJGJ"])).content.decode()
    assert "form-errors" not in page and "has-error" not in page and 'name="code"' in page
