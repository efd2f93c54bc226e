"""Issue 5: reviews exported as TOML and imported back (tui/export.py, the CLI commands).

Round trip of the whole demo organisation, exact numbers, recomputed scores,
bad files naming file + place + problem with nothing written, text that
survives as typed, and the export/import commands through click's CliRunner.
"""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tui import export
from tui.access import AccessError, open_session, os_login
from tui.cli import main
from tui.models import Comment
from tui.store import Store, now
from ui_helpers import hr

CYCLE = "2026-h2"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes (to prove nothing was written)."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def load(text: str) -> dict[str, Any]:
    return tomllib.loads(text, parse_float=Decimal)


def without_export_time(text: str) -> str:
    return re.sub(r"(?m)^exported_at = .*\n", "", text)


def split_last_history(text: str) -> tuple[str, str]:
    head, sep, last = text.rpartition("\n[[history]]\n")
    assert sep, "no history in the export"
    return head, sep + last


# --- the round trip ----------------------------------------------------------


def test_export_import_export_is_the_same_for_every_demo_review(demo_root: Path, tmp_path: Path) -> None:
    first = export.export_cycle(hr(demo_root), CYCLE, tmp_path / "first")
    assert len(first) == 6

    new = Store(tmp_path / "new")
    result = export.import_reviews(new, first, "harriet")
    assert result.written and result.new_directory
    assert new.config().hr_admins == ["harriet"]
    assert {p.id for p in new.people()} == {"alex", "maya", "sam", "chen", "lee", "root", "dana"}
    assert new.person("dana").login == "dana" and new.person("alex").manager == "root"
    assert [c.id for c in new.cycles()] == [CYCLE]

    second = export.export_cycle(hr(tmp_path / "new"), CYCLE, tmp_path / "second")
    assert [p.name for p in second] == [p.name for p in first]
    for a, b in zip(first, second):
        text_a, text_b = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
        body_b, import_entry = split_last_history(text_b)
        entry = load(import_entry)["history"][0]
        assert entry["action"] == "import" and str(a) in entry["note"]
        assert without_export_time(body_b) + "\n" == without_export_time(text_a) + "\n", a.name
        # the review itself came through unchanged, derived numbers included
        assert new.load_review(load(text_a)["review"]["id"]) == Store(demo_root).load_review(
            load(text_a)["review"]["id"])


def test_history_is_exported_in_order_and_each_export_is_recorded(demo_root: Path, tmp_path: Path) -> None:
    session = hr(demo_root)
    rid = f"{CYCLE}/maya"
    before = Store(demo_root).history(rid)
    path = export.export_review(session, rid, tmp_path / "maya.toml")
    doc = load(path.read_text(encoding="utf-8"))
    assert [(h["action"], h.get("field", "")) for h in doc["history"]] == [
        (e.action, e.field) for e in before]
    after = Store(demo_root).history(rid)
    assert len(after) == len(before) + 1
    assert after[-1].action == "export" and after[-1].note == str(path)


def test_export_refuses_to_overwrite_without_force(demo_root: Path, tmp_path: Path) -> None:
    session = hr(demo_root)
    target = tmp_path / "alex.toml"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(export.ExportError, match="exists already; add --force"):
        export.export_review(session, f"{CYCLE}/alex", target)
    assert target.read_text(encoding="utf-8") == "keep me"
    export.export_review(session, f"{CYCLE}/alex", target, force=True)
    assert load(target.read_text(encoding="utf-8"))["person"]["id"] == "alex"


def test_a_person_id_cannot_put_a_file_outside_the_directory(tmp_path: Path) -> None:
    for bad in ("../evil", "a/b", "..", "/etc/passwd", "X"):
        with pytest.raises(export.ExportError, match="cannot be used in a file name"):
            export.target_in(tmp_path, CYCLE, bad)
    assert export.target_in(tmp_path, CYCLE, "alex") == tmp_path / "2026-h2--alex.toml"


# --- numbers -----------------------------------------------------------------------


