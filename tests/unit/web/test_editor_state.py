"""Edit sessions: bounded in number and in undo depth; typed text checked line by line."""

from __future__ import annotations

from shelfnet.marc.mnemonic import to_mnemonic
from shelfnet.web.editor_state import UNDO_DEPTH, EditStore, check, normalised, opened
from tests.unit.web.fakes import BLUE_TRAIN, KIND_OF_BLUE_FULL, found


def test_the_store_keeps_at_most_its_capacity_dropping_the_least_recently_used() -> None:
    store = EditStore(capacity=2)
    first = store.open(("s1", 0, 1), found("alpha", 1, KIND_OF_BLUE_FULL))
    store.open(("s1", 0, 2), found("alpha", 2, BLUE_TRAIN))
    assert store.get(("s1", 0, 1)) is first  # now the most recently used
    store.open(("s2", 0, 1), found("alpha", 1, BLUE_TRAIN))
    assert len(store) == 2
    assert store.get(("s1", 0, 2)) is None
    assert store.get(("s1", 0, 1)) is first


def test_a_search_started_again_under_the_same_id_gets_a_fresh_edit_session() -> None:
    store = EditStore()
    editing = store.open(("s1", 0, 1), found("alpha", 1, KIND_OF_BLUE_FULL))
    editing.save("changed", BLUE_TRAIN)
    again = store.open(("s1", 0, 1), found("alpha", 1, BLUE_TRAIN))
    assert again is not editing and not again.can_undo


def test_undo_goes_back_one_save_at_a_time_and_keeps_a_bounded_history() -> None:
    editing = opened(("s1", 0, 1), found("alpha", 1, KIND_OF_BLUE_FULL))
    original = editing.current
    for number in range(UNDO_DEPTH + 5):
        editing.save(f"version {number}", BLUE_TRAIN)
    assert editing.undo_depth == UNDO_DEPTH
    assert editing.undo() and editing.current.text == f"version {UNDO_DEPTH + 3}"
    while editing.undo():
        pass
    assert editing.current is not original  # the oldest versions were dropped
    assert editing.source_text == original.text == to_mnemonic(KIND_OF_BLUE_FULL)


def test_problems_are_placed_on_the_line_of_their_tag_and_occurrence() -> None:
    text = normalised(
        "# a comment line\r\n"
        + to_mnemonic(KIND_OF_BLUE_FULL).replace("=650  \\0$aTrumpet music", "=650  \\0$!Trumpet")
    )
    checked = check(text)
    lines = text.splitlines()
    second_650 = [n for n, line in enumerate(lines, start=1) if line.startswith("=650")][1]
    assert {p.line for p in checked.problems} == {second_650}
    assert (second_650, "650 #2 $!") in [(p.line, p.where) for p in checked.problems]
    assert checked.errors >= 1 and not checked.savable
    assert checked.fields[0].tag == "LDR" and checked.fields[0].line == 2


def test_the_field_view_splits_lines_even_when_the_text_cannot_be_read() -> None:
    checked = check("=LDR  too short\n=245  10$aTitle$cSomeone\nnot a field\n")
    assert checked.record is None and checked.problems[0].where == "syntax"
    title = checked.fields[1]
    assert (title.line, title.tag, title.indicators) == (2, "245", "10")
    assert title.subfields == (("a", "Title"), ("c", "Someone"))
