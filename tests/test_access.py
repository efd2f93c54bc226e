"""Issue 6, access: every cell of the permission matrix (docs/access.md), the
blind phases, refused logins, append-only history and reopening.

The org: harriet is the HR admin; dana heads the line; mgr reports to dana and
manages emp and col; ola is mgr's peer under dana. emp has one review per
cycle, one cycle per workflow state.
"""

from __future__ import annotations

import inspect
import json
import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tui import workflow
from tui.access import (
    ADVANCE,
    EDITABLE,
    AccessError,
    NotFound,
    Session,
    open_session,
)
from tui.models import Config, Cycle, CycleState, Kind, Person, State
from tui.scoring import suggestion
from tui.store import Store, now
from tui.workflow import WorkflowError

TEMPLATE = """\
schema = "kpireview.role-template"
schema_version = 1
id = "tiny-role"
title = "Tiny Role"
version = 1

[[kras]]
id = "sales"
title = "Sales"
weight = 60
[[kras.kpis]]
id = "revenue"
name = "Revenue achieved against target"
unit = "currency"
direction = "higher"
target = 1000
weight = 50
[[kras.kpis]]
id = "mentoring"
name = "Number of mentoring sessions held"
unit = "count"
direction = "higher"
target = 10
weight = 50

[[kras]]
id = "team"
title = "Team"
weight = 40
[[kras.kpis]]
id = "feedback"
name = "Peer feedback score"
kind = "rating"
weight = 100
"""
STATES = list(State)
CYCLE_OF = {
    State.planning: "c-plan",
    State.self_assessment: "c-self",
    State.manager_assessment: "c-mgr",
    State.joint_review: "c-joint",
    State.signed_off: "c-signed",
}
ACTORS = {  # who -> their side on emp's reviews
    "employee": "emp",
    "manager": "mgr",
    "line": "dana",
    "hr": "harriet",
    "colleague": "col",
}
SECRET_MGR = "SECRET-MANAGER-COMMENT"
SECRET_REASON = "SECRET-MANAGER-REASON"
SECRET_EMP = "SECRET-EMPLOYEE-COMMENT"


def rid(state: State, person: str = "emp") -> str:
    return f"{CYCLE_OF[state]}/{person}"


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.endswith(".lock")
    }


def as_(store: Store, login: str) -> Session:
    return open_session(store, login)


def walk(store: Store, review_id: str, target: State, employee: str = "emp",
         manager: str = "mgr") -> None:
    """Take a review from planning to `target` through the sessions, as people would."""
    emp, mgr = as_(store, employee), as_(store, manager)
    if target is State.planning:
        return
    mgr.advance(review_id)
    if target is State.self_assessment:
        return
    review = store.load_review(review_id)
    for kpi in review.all_kpis():
        if kpi.kind is Kind.numeric:
            emp.set_kpi(review_id, kpi.id, "actual", kpi.target)
        emp.set_kpi(review_id, kpi.id, "self_rating", 4)
    emp.set_comment(review_id, "revenue", SECRET_EMP)
    emp.advance(review_id)
    if target is State.manager_assessment:
        return
    mgr_rate(store, mgr, review_id)
    mgr.advance(review_id)
    mgr.add_action(review_id, "Run a quarterly review with the top accounts")
    if target is State.joint_review:
        return
    emp.sign(review_id, store.load_review(review_id).revision)
    mgr.sign(review_id, store.load_review(review_id).revision)
    assert store.load_review(review_id).state is State.signed_off


def mgr_rate(store: Store, mgr: Session, review_id: str) -> None:
    review = store.load_review(review_id)
    for kpi in review.all_kpis():
        _, suggested = suggestion(review, kpi)
        mgr.set_kpi(review_id, kpi.id, "manager_rating", 2 if suggested is None else suggested)
    mgr.set_kpi(review_id, "feedback", "rating_reason", SECRET_REASON)
    mgr.set_comment(review_id, "revenue", SECRET_MGR)


