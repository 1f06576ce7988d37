"""The plan form as department staff expect it (#11, Plans 1–3): R4's one-or-the-other, the warning
of a count above its stratum, the chosen departments' items, regions and industries to tick."""

from __future__ import annotations

import pytest

from spotcheck.plans.models import Plan
from tests.test_plans import GOOD, create

pytestmark = pytest.mark.django_db


# --- R4: a ratio or a count, not both ---------------------------------------------------------

def test_the_plan_file_refuses_a_stratum_with_both_a_ratio_and_a_count(tmp_path, published):
    code, out = create(tmp_path, {**GOOD, "strata": {"heightened": {"ratio": "0.20", "count": 12}}})
    assert code == 1 and Plan.objects.count() == 0
    [error] = out["errors"]
    assert error["field"] == "strata.heightened" and "比例和数量只能给出一项" in error["message"]


