"""Field-level validation messages for the faults copy cataloguers meet."""

from __future__ import annotations

from pymarc import Field, Indicators, Record, Subfield

from shelfnet.marc.validate import Problem, validate
from tests.unit.marc.workbench.conftest import unicode_records

BOOK_008 = "020121s1999    cau           000 0 eng d"


def _book(*extra: Field, fixed: str = BOOK_008, leader: str = "00000nam a2200000 a 4500") -> Record:
    record = Record(force_utf8=True)
    record.leader = leader  # type: ignore[assignment]
    record.fields.append(Field("008", data=fixed))
    record.fields.extend(extra)
    return record


def _title(ind1: str = "1", *subfields: Subfield) -> Field:
    return Field("245", Indicators(ind1, "0"), list(subfields) or [Subfield("a", "Title")])


def _errors(record: Record) -> list[Problem]:
    return [p for p in validate(record) if p.severity == "error"]


def test_a_clean_book_has_no_problems() -> None:
    assert validate(_book(_title())) == []


def test_008_of_wrong_length_is_an_error_on_008() -> None:
    problems = _errors(_book(_title(), fixed=BOOK_008 + " "))
    assert [(p.tag, p.occurrence) for p in problems] == [("008", 1)]
    assert "41 characters, not 40" in problems[0].message


def test_two_245s_flag_the_second() -> None:
    problems = _errors(_book(_title(), _title()))
    assert [(p.tag, p.occurrence) for p in problems] == [("245", 2)]
    assert "not repeatable" in problems[0].message


def test_two_100s_flag_the_second() -> None:
    name = Field("100", Indicators("1", " "), [Subfield("a", "Smith, J.")])
    problems = _errors(_book(name, name, _title()))
    assert [(p.tag, p.occurrence) for p in problems] == [("100", 2)]


def test_missing_245_is_a_record_level_error() -> None:
    assert _errors(_book()) == [Problem("245", 0, None, "error", "the record has no 245 field")]


def test_indicator_outside_allowed_values() -> None:
    (problem,) = _errors(_book(_title("3")))
    assert (problem.tag, problem.occurrence) == ("245", 1)
    assert "indicator 1 '3'" in problem.message


def test_required_subfield_missing() -> None:
    (problem,) = _errors(_book(_title("1", Subfield("c", "by me"))))
    assert problem.subfield == "a" and "needs $a or $k" in problem.message


def test_non_repeatable_subfield_repeated() -> None:
    (problem,) = _errors(_book(_title("1", Subfield("a", "One"), Subfield("a", "Two"))))
    assert problem.subfield == "a" and "not repeatable" in problem.message


def test_leader_length_and_values() -> None:
    record = _book(_title(), leader="00000nam a2200000 a 4500")
    record.leader = "00000nzm a22"  # type: ignore[assignment]
    assert validate(record)[0].message == "the leader has 12 characters, not 24"
    record.leader = "00000nzm a2200000 a 4500"  # type: ignore[assignment]
    assert "leader/06 'z'" in _errors(record)[0].message


def test_006_and_007_lengths() -> None:
    record = _book(_title(), Field("006", data="m     o  d"), Field("007", data="cr |||"))
    problems = _errors(record)
    assert [(p.tag, p.occurrence) for p in problems] == [("006", 1), ("007", 1)]
    assert "not 14" in problems[1].message


def test_unknown_and_obsolete_subfields_are_warnings() -> None:
    record = _book(_title("1", Subfield("a", "T"), Subfield("d", "old"), Subfield("j", "?")))
    warnings = [p for p in validate(record) if p.severity == "warning"]
    assert [(p.subfield, "obsolete" in p.message) for p in warnings] == [("d", True), ("j", False)]


def test_local_fields_are_not_checked() -> None:
    local = Field("949", Indicators("x", "y"), [Subfield("!", "z")])
    assert [p.subfield for p in validate(_book(_title(), local))] == ["!"]


def test_real_records_validate_without_crashing() -> None:
    for record in unicode_records("jazz_1k.mrc", 100):
        for problem in validate(record):
            assert problem.severity in ("error", "warning") and problem.message