def inject(store: Store, review_id: str, who: str, field: str, value) -> None:
    """Put data into a review past the access rules, as if it had got there somehow,
    to prove the views hide it."""
    def change(r):
        if field == "comment":
            return None, workflow.set_comment(r, "revenue", who, value, now())
        return None, workflow.set_kpi_field(r, "feedback", field, value, who, now())

    store.update_review(review_id, change)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("access") / "data"
    store = Store(root)
    store.write_config(Config(organisation="Test", hr_admins=["harriet"]))
    (root / "templates").mkdir()
    (root / "templates" / "tiny-role.toml").write_text(TEMPLATE, encoding="utf-8")
    store.save_people([
        Person(id="dana", name="Dana", login="dana", role="tiny-role"),
        Person(id="harriet", name="Harriet", login="harriet", manager="dana", role="tiny-role"),
        Person(id="mgr", name="Morgan", login="mgr", manager="dana", role="tiny-role"),
        Person(id="ola", name="Ola", login="ola", manager="dana", role="tiny-role"),
        Person(id="emp", name="Emil", login="emp", manager="mgr", role="tiny-role"),
        Person(id="col", name="Colin", login="col", manager="mgr", role="tiny-role"),
    ])
    for state, cycle in CYCLE_OF.items():
        store.save_cycle(Cycle(id=cycle, name=cycle, start=date(2026, 1, 1),
                               end=date(2026, 12, 31), state=CycleState.open))
        as_(store, "mgr").start_review(cycle, "emp")
        walk(store, rid(state), state)
    mgr_rate(store, as_(store, "mgr"), rid(State.manager_assessment))  # the manager at work
    # data the other side may not see yet, planted where the workflow would not put it
    for state in (State.planning, State.self_assessment):
        inject(store, rid(state), "mgr", "manager_rating", 5)
        inject(store, rid(state), "mgr", "rating_reason", SECRET_REASON)
        inject(store, rid(state), "mgr", "comment", SECRET_MGR)
    inject(store, rid(State.planning), "emp", "self_rating", 1)
    inject(store, rid(State.planning), "emp", "comment", SECRET_EMP)
    emp = as_(store, "emp")  # the employee at work in the self-assessment
    emp.set_kpi(rid(State.self_assessment), "feedback", "self_rating", 1)
    emp.set_comment(rid(State.self_assessment), "revenue", SECRET_EMP)
    # a colleague's review, and the HR admin's own review (dana rates harriet)
    as_(store, "mgr").start_review("c-mgr", "col")
    as_(store, "dana").start_review("c-mgr", "harriet")
    walk(store, "c-mgr/harriet", State.manager_assessment, employee="harriet", manager="dana")
    mgr_rate(store, as_(store, "dana"), "c-mgr/harriet")
    return root