@pytest.mark.parametrize("text, kind", [
    ("100", int), ("100.00", int), ("-0", int), ("33.33", float), ("72.68", float),
    ("0.1", float), ("4.3", float), ("1234567.8901", float), ("0.00001", float),
    ("12345678901234.5678", str), ("0.1000000000000000055511151231257827", str),
    ("3.333333333333333333333333333", str),
])
def test_numbers_read_back_as_exactly_the_same_value(text: str, kind: type) -> None:
    value = Decimal(text)
    written = export.toml_number(value)
    assert type(written) is kind
    back = load(export.render({"x": written}))["x"]
    assert Decimal(back) == value


def test_exact_numbers_survive_a_review_round_trip(demo_root: Path) -> None:
    store = Store(demo_root)
    review = store.load_review(f"{CYCLE}/maya")
    kpi = review.kras[0].kpis[1]  # a % KPI
    kpi.target = Decimal("0.1")
    kpi.actual = Decimal("12345678901234.5678")
    text = export.dumps_review(review, store.history(review.id), store.cycle(CYCLE),
                               exported_at=now())
    assert 'actual = "12345678901234.5678"' in text
    assert "target = 0.1\n" in text
    back = export.parse_review(text, "mem.toml").review
    assert back == review
    assert back.kpi(kpi.id).actual == Decimal("12345678901234.5678")


# --- recomputed, never trusted -------------------------------------------------------


def test_hand_edited_scores_import_with_the_recomputed_scores(demo_root: Path, tmp_path: Path) -> None:
    path = export.export_review(hr(demo_root), f"{CYCLE}/maya", tmp_path / "maya.toml")
    text = path.read_text(encoding="utf-8")
    doc = load(text)
    real = doc["scores"]["overall"]
    kra = doc["kras"][0]
    edited = text.replace(f"overall = {real}\n", "overall = 4.99\n", 1)
    edited = edited.replace(f"score = {kra['score']}\n", "score = 5\n", 1)
    edited = edited.replace("final_rating = 3\n", "final_rating = 5\n", 1)
    assert edited.count("4.99") == 1
    path.write_text(edited, encoding="utf-8")

    file = export.read_review_file(path)
    notes = "\n".join(export.recomputed(file))
    assert f"overall: {real:.2f}" in notes
    assert f"scores.overall 4.99 → {real:.2f}" in notes
    assert f"KRA {kra['id']!r} score 5.00" in notes

    new = Store(tmp_path / "new")
    export.import_reviews(new, [path], "harriet")
    summary = new.summaries(cycle_id=CYCLE)[0]
    assert Decimal(summary["overall"]) == real
    again = load(export.export_text(hr(tmp_path / "new"), f"{CYCLE}/maya"))
    assert again["scores"]["overall"] == real
    assert again["kras"][0]["score"] == kra["score"]


# --- bad files: file + place + problem, nothing written ---------------------------------


def _doc(demo_root: Path, person: str = "maya") -> dict[str, Any]:
    review_id = f"{CYCLE}/{person}"
    return load(export.export_text(hr(demo_root), review_id))


def _kpi(doc: dict[str, Any], kra: int = 0, kpi: int = 0) -> dict[str, Any]:
    return doc["kras"][kra]["kpis"][kpi]


def _set(key: str, value: Any):
    def change(doc: dict[str, Any]) -> None:
        _kpi(doc)[key] = value
    return change


