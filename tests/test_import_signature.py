"""A signature covers the history up to and including the signing (digest version 2).

The audit trail of a signed review, and the names on it, cannot be changed in
an export file; entries added after the signing (exports, a reopen) are not
covered; reviews signed before (a version 1 digest) verify as they did.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tui import export, workflow
from tui.access import open_session
from tui.models import SignRole, State
from tui.store import Store, now

CYCLE = "2026-h2"
RID = f"{CYCLE}/maya"


def sign(store: Store, person: str, role: SignRole) -> None:
    """What Session.sign does, with the history (see the note on access.py)."""
    store.update_review(RID, lambda r: (None, workflow.sign(
        r, person, role, r.revision, now(), history=store.history(RID))))


@pytest.fixture
def signed(store: Store) -> Store:
    sign(store, "maya", SignRole.employee)
    sign(store, "root", SignRole.manager)
    assert store.load_review(RID).state is State.signed_off
    return store


def hr_text(store: Store) -> str:
    return export.export_text(open_session(store, login="harriet"), RID)


def test_a_new_signature_covers_content_names_and_history(signed: Store) -> None:
    review = signed.load_review(RID)
    assert all(s.digest.startswith("v2:") for s in review.signoffs)
    history = signed.history(RID)
    for s in review.signoffs:
        assert workflow.signature_holds(review, s, history)
    # the employee's signature covers up to their own sign entry, the manager's up to
    # the entry that closed the review
    employee, manager = review.signoffs
    assert workflow.signed_history(history, employee)[-1].action == "sign"
    assert workflow.signed_history(history, manager)[-1].new == "signed_off"
    assert export.parse_review(hr_text(signed), "maya.toml").review.state is State.signed_off


@pytest.mark.parametrize("edit", [
    # who closed the review
    lambda t: re.sub(r'(\[\[history\]\]\n(?:.+\n)*?)who = "root"\naction = "state"\n'
                     r'field = "state"\nold = "joint_review"\nnew = "signed_off"',
                     r'\1who = "harriet"\naction = "state"\nfield = "state"\n'
                     r'old = "joint_review"\nnew = "signed_off"', t),
    # an entry from long before the signing
    lambda t: t.replace('note = "started from', 'note = "forged: started from', 1),
    # an entry dropped
    lambda t: re.sub(r'\n\[\[history\]\]\n(?:.+\n)*?action = "set"\n(?:.+\n)*?(?=\n)', "", t,
                     count=1),
    # the names shown on the review
    lambda t: t.replace('name = "Maya', 'name = "Mayor', 1),
    lambda t: re.sub(r'(\[manager\]\nid = "root"\nname = ")', r"\1Not ", t),
])
def test_a_changed_history_or_name_in_a_signed_file_is_refused(signed: Store, edit) -> None:
    text = hr_text(signed)
    edited = edit(text)
    assert edited != text
    with pytest.raises(export.ReviewFileError) as info:
        export.parse_review(edited, "maya.toml")
    assert "maya.toml: sign-off #" in str(info.value)
    assert "changed after signing" in str(info.value)


def test_entries_after_the_signing_are_not_covered(signed: Store, tmp_path: Path) -> None:
    session = open_session(signed, login="harriet")
    export.export_review(session, RID, tmp_path / "first.toml")  # an export entry after signing
    text = hr_text(signed)
    assert text.count('action = "export"') >= 1
    assert export.parse_review(text, "maya.toml").review.state is State.signed_off
    # a reopen clears the signatures; signing again covers the reopen too
    session.reopen(RID, "typo in a comment")
    sign(signed, "maya", SignRole.employee)
    sign(signed, "root", SignRole.manager)
    again = hr_text(signed)
    assert 'action = "reopen"' in again
    assert export.parse_review(again, "maya.toml").review.state is State.signed_off
    edited = again.replace('note = "typo in a comment"', 'note = "because"')
    with pytest.raises(export.ReviewFileError, match="changed after signing"):
        export.parse_review(edited, "maya.toml")


def test_a_signed_review_round_trips_byte_for_byte(signed: Store, tmp_path: Path) -> None:
    first = export.export_review(open_session(signed, login="harriet"), RID, tmp_path / "a.toml")
    new = Store(tmp_path / "new")
    export.import_reviews(new, [first], "harriet")
    back = new.load_review(RID)
    assert back == signed.load_review(RID)
    history = new.history(RID)
    assert all(workflow.signature_holds(back, s, history) for s in back.signoffs)
    second = export.export_review(open_session(new, login="harriet"), RID, tmp_path / "b.toml")
    strip = lambda t: re.sub(r"(?m)^exported_at = .*\n", "", t)  # noqa: E731
    a, b = first.read_text(encoding="utf-8"), second.read_text(encoding="utf-8")
    assert strip(b).startswith(strip(a).rstrip("\n"))


def test_reviews_signed_before_keep_their_content_digest(store: Store, tmp_path: Path) -> None:
    # signed the way kpireview signed before: without the history
    for person, role in (("maya", SignRole.employee), ("root", SignRole.manager)):
        store.update_review(RID, lambda r, p=person, ro=role: (None, workflow.sign(
            r, p, ro, r.revision, now())))
    review = store.load_review(RID)
    assert review.state is State.signed_off
    assert all(s.digest == workflow.content_digest(review) for s in review.signoffs)
    path = export.export_review(open_session(store, login="harriet"), RID, tmp_path / "m.toml")
    text = path.read_text(encoding="utf-8")
    assert export.parse_review(text, "m.toml").review.state is State.signed_off
    new = Store(tmp_path / "new")
    export.import_reviews(new, [path], "harriet")
    assert new.load_review(RID).signoffs == review.signoffs
    with pytest.raises(export.ReviewFileError, match="the signed content does not match"):
        export.parse_review(re.sub(r"manager_rating = (\d)", lambda m: f"manager_rating = "
                                   f"{6 - int(m.group(1)) if m.group(1) != '3' else 4}", text,
                                   count=1), "m.toml")


@pytest.mark.parametrize("meanwhile, message", [
    ("edited", "was changed after that"),
    ("exported", "the history here differs from the history this file was signed with"),
])
def test_a_signed_file_does_not_replace_a_review_that_went_another_way(
        signed: Store, tmp_path: Path, pristine_demo: Path, meanwhile: str, message: str) -> None:
    path = export.export_review(open_session(signed, login="harriet"), RID, tmp_path / "m.toml")
    other = Store(tmp_path / "other")
    shutil.copytree(pristine_demo, other.root)
    # the same review, unsigned, went on differently here
    if meanwhile == "edited":
        open_session(other, login="root").set_comment(RID, "ad-csat", "noted")
        open_session(other, login="root").set_comment(RID, "ad-csat", "")
    else:
        export.export_text(open_session(other, login="root"), RID)
        open_session(other, login="root").record(RID, "export", note="standard output")
    before = other.load_review(RID)
    with pytest.raises(export.ReviewFileError) as info:
        export.import_reviews(other, [path], "harriet",
                              session=open_session(other, login="harriet"), replace=True)
    assert f"{path}: review {RID}" in str(info.value) and message in str(info.value)
    assert other.load_review(RID) == before


def test_a_signed_file_replaces_the_same_review_before_signing(
        signed: Store, tmp_path: Path, pristine_demo: Path) -> None:
    path = export.export_review(open_session(signed, login="harriet"), RID, tmp_path / "m.toml")
    other = Store(tmp_path / "other")
    shutil.copytree(pristine_demo, other.root)  # maya in the joint review, as before signing
    export.import_reviews(other, [path], "harriet", session=open_session(other, login="harriet"),
                          replace=True)
    review = other.load_review(RID)
    assert review.state is State.signed_off and review.revision == signed.load_review(RID).revision
    assert all(workflow.signature_holds(review, s, other.history(RID)) for s in review.signoffs)


def test_signing_in_kpireview_covers_the_history(store: Store) -> None:
    """(Needs Session.sign to pass the history to workflow.sign: see the access.py note.)"""
    open_session(store, login="maya").sign(RID, store.load_review(RID).revision)
    open_session(store, login="root").sign(RID, store.load_review(RID).revision)
    review = store.load_review(RID)
    assert review.state is State.signed_off
    assert all(s.digest.startswith("v2:") for s in review.signoffs)
    edited = hr_text(store).replace('name = "Maya', 'name = "Mayor', 1)
    with pytest.raises(export.ReviewFileError, match="changed after signing"):
        export.parse_review(edited, "maya.toml")