@pytest.fixture
def store(base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Store:
    import tui.store

    monkeypatch.setattr(tui.store, "FSYNC", False)  # these tests are about rules, not disks
    root = tmp_path / "data"
    shutil.copytree(base, root)
    return Store(root)


# --- the matrix -----------------------------------------------------------------
#
# Written out here from docs/access.md, not computed from tui.access, so that a
# change to the rules in the code that the document does not make fails a test.

ALLOWED: dict[tuple[State, str], set[str]] = {
    (State.planning, "manager"): {"target", "weights", "na", "na_reason", "advance"},
    (State.self_assessment, "employee"): {"actual", "self_rating", "comment", "advance"},
    (State.self_assessment, "manager"): {"advance"},
    (State.manager_assessment, "manager"): {
        "actual", "manager_rating", "agreed_rating", "rating_reason", "na", "na_reason",
        "comment", "advance"},
    (State.joint_review, "manager"): {
        "actual", "manager_rating", "agreed_rating", "rating_reason", "na", "na_reason",
        "comment", "action", "update_action", "sign"},
    (State.joint_review, "employee"): {"comment", "action", "update_action", "sign"},
    (State.signed_off, "hr"): {"reopen"},
}


def other(value: int | None) -> int:
    return 2 if value != 2 else 3


OPS = {
    "target": lambda s, r, cur: s.set_kpi(r, "revenue", "target", 1234),
    "weights": lambda s, r, cur: s.set_planning(r, {"sales": 50, "team": 50}, {}, {}),
    "na": lambda s, r, cur: s.set_kpi(r, "mentoring", "na", True),
    "na_reason": lambda s, r, cur: s.set_kpi(r, "mentoring", "na_reason", "on leave"),
    "actual": lambda s, r, cur: s.set_kpi(r, "revenue", "actual", 777),
    "self_rating": lambda s, r, cur: s.set_kpi(
        r, "feedback", "self_rating", other(cur.kpi("feedback").self_rating)),
    "manager_rating": lambda s, r, cur: s.set_kpi(
        r, "feedback", "manager_rating", other(cur.kpi("feedback").manager_rating)),
    "agreed_rating": lambda s, r, cur: s.set_kpi(
        r, "feedback", "agreed_rating", other(cur.kpi("feedback").agreed_rating)),
    "rating_reason": lambda s, r, cur: s.set_kpi(r, "feedback", "rating_reason", "a new reason"),
    "comment": lambda s, r, cur: s.set_comment(r, "mentoring", f"a note by {s.login}"),
    "action": lambda s, r, cur: s.add_action(r, "Shadow the renewals desk"),
    "update_action": lambda s, r, cur: s.update_action(r, "a1", {"status": "in_progress"}),
    "advance": lambda s, r, cur: s.advance(r),
    "sign": lambda s, r, cur: s.sign(r, cur.revision),
    "reopen": lambda s, r, cur: s.reopen(r, "the revenue figure was wrong"),
}
CELLS = [(state, actor, op) for state in STATES for actor in ACTORS for op in OPS]


@pytest.mark.parametrize(("state", "actor", "op"), CELLS,
                         ids=[f"{s.value}-{a}-{o}" for s, a, o in CELLS])
def test_permission_matrix(store: Store, state: State, actor: str, op: str) -> None:
    review_id = rid(state)
    session = as_(store, ACTORS[actor])
    current = store.load_review(review_id)
    before = snapshot(store.root)
    history_before = store.history(review_id)
    if op in ALLOWED.get((state, actor), set()):
        OPS[op](session, review_id, current)
        after = store.load_review(review_id)
        assert after != current
        history = store.history(review_id)
        assert history[: len(history_before)] == history_before
        new = history[len(history_before):]
        assert new and all(e.who == ACTORS[actor] for e in new)
        return
    expected = NotFound if actor == "colleague" else AccessError
    with pytest.raises(expected) as err:
        OPS[op](session, review_id, current)
    assert str(err.value)  # a message for a person
    if expected is NotFound:
        assert "that you can see" in str(err.value)
    assert snapshot(store.root) == before


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("actor", list(ACTORS))
def test_reading_and_what_the_view_offers(store: Store, state: State, actor: str) -> None:
    session = as_(store, ACTORS[actor])
    review_id = rid(state)
    if actor == "colleague":
        for read in (session.view, session.history,
                     lambda r: session.record(r, "export", "to a file")):
            with pytest.raises(NotFound):
                read(review_id)
        return
    view = session.view(review_id)
    assert view.review.id == review_id
    assert session.history(review_id)
    allowed = ALLOWED.get((state, actor), set())
    fields = {"target", "weights", "na", "na_reason", "actual", "self_rating", "manager_rating",
              "agreed_rating", "rating_reason", "comment", "action"}
    assert view.editable == frozenset(allowed & fields)
    assert view.can_advance == ("advance" in allowed)
    assert (view.sign_as is not None) == ("sign" in allowed)
    assert view.can_reopen == ("reopen" in allowed)


def test_the_code_matches_the_documented_matrix() -> None:
    fields = {"target", "weights", "na", "na_reason", "actual", "self_rating", "manager_rating",
              "agreed_rating", "rating_reason", "comment", "action"}
    for (state, side), ops in ALLOWED.items():
        if side in ("employee", "manager"):
            assert EDITABLE.get((state, side), frozenset()) == frozenset(ops & fields)
    for (state, side) in EDITABLE:
        assert (state, side) in ALLOWED
    for state, sides in ADVANCE.items():
        assert sides == {s for (st, s), ops in ALLOWED.items() if st is state and "advance" in ops}
    doc = (Path(__file__).resolve().parents[1] / "docs" / "access.md").read_text()
    for name in ("self_rating", "manager_rating", "agreed_rating", "rating_reason", "na_reason"):
        assert name in doc


# --- blind phases ------------------------------------------------------------------


def dump(session: Session, review_id: str) -> str:
    view = session.view(review_id)
    return view.review.model_dump_json() + json.dumps(
        [e.model_dump(mode="json") for e in session.history(review_id)])


@pytest.mark.parametrize("state", [State.planning, State.self_assessment, State.manager_assessment])
def test_the_employee_sees_no_manager_rating_before_the_joint_review(store: Store, state: State) -> None:
    review_id = rid(state)
    stored = store.load_review(review_id)
    assert any(k.manager_rating is not None for k in stored.all_kpis())  # it is there to hide
    session = as_(store, "emp")
    view = session.view(review_id)
    for kpi in view.review.all_kpis():
        assert kpi.manager_rating is None and kpi.agreed_rating is None
        assert kpi.rating_reason == ""
        assert all(c.author != "mgr" for c in kpi.comments)
    assert view.hidden
    text = dump(session, review_id)
    assert SECRET_MGR not in text and SECRET_REASON not in text
    for e in session.history(review_id):
        assert not e.field.endswith(("manager_rating", "agreed_rating", "rating_reason",
                                     "comment.mgr")), e
    mine = [s for s in session.summaries()["mine"] if s["review_id"] == review_id]
    assert mine and mine[0]["overall"] is None


def test_the_employee_sees_everything_from_the_joint_review(store: Store) -> None:
    session = as_(store, "emp")
    for state in (State.joint_review, State.signed_off):
        view = session.view(rid(state))
        assert all(k.manager_rating is not None for k in view.review.all_kpis())
        text = dump(session, rid(state))
        assert SECRET_MGR in text and SECRET_REASON in text
        assert any(e.field.endswith("manager_rating") for e in session.history(rid(state)))


@pytest.mark.parametrize("viewer", ["mgr", "dana"])
@pytest.mark.parametrize("state", [State.planning, State.self_assessment])
def test_the_manager_and_the_line_see_no_self_rating_before_the_manager_assessment(
    store: Store, state: State, viewer: str
) -> None:
    review_id = rid(state)
    stored = store.load_review(review_id)
    assert any(k.self_rating is not None for k in stored.all_kpis())
    session = as_(store, viewer)
    view = session.view(review_id)
    assert all(k.self_rating is None for k in view.review.all_kpis())
    assert all(c.author != "emp" for k in view.review.all_kpis() for c in k.comments)
    assert SECRET_EMP not in dump(session, review_id)
    assert not any(e.field.endswith(("self_rating", "comment.emp"))
                   for e in session.history(review_id))


def test_the_manager_sees_self_ratings_from_the_manager_assessment(store: Store) -> None:
    session = as_(store, "mgr")
    view = session.view(rid(State.manager_assessment))
    assert all(k.self_rating == 4 for k in view.review.all_kpis())
    assert SECRET_EMP in dump(session, rid(State.manager_assessment))


def test_hr_reads_everything_but_an_hr_admins_own_review_is_still_blind(store: Store) -> None:
    hr = as_(store, "harriet")
    assert SECRET_EMP in dump(hr, rid(State.planning))
    assert SECRET_MGR in dump(hr, rid(State.self_assessment))
    own = hr.view("c-mgr/harriet")
    assert own.sides == frozenset({"employee", "hr"})
    assert all(k.manager_rating is None for k in own.review.all_kpis())
    assert SECRET_MGR not in dump(hr, "c-mgr/harriet")
    assert SECRET_REASON not in dump(hr, "c-mgr/harriet")


def test_everyone_else_learns_nothing_not_even_that_a_review_exists(store: Store) -> None:
    for login in ("col", "ola"):
        session = as_(store, login)
        for review_id in (rid(State.joint_review), "c-joint/nobody"):
            with pytest.raises(NotFound) as err:
                session.view(review_id)
            assert str(err.value) == f"no review {review_id!r} that you can see"
        groups = session.summaries()
        assert all(s["person_id"] == login for g in groups.values() for s in g)


def test_an_employee_cannot_read_or_export_a_colleagues_review(store: Store) -> None:
    session = as_(store, "emp")
    before = snapshot(store.root)
    with pytest.raises(NotFound):
        session.view("c-mgr/col")
    with pytest.raises(NotFound):
        session.history("c-mgr/col")
    with pytest.raises(NotFound):
        session.record("c-mgr/col", "export", "to my disk")
    assert snapshot(store.root) == before


def test_the_line_reads_further_down_but_writes_nothing(store: Store) -> None:
    dana = as_(store, "dana")
    assert dana.view(rid(State.joint_review)).sides == frozenset({"line"})
    assert dana.view(rid(State.joint_review)).read_only
    groups = dana.summaries()
    assert {s["review_id"] for s in groups["line"]} == {
        *(rid(state) for state in STATES), "c-mgr/col"}
    assert {s["review_id"] for s in groups["team"]} == {"c-mgr/harriet"}
    mine = as_(store, "emp").summaries()
    assert [s["review_id"] for s in mine["mine"]] == sorted(rid(state) for state in STATES)
    assert {s["review_id"] for s in as_(store, "mgr").summaries()["team"]} == {
        *(rid(state) for state in STATES), "c-mgr/col"}
    assert as_(store, "mgr").summaries()["line"] == []


@pytest.mark.parametrize("top", [1, 2, 3, 100])
def test_long_lists_are_cut_to_the_first_few_and_counted(store: Store, top: int) -> None:
    """Home keeps only the rows it shows of "line" and "all", and how many there are."""
    def order(s: dict) -> tuple[str, str]:  # type: ignore[type-arg]
        return (s["cycle_id"], s["person_name"])

    dana = as_(store, "dana")
    full = dana.lists()
    cut = dana.lists(("line",), top=top, order=order)
    assert set(cut.rows) == {"line"} and cut.counts == {"line": len(full.rows["line"])}
    assert cut.rows["line"] == sorted(full.rows["line"], key=order)[:top]
    assert dana.has_long_lists() and not as_(store, "emp").has_long_lists()


# --- who is at the keyboard ------------------------------------------------------------


def test_an_unknown_login_is_refused_recorded_and_changes_nothing_else(store: Store) -> None:
    before = snapshot(store.root)
    with pytest.raises(AccessError, match="'mallory' is not a person"):
        open_session(store, "mallory")
    after = snapshot(store.root)
    assert {k: v for k, v in after.items() if k != "audit.json"} == before
    (event,) = store.audit()
    assert event["event"] == "login-refused" and event["login"] == "mallory"


def test_a_refused_as_is_recorded_and_changes_nothing_else(store: Store) -> None:
    before = snapshot(store.root)
    with pytest.raises(AccessError, match="--as is not allowed"):
        open_session(store, "emp", as_login="mgr")
    after = snapshot(store.root)
    assert {k: v for k, v in after.items() if k != "audit.json"} == before
    (event,) = store.audit()
    assert (event["event"], event["login"], event["as"]) == ("as-refused", "emp", "mgr")


def test_as_works_only_where_the_config_allows_it(store: Store) -> None:
    config = store.config().model_copy(update={"allow_as": True})
    store.write_config(config)
    session = open_session(Store(store.root), "emp", as_login="mgr")
    assert session.login == "mgr" and session.person.id == "mgr"


def test_nobody_reviews_themself(store: Store) -> None:
    with pytest.raises(AccessError, match="own review"):
        as_(store, "mgr").start_review("c-plan", "mgr")
    with pytest.raises(AccessError):
        as_(store, "col").start_review("c-plan", "col")
    # a review whose reviewer is the person (e.g. imported) gives them no manager side
    review = store.load_review(rid(State.manager_assessment)).model_copy(
        update={"reviewer_id": "emp", "id": "c-mgr/emp"})
    store.create_review(review, [], replace=True)
    view = as_(store, "emp").view(rid(State.manager_assessment))
    assert view.sides == frozenset({"employee"}) and not view.editable
    with pytest.raises(AccessError):
        as_(store, "emp").set_kpi(rid(State.manager_assessment), "feedback", "manager_rating", 5)


def test_only_a_manager_or_hr_starts_a_review(store: Store) -> None:
    before = snapshot(store.root)
    with pytest.raises(AccessError):
        as_(store, "col").start_review("c-plan", "ola")
    with pytest.raises(AccessError):
        as_(store, "dana").start_review("c-plan", "col")  # line, not the manager
    assert snapshot(store.root) == before
    as_(store, "harriet").start_review("c-plan", "ola")
    assert store.load_review("c-plan/ola").reviewer_id == "dana"


# --- HR administration --------------------------------------------------------------


def test_only_hr_changes_people_cycles_and_templates(store: Store) -> None:
    person = Person(id="new", name="New", login="new", manager="mgr", role="tiny-role")
    cycle = Cycle(id="c-next", name="Next", start=date(2027, 1, 1), end=date(2027, 6, 30))
    template = TEMPLATE.replace('id = "tiny-role"', 'id = "tiny-role-2"')
    before = snapshot(store.root)
    for login in ("emp", "mgr", "dana"):
        session = as_(store, login)
        with pytest.raises(AccessError, match="only an HR admin"):
            session.save_people([person])
        with pytest.raises(AccessError, match="only an HR admin"):
            session.save_cycle(cycle)
        with pytest.raises(AccessError, match="only an HR admin"):
            session.save_template(template)
    assert snapshot(store.root) == before
    hr = as_(store, "harriet")
    hr.save_people([person])
    hr.save_cycle(cycle)
    assert hr.save_template(template).id == "tiny-role-2"
    assert store.person("new").manager == "mgr"
    assert store.cycle("c-next").name == "Next"
    assert "tiny-role-2" in store.template_ids()


def test_a_bad_template_from_hr_is_refused_and_nothing_written(store: Store) -> None:
    from tui.templates import TemplateError

    before = snapshot(store.root)
    with pytest.raises(TemplateError):
        as_(store, "harriet").save_template(TEMPLATE.replace("weight = 60", "weight = 70"))
    assert snapshot(store.root) == before


def test_a_reopen_records_who_when_and_why(store: Store) -> None:
    review_id = rid(State.signed_off)
    hr = as_(store, "harriet")
    before = snapshot(store.root)
    with pytest.raises(WorkflowError, match="needs a reason"):
        hr.reopen(review_id, "   ")
    assert snapshot(store.root) == before
    t0 = datetime.now(timezone.utc) - timedelta(seconds=2)
    hr.reopen(review_id, "KPI 1 revenue was entered in the wrong currency")
    review = store.load_review(review_id)
    assert review.state is State.joint_review and review.signoffs == []
    last = store.history(review_id)[-1]
    assert last.action == "reopen" and last.who == "harriet"
    assert last.note == "KPI 1 revenue was entered in the wrong currency"
    assert (last.old, last.new) == ("signed_off", "joint_review")
    assert t0 <= last.at <= datetime.now(timezone.utc) + timedelta(seconds=2)


# --- history is append-only ----------------------------------------------------------


def test_history_has_no_public_way_to_be_rewritten() -> None:
    words = ("delete", "remove", "truncate", "rewrite", "clear", "purge", "edit_history",
             "set_history", "replace_history", "transaction", "read_db")
    for cls in (Store, Session):
        public = [n for n, _ in inspect.getmembers(cls) if not n.startswith("_")]
        assert not [n for n in public if any(w in n for w in words)], cls


def test_append_history_only_appends_with_rising_numbers(store: Store) -> None:
    review_id = rid(State.joint_review)
    before = store.history(review_id)
    entries = [workflow.entry("mgr", now(), "export", note=f"copy {i}") for i in range(3)]
    # callers cannot choose a sequence number: the store gives the next ones
    entries[0] = entries[0].model_copy(update={"seq": 1})
    store.append_history(review_id, entries)
    store.append_history(review_id, [workflow.entry("emp", now(), "export", note="again")])
    after = store.history(review_id)
    assert after[: len(before)] == before
    seqs = [e.seq for e in after]
    assert all(a < b for a, b in zip(seqs, seqs[1:]))
    assert seqs[-4:] == [before[-1].seq + i for i in range(1, 5)]
    assert [e.note for e in after[-4:]] == ["copy 0", "copy 1", "copy 2", "again"]
    # the review itself did not change
    assert store.load_review(review_id) == Store(store.root).load_review(review_id)


def test_every_change_is_in_the_history_with_old_and_new(store: Store) -> None:
    review_id = rid(State.manager_assessment)
    before = store.history(review_id)
    as_(store, "mgr").set_kpi(review_id, "revenue", "actual", "950")
    (entry,) = store.history(review_id)[len(before):]
    assert (entry.who, entry.field, entry.old, entry.new) == ("mgr", "revenue.actual", "1000", "950")


def test_long_lists_are_announced_exactly_when_someone_is_below_the_direct_reports(
    store: Store,
) -> None:
    """Home's quick check agrees with the full walk down the chart, for everyone."""
    for person in store.people():
        if not person.active:
            continue
        session = as_(store, person.login)
        expected = session.is_hr or bool(session._reports_below(person.id))
        assert session.has_long_lists() == expected, person.login