BAD_FILES = {
    "not toml": (None, ["not valid TOML", "line 3, column"]),
    "newer schema": (lambda d: d.update(schema_version=2), ["schema_version 2 is newer", "upgrade"]),
    "other schema": (lambda d: d.update(schema="kpireview.role-template"),
                     ["schema: expected 'kpireview.review'"]),
    "kpis missing": (lambda d: d["kras"][0].pop("kpis"),
                     ["KRA 'account-development' · kpis: required key is missing"]),
    "a KPI missing": (lambda d: d["kras"][0]["kpis"].pop(0),
                      ["KRA 'account-development': KPI weights sum to 70, not 100"]),
    "action on a missing KPI": (
        lambda d: d["actions"][0].update(kpi_id="no-such-kpi"),
        ["action 'a1': kpi_id 'no-such-kpi' is not a KPI of this review"]),
    "KRA weights": (lambda d: d["kras"][0].update(weight=17), ["KRA weights sum to 101, not 100"]),
    "KPI weights": (lambda d: _kpi(d).update(weight=Decimal("30.5")),
                    ["KRA 'account-development': KPI weights sum to 100.5"]),
    "rating off the scale": (_set("self_rating", 7),
                             ["'ad-new-products-adopted'", "self_rating 7 is off the scale 1..5"]),
    "rating not whole": (_set("manager_rating", Decimal("3.5")),
                         ["KPI 'ad-new-products-adopted' · manager_rating", "integer"]),
    "nan actual": (_set("actual", Decimal("nan")),
                   ["KRA 'account-development' · KPI 'ad-new-products-adopted' · actual",
                    "finite number (found NaN)"]),
    "inf actual": (_set("actual", Decimal("-inf")), ["KPI 'ad-new-products-adopted' · actual",
                                                     "finite"]),
    "quoted nan": (_set("actual", "NaN"), ["KPI 'ad-new-products-adopted' · actual", "finite"]),
    "unknown key": (_set("actuall", 3), ["KPI 'ad-new-products-adopted' · actuall: unknown key"]),
    "bad id": (lambda d: d["person"].update(id="Maya Lindqvist"), ["person · id", "not a valid id"]),
    "no offset": (lambda d: d["review"].update(created_at=d["review"]["created_at"].replace(tzinfo=None)),
                  ["review.created_at", "no UTC offset"]),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_with_file_place_and_problem(case: str, demo_root: Path,
                                                           tmp_path: Path) -> None:
    change, expected = BAD_FILES[case]
    path = tmp_path / "bad.toml"
    if change is None:
        path.write_text('schema = "kpireview.review"\nschema_version = 1\nachievement_cap = 15 0\n',
                        encoding="utf-8")
    else:
        doc = _doc(demo_root)
        change(doc)
        path.write_text(export.render(doc), encoding="utf-8")
    good = tmp_path / "good.toml"
    good.write_text(export.export_text(hr(demo_root), f"{CYCLE}/alex"), encoding="utf-8")
    target = tmp_path / "new"
    with pytest.raises(export.ReviewFileError) as info:
        export.import_reviews(Store(target), [good, path], "harriet")
    message = str(info.value)
    assert all(line.startswith(f"{path}: ") for line in info.value.problems), message
    for part in expected:
        assert part in message
    assert not target.exists(), "nothing may be written when any file is bad"


def test_a_person_id_that_exists_with_another_login_is_refused(demo_root: Path, tmp_path: Path) -> None:
    doc = _doc(demo_root)
    doc["person"]["login"] = "maya2"
    path = tmp_path / "maya.toml"
    path.write_text(export.render(doc), encoding="utf-8")
    before = snapshot(demo_root)
    with pytest.raises(export.ReviewFileError) as info:
        export.import_reviews(Store(demo_root), [path], "harriet", session=hr(demo_root), replace=True)
    assert f"{path}: person.login: person 'maya' exists with login 'maya'" in str(info.value)
    assert "the file says 'maya2'" in str(info.value)
    assert snapshot(demo_root) == before


def test_an_existing_review_is_only_replaced_with_replace(demo_root: Path, tmp_path: Path) -> None:
    path = export.export_review(hr(demo_root), f"{CYCLE}/alex", tmp_path / "alex.toml")
    before = snapshot(demo_root)
    with pytest.raises(export.ReviewFileError, match="exists already .* add --replace"):
        export.import_reviews(Store(demo_root), [path], "harriet", session=hr(demo_root))
    assert snapshot(demo_root) == before
    store = Store(demo_root)
    history = store.history(f"{CYCLE}/alex")
    export.import_reviews(store, [path], "harriet", session=hr(demo_root), replace=True)
    after = store.history(f"{CYCLE}/alex")
    # the history is kept, not doubled; one import entry is added
    assert after[:-1] == history
    assert after[-1].action == "import" and after[-1].who == "harriet"


def test_only_an_hr_admin_imports_into_an_existing_directory(demo_root: Path, tmp_path: Path) -> None:
    path = export.export_review(hr(demo_root), f"{CYCLE}/alex", tmp_path / "alex.toml")
    root = open_session(Store(demo_root), login="root")
    with pytest.raises(AccessError, match="only an HR admin may import"):
        export.import_reviews(Store(demo_root), [path], "root", session=root, replace=True)


# --- text as typed ----------------------------------------------------------------


TRICKY = [
    'He said "great" and left \\ C:\\temp\\new',
    'line one\nline two\r\nline three\ttabbed',
    'a """triple""" quote and \'\'\'single\'\'\' ones',
    "Привет · 你好 · مرحبا · ✓ · 🚀",
    "[bold]not markup[/] [link=file:///etc/passwd]x[/link]",
    "control \x00 \x07 \x1b[31m red \x7f end",
]


def test_text_survives_the_round_trip_as_typed(demo_root: Path, tmp_path: Path) -> None:
    store = Store(demo_root)
    review = store.load_review(f"{CYCLE}/maya")
    kpi = review.kras[0].kpis[0]
    at = now()
    kpi.comments = [Comment(author=review.person_id, at=at, text=t) for t in TRICKY]
    long_text = ("Ünïcode and ascii, " * 400) + "end"
    kpi.rating_reason = long_text
    review.kras[1].statement = "\x01" + TRICKY[2]
    review.actions[0].text = TRICKY[1]
    text = export.dumps_review(review, store.history(review.id), store.cycle(CYCLE),
                               manager=store.person(review.reviewer_id))
    path = tmp_path / "tricky.toml"
    path.write_text(text, encoding="utf-8")

    new = Store(tmp_path / "new")
    export.import_reviews(new, [path], "harriet")
    back = new.load_review(review.id)
    assert [c.text for c in back.kras[0].kpis[0].comments] == TRICKY
    assert back.kras[0].kpis[0].rating_reason == long_text
    assert back.kras[1].statement == "\x01" + TRICKY[2]
    assert back.actions[0].text == TRICKY[1]
    assert back == review


# --- the commands -------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_exports_one_review_to_standard_output(demo_root: Path) -> None:
    result = invoke("--data", str(demo_root), "--as", "root", "export", "--cycle", CYCLE,
                    "--person", "maya")
    assert result.exit_code == 0, result.output
    doc = load(result.stdout)
    assert doc["schema"] == "kpireview.review" and doc["person"]["id"] == "maya"
    assert doc["exported_by"] == "root"
    last = Store(demo_root).history(f"{CYCLE}/maya")[-1]
    assert last.action == "export" and last.note == "standard output" and last.who == "root"


def test_cli_exports_one_review_to_a_file_and_keeps_an_existing_one(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "maya.toml"
    args = ["--data", str(demo_root), "--as", "root", "export", "--cycle", CYCLE, "--person", "maya",
            "-o", str(out)]
    assert invoke(*args).exit_code == 0
    first = out.read_bytes()
    assert load(first.decode())["person"]["id"] == "maya"
    out.write_text("mine", encoding="utf-8")
    result = invoke(*args)
    assert result.exit_code == 1 and "exists already; add --force" in result.stderr
    assert out.read_text(encoding="utf-8") == "mine"
    assert invoke(*args, "--force").exit_code == 0
    assert load(out.read_text(encoding="utf-8"))["person"]["id"] == "maya"
    # -o DIR for one review puts CYCLE--PERSON.toml in it
    d = tmp_path / "dir"
    d.mkdir()
    assert invoke(*args[:-1], str(d)).exit_code == 0
    assert (d / "2026-h2--maya.toml").is_file()


def test_cli_exports_a_whole_cycle_with_a_progress_bar(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "cycle"
    result = invoke("--data", str(demo_root), "--as", "root", "export", "--cycle", CYCLE, "-o", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{CYCLE}--{p}.toml" for p in ("alex", "chen", "lee", "maya", "root", "sam")]
    assert "Exporting 2026-h2" in result.stderr and result.stdout == ""
    again = invoke("--data", str(demo_root), "--as", "root", "export", "--cycle", CYCLE, "-o", str(out))
    assert again.exit_code == 1 and "6 file(s) exist already" in again.stderr
    to_stdout = invoke("--data", str(demo_root), "--as", "root", "export", "--cycle", CYCLE, "-o", "-")
    assert to_stdout.exit_code == 1 and "give -o DIR" in to_stdout.stderr


def test_cli_export_goes_through_access(demo_root: Path, tmp_path: Path) -> None:
    # an employee cannot export a colleague's review
    result = invoke("--data", str(demo_root), "--as", "alex", "export", "--cycle", CYCLE, "--person", "maya")
    assert result.exit_code == 1 and "no review '2026-h2/maya' that you can see" in result.stderr
    # blind phase: the manager's rating on Alex's review stays out of Alex's export
    root = open_session(Store(demo_root), login="root")
    root.set_kpi(f"{CYCLE}/alex", "ad-csat", "manager_rating", 2)
    result = invoke("--data", str(demo_root), "--as", "alex", "export", "--cycle", CYCLE, "--person", "alex")
    assert result.exit_code == 0
    doc = load(result.stdout)
    assert not any("manager_rating" in k or "final_rating" in k
                   for kra in doc["kras"] for k in kra["kpis"] for k in k)
    assert "manager ratings are hidden until the joint review" in doc["hidden"]
    assert "manager_rating" not in result.stdout
    # an employee's cycle export holds only their own review
    out = tmp_path / "alex-cycle"
    result = invoke("--data", str(demo_root), "--as", "alex", "export", "--cycle", CYCLE, "-o", str(out))
    assert result.exit_code == 0
    assert [p.name for p in out.iterdir()] == ["2026-h2--alex.toml"]


def test_cli_imports_into_an_empty_directory(demo_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "cycle"
    export.export_cycle(hr(demo_root), CYCLE, out)
    new = tmp_path / "new"
    files = sorted(str(p) for p in out.iterdir())
    check = invoke("--data", str(new), "import", "--check", *files)
    assert check.exit_code == 0, check.output
    assert "2026-h2/maya (joint review)" in check.stdout and "overall: 3.06" in check.stdout
    assert not new.exists()
    result = invoke("--data", str(new), "import", *files)
    assert result.exit_code == 0, result.output
    assert "Imported 6 review(s)." in result.stdout
    assert Store(new).config().hr_admins == [os_login()]
    assert len(Store(new).review_ids(CYCLE)) == 6
    again = invoke("--data", str(new), "import", files[0])
    assert again.exit_code == 1
    assert "exists already" in again.stderr and "nothing was imported" in again.stderr


def test_cli_import_reports_every_bad_file_and_writes_nothing(demo_root: Path, tmp_path: Path) -> None:
    doc = _doc(demo_root)
    doc["kras"][0]["weight"] = 50
    bad1 = tmp_path / "weights.toml"
    bad1.write_text(export.render(doc), encoding="utf-8")
    bad2 = tmp_path / "broken.toml"
    bad2.write_text("schema = 'kpireview.review'\nthis is not toml\n", encoding="utf-8")
    new = tmp_path / "new"
    result = invoke("--data", str(new), "import", str(bad1), str(bad2))
    assert result.exit_code == 1
    assert f"{bad1}: KRA weights sum to 134, not 100" in result.stderr
    assert f"{bad2}: not valid TOML" in result.stderr and "line 2" in result.stderr
    assert "nothing was imported" in result.stderr
    assert not new.exists()


def test_cli_import_needs_an_hr_admin(demo_root: Path, tmp_path: Path) -> None:
    path = export.export_review(hr(demo_root), f"{CYCLE}/alex", tmp_path / "alex.toml")
    before = snapshot(demo_root)
    result = invoke("--data", str(demo_root), "--as", "root", "import", "--replace", str(path))
    assert result.exit_code == 1 and "only an HR admin may import" in result.stderr
    ok = invoke("--data", str(demo_root), "--as", "harriet", "import", "--replace", str(path))
    assert ok.exit_code == 0, ok.output
    assert "Imported 1 review(s), 1 replaced." in ok.stdout
    assert snapshot(demo_root) != before


@pytest.mark.parametrize("command", [["export"], ["import"], ["actuals", "import"]])
def test_every_transfer_command_has_help_with_an_example(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.stdout and "kpireview " in result.stdout


def test_the_example_in_the_format_document_imports_with_its_own_scores() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "review-format.md").read_text(
        encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    file = export.parse_review(example, "docs/review-format.md")
    assert file.review.state.value == "signed_off"
    assert file.review.kpi("nb-events").na
    notes = export.recomputed(file)
    assert notes[0] == "overall: 4.24 = 84.80 % of 5 (Exceeds expectations)"
    assert not any("differ" in n for n in notes), notes
