"""MARC for people: the labelled form and the field-by-field comparison (``web.labels``)."""

from __future__ import annotations

from shelfnet.web.labels import compare, labelled
from tests.unit.web.fakes import KIND_OF_BLUE_BRIEF, KIND_OF_BLUE_FULL


def test_the_labelled_form_names_the_fields_a_cataloguer_checks() -> None:
    form = dict(labelled(KIND_OF_BLUE_FULL))
    assert form["Title"] == ["Kind of blue"]
    assert form["Statement of responsibility"] == ["Miles Davis."]
    assert form["Author"] == ["Davis, Miles."]
    assert (form["Place"], form["Publisher"], form["Date"]) == (
        ["New York"],
        ["Columbia"],
        ["1959."],
    )
    assert form["ISBN"] == ["0-306-40615-2"]
    assert form["Subjects"] == ["Jazz -- 1951-1960", "Trumpet music"]


def test_labels_without_a_value_are_left_out() -> None:
    assert "Subjects" not in dict(labelled(KIND_OF_BLUE_BRIEF))
    assert "Series" not in dict(labelled(KIND_OF_BLUE_FULL))


def test_the_comparison_lines_records_up_tag_by_tag_and_marks_differences() -> None:
    rows = {row.tag: row for row in compare([KIND_OF_BLUE_FULL, KIND_OF_BLUE_BRIEF])}
    assert next(iter(rows)) == "LDR"
    assert rows["LDR"].differs  # encoding level ' ' against '7'
    assert rows["001"].cells == (("kob-1",), ("kob-2",))
    assert rows["650"].cells[1] == () and rows["650"].differs
    assert not rows["100"].differs
    assert rows["245"].cells[0] == ("10$aKind of blue /$cMiles Davis.",)
