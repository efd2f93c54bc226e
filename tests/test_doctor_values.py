"""doctor names values a review holds that would be refused if entered today."""

from __future__ import annotations

import json

from tui.doctor import check_data_dir
from tui.store import Store

ALEX = "2026-h2/alex"  # manager assessment: past planning


def _edit(store: Store, review_id: str, change) -> None:
    path = store.review_path(review_id)
    data = json.loads(path.read_text())
    change(data["review"]["1"])
    path.write_text(json.dumps(data))


def _kpi(review: dict, unit: str) -> tuple[dict, dict]:
    return next((kra, kpi) for kra in review["kras"] for kpi in kra["kpis"]
                if kpi.get("unit") == unit and kpi["kind"] == "numeric" and not kpi.get("na"))


def test_a_clean_demo_has_no_value_problems(store: Store) -> None:
    assert check_data_dir(store) == []


def test_missing_target_fractional_count_and_blank_texts_are_named(store: Store) -> None:
    found: dict[str, str] = {}

    def damage(review: dict) -> None:
        kra, kpi = _kpi(review, "count")
        kpi["actual"] = "2.5"
        found["count"] = f"KRA '{kra['id']}' · KPI '{kpi['id']}' · actual: 2.5 is not a whole number"
        kra, kpi = _kpi(review, "%")
        kpi["target"] = None
        found["target"] = f"KRA '{kra['id']}' · KPI '{kpi['id']}': no target"
        kpi["comments"] = [{"author": "root", "at": review["updated_at"], "text": "  "}]
        found["comment"] = f"KRA '{kra['id']}' · KPI '{kpi['id']}': a comment with no text"

    _edit(store, ALEX, damage)
    problems = "\n".join(check_data_dir(store))
    path = str(store.review_path(ALEX))
    for what in found.values():
        assert f"{path}: {what}" in problems, what
    assert "kpireview import --replace" in problems


def test_a_signed_off_review_is_left_as_signed(store: Store) -> None:
    _edit(store, "2026-h2/chen", lambda r: _kpi(r, "%")[1].update(target=None))
    assert not any("no target" in p for p in check_data_dir(store))
