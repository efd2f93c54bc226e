"""`kpireview import --check` lists every problem of a file in one run, and a
missing required key is always reported as missing, with its table."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tui import export
from tui.access import open_session
from tui.cli import main
from tui.store import Store

CYCLE = "2026-h2"


def _doc(root: Path, person: str) -> dict[str, Any]:
    text = export.export_text(open_session(Store(root), login="harriet"), f"{CYCLE}/{person}")
    return tomllib.loads(text, parse_float=Decimal)


def _problems(doc: dict[str, Any]) -> list[str]:
    with pytest.raises(export.ReviewFileError) as info:
        export.parse_review(export.render(doc), "f.toml")
    return [line.removeprefix("f.toml: ") for line in info.value.problems]


def _kpis(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(kra["id"], kpi) for kra in doc["kras"] for kpi in kra["kpis"]]


def test_import_check_lists_every_problem_of_a_file_in_one_run(
        pristine_demo: Path, tmp_path: Path) -> None:
    # the new user's file: 11 ratings off the scale, KRA weights summing to 101,
    # and a rating that is not a whole number
    text = export.export_text(open_session(Store(pristine_demo), login="harriet"),
                              f"{CYCLE}/alex")
    rated = [m.start() for m in re.finditer(r"(?m)^self_rating = \d+$", text)]
    assert len(rated) >= 12
    lines = text.split("\n")
    starts = {text.count("\n", 0, at) for at in rated}
    seven, not_whole = sorted(starts)[:11], sorted(starts)[11]
    for n in seven:
        lines[n] = "self_rating = 7"
    lines[not_whole] = 'self_rating = "3.5"'
    text = "\n".join(lines)
    doc = tomllib.loads(text, parse_float=Decimal)
    doc["kras"][0]["weight"] += 1
    path = tmp_path / "a.toml"
    path.write_text(export.render(doc), encoding="utf-8")

    data = tmp_path / "d"
    before = sorted(p.name for p in pristine_demo.rglob("*"))
    result = CliRunner().invoke(main, ["--data", str(pristine_demo), "--as", "harriet",
                                       "import", "--check", str(path)])
    assert result.exit_code == 1
    out = result.output
    assert "13 problem(s); nothing was imported" in out, out
    assert out.count("self_rating 7 is off the scale 1..5") == 11, out
    for kra_id, kpi in _kpis(doc):
        if kpi.get("self_rating") == 7:
            assert f"{path}: KPI {kpi['id']!r}: self_rating 7 is off the scale 1..5" in out
        if kpi.get("self_rating") == "3.5":
            assert (f"{path}: KRA {kra_id!r} · KPI {kpi['id']!r} · self_rating: Input should be "
                    "a valid integer") in out
    assert f"{path}: KRA weights sum to 101, not 100" in out
    assert sorted(p.name for p in pristine_demo.rglob("*")) == before
    assert not data.exists()


def test_every_weight_sum_and_rating_is_checked_despite_other_problems(
        pristine_demo: Path) -> None:
    doc = _doc(pristine_demo, "maya")
    doc["person"].pop("name")                              # a missing key
    doc["kras"][0]["kpis"][0]["manager_rating"] = "four"   # a value that is not a number
    doc["kras"][1]["kpis"][0]["weight"] += 1               # two KPI weight sums
    doc["kras"][2]["kpis"][0]["weight"] -= 1
    doc["kras"][3]["kpis"][0]["agreed_rating"] = 0         # ratings below and above the scale
    doc["kras"][4]["kpis"][1]["manager_rating"] = 6
    doc["kras"][5]["weight"] = Decimal("-1")               # a bad weight: no KRA sum then
    problems = _problems(doc)
    k = doc["kras"]
    expected = [
        "person · name: required key is missing",
        f"KRA {k[0]['id']!r} · KPI {k[0]['kpis'][0]['id']!r} · manager_rating: Input should be "
        "a valid integer",
        f"KRA {k[5]['id']!r} · weight: -1 is negative",
        f"KRA {k[1]['id']!r}: KPI weights sum to 101, not 100",
        f"KRA {k[2]['id']!r}: KPI weights sum to 99, not 100",
        f"KPI {k[3]['kpis'][0]['id']!r}: agreed_rating 0 is off the scale 1..5",
        f"KPI {k[4]['kpis'][1]['id']!r}: manager_rating 6 is off the scale 1..5",
    ]
    for part in expected:
        assert any(part in line for line in problems), (part, problems)
    assert not any("KRA weights sum" in line for line in problems), problems
    assert len(problems) == len(expected), problems


def test_actions_and_duplicates_are_checked_with_bad_values_elsewhere(
        pristine_demo: Path) -> None:
    doc = _doc(pristine_demo, "maya")
    doc["kras"][0]["kpis"][0]["actual"] = "lots"
    doc["kras"][1]["kpis"][1]["id"] = doc["kras"][1]["kpis"][0]["id"]
    doc["actions"][0]["kpi_id"] = "no-such-kpi"
    doc["manager"]["id"] = doc["person"]["id"]
    problems = _problems(doc)
    for part in ("· actual: Input should be a valid decimal",
                 f"duplicate KPI id {doc['kras'][1]['kpis'][0]['id']!r}",
                 "action 'a1': kpi_id 'no-such-kpi' is not a KPI of this review",
                 "manager.id: 'maya' cannot review their own review"):
        assert any(part in line for line in problems), (part, problems)


def _required_keys(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The place of every key (first item of each list only) that the file cannot do without."""
    places: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                places.append(path + (key,))
                walk(value, path + (key,))
        elif isinstance(node, list) and node:
            walk(node[0], path + (0,))

    walk(doc, ())
    return places


@pytest.mark.parametrize("person", ["maya", "chen"])
def test_a_missing_required_key_always_says_it_is_missing(pristine_demo: Path,
                                                           person: str) -> None:
    doc = _doc(pristine_demo, person)
    checked = 0
    for place in _required_keys(doc):
        edited = copy.deepcopy(doc)
        node = edited
        for key in place[:-1]:
            node = node[key]
        del node[place[-1]]
        try:
            export.parse_review(export.render(edited), "f.toml")
        except export.ReviewFileError as exc:
            problems = exc.problems
        else:
            continue  # an optional key
        if any("does not match this file" in p for p in problems):
            continue  # an optional key of a signed review: its signature breaks
        if place == ("bands", 0, "below"):
            continue  # not a key of every band: "every band but the last needs 'below'"
        checked += 1
        key = place[-1]
        said = [p for p in problems if "missing" in p and key in p]
        assert said, (place, problems)
        assert not any("None" in p for p in problems), (place, problems)
        # the place names the key and the table it is missing from
        line = said[0]
        if len(place) > 1:
            table = {"kras": "KRA", "kpis": "KPI", "actions": "action", "bands": "band",
                     "history": "history entry", "signoffs": "sign-off"}
            owner = place[-2] if isinstance(place[-2], str) else table[place[-3]]
            assert owner in line, (place, line)
    assert checked >= 30


def test_a_missing_schema_version_is_named_as_missing(pristine_demo: Path) -> None:
    doc = _doc(pristine_demo, "maya")
    doc.pop("schema_version")
    problems = _problems(doc)
    assert problems == ["schema_version: required key is missing (schema_version = 1)"]
    doc.pop("schema")
    assert _problems(doc)[0].startswith("schema: required key is missing")
    doc = _doc(pristine_demo, "maya")
    doc.pop("person")
    assert _problems(doc) == ["person: required table [person] is missing"]
