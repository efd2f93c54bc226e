"""A signature vouches for the content it signed: edits after signing are caught."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tui.access import open_session
from tui.export import ReviewFileError, export_text, parse_review
from tui.models import State
from tui.store import Store
from tui.workflow import content_digest


@pytest.fixture(scope="module")
def signed_text(pristine_demo: Path) -> str:
    # export_text only reads: the shared demo stays untouched
    return export_text(open_session(Store(pristine_demo), login="root"), "2026-h2/chen")


def test_every_signature_carries_the_digest_of_what_was_signed(signed_text: str) -> None:
    parsed = parse_review(signed_text, "chen.toml")
    review = parsed.review
    assert review.state is State.signed_off
    assert len(review.signoffs) == 2
    assert all(s.digest == content_digest(review) for s in review.signoffs)


def test_untouched_signed_export_reads_back(signed_text: str) -> None:
    assert parse_review(signed_text, "chen.toml").review.state is State.signed_off


def test_signed_review_edited_in_the_file_is_refused(signed_text: str) -> None:
    edited, count = re.subn(r"manager_rating = (\d)", lambda m: f"manager_rating = {6 - int(m.group(1))}",
                            signed_text, count=1)
    assert count == 1 and edited != signed_text
    with pytest.raises(ReviewFileError) as info:
        parse_review(edited, "chen.toml")
    message = str(info.value)
    assert "chen.toml" in message and "changed after signing" in message


def test_digest_ignores_number_spelling_but_not_values(store: Store) -> None:
    review = store.load_review("2026-h2/chen")
    before = content_digest(review)
    kpi = next(k for k in review.all_kpis() if k.actual is not None)
    kpi.actual = kpi.actual + 0  # same value
    assert content_digest(review) == before
    kpi.actual = kpi.actual + 1
    assert content_digest(review) != before
