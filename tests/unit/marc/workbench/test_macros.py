"""Every shipped macro, run on real records; a failing record does not stop a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymarc import Field, Indicators, Record, Subfield

from shelfnet.marc.macros import MacroError, list_macros, load_macro, run_batch, run_macro
from shelfnet.marc.macros.engine import macro_from_dict
from tests.unit.marc.workbench.conftest import unicode_records


def _add(record: Record, *fields: Field) -> None:
    record.fields.extend(fields)


def _with_020(records: list[Record]) -> list[Record]:
    return [r for r in records if r.get_fields("020")]


@pytest.fixture(scope="module")
def jazz_all() -> list[Record]:
    return unicode_records("jazz_1k.mrc")


def test_at_least_ten_shipped_macros_load() -> None:
    infos = list_macros()
    assert len(infos) >= 10
    assert all(info.title and info.description for info in infos)


def test_strip_9xx(jazz: list[Record]) -> None:
    results = run_batch(load_macro("strip_9xx"), jazz)
    assert any(r.changes for r in results)
    assert all(not f.tag.startswith("9") for r in results for f in r.record.fields)
    assert any(f.tag.startswith("9") for r in jazz for f in r.fields)  # input untouched


def test_add_local_590_with_parameter(jazz: list[Record]) -> None:
    macro = load_macro("add_local_590").with_params(note="Copied from LC")
    result = run_macro(macro, jazz[0])
    assert "Copied from LC" in result.record.get_fields("590")[-1].value()
    assert "+=590  \\\\$aCopied from LC" in result.diff


def test_set_040d_adds_our_symbol_once() -> None:
    record = unicode_records("hebrew.marc", 1)[0]
    macro = load_macro("set_040d").with_params(symbol="SHLF")
    first = run_macro(macro, record)
    assert first.record["040"].get_subfields("d")[-1] == "SHLF"
    assert run_macro(macro, first.record).changes == []


def test_set_040d_creates_040_when_missing(jazz: list[Record]) -> None:
    record = next(r for r in jazz if not r.get_fields("040"))
    result = run_macro(load_macro("set_040d").with_params(symbol="SHLF"), record)
    assert result.record["040"].get_subfields("a", "c") == ["SHLF", "SHLF"]


def test_callnumber_prefix_in_852_and_090() -> None:
    record = unicode_records("map_data.mrc", 1)[0]
    record.add_ordered_field(Field("090", Indicators(" ", " "), [Subfield("a", "G1234 .B5")]))
    result = run_macro(load_macro("callnumber_prefix"), record)
    assert result.record["090"]["a"] == "REF G1234 .B5"
    if record.get_fields("852") and record["852"].get_subfields("h"):
        assert result.record["852"]["h"].startswith("REF ")
    assert run_macro(load_macro("callnumber_prefix"), result.record).changes == []


def test_remove_vendor_fields(jazz: list[Record]) -> None:
    record = jazz[1]
    record.add_ordered_field(Field("029", Indicators("1", " "), [Subfield("a", "AU@")]))
    record.add_ordered_field(Field("938", Indicators(" ", " "), [Subfield("a", "Baker")]))
    result = run_macro(load_macro("remove_vendor_fields"), record)
    assert not result.record.get_fields("029", "938")
    assert sorted(result.changes) == ["deleted 029", "deleted 938"]


def test_normalise_isbn(jazz_all: list[Record]) -> None:
    records = _with_020(jazz_all)
    results = run_batch(load_macro("normalise_isbn"), records)
    for result in results:
        for value in (v for f in result.record.get_fields("020") for v in f.get_subfields("a")):
            assert "-" not in value and "(" not in value
    synthetic = Record(force_utf8=True)
    _add(synthetic, Field("020", Indicators(" ", " "), [Subfield("a", "0-306-40615-2 (pbk.)")]))
    fixed = run_macro(load_macro("normalise_isbn"), synthetic).record["020"]
    assert fixed.get_subfields("a", "q") == ["0306406152", "pbk."]


def test_delete_856_with_listed_hosts(jazz: list[Record]) -> None:
    record = jazz[2]
    for url in ("http://catdir.loc.gov/catdir/toc/1.html", "https://example.org/keep"):
        record.add_ordered_field(Field("856", Indicators("4", "1"), [Subfield("u", url)]))
    result = run_macro(load_macro("delete_856_hosts"), record)
    assert [f["u"] for f in result.record.get_fields("856")] == ["https://example.org/keep"]


def test_add_049_unless_present() -> None:
    hebrew = unicode_records("hebrew.marc", 1)[0]  # these already have a 049
    assert run_macro(load_macro("add_049"), hebrew).changes == []
    jazz = unicode_records("jazz_1k.mrc", 1)[0]
    result = run_macro(load_macro("add_049").with_params(code="SHLA"), jazz)
    assert result.record["049"]["a"] == "SHLA"


def test_rda_33x_for_print_books_only(jazz_all: list[Record]) -> None:
    book = unicode_records("lul_fre_500.mrc", 1)[0]
    result = run_macro(load_macro("rda_33x_print_book"), book)
    assert [f.tag for f in result.record.get_fields("336", "337", "338")] == ["336", "337", "338"]
    score = next(r for r in jazz_all if str(r.leader)[6] != "a")
    assert run_macro(load_macro("rda_33x_print_book"), score).changes == []


def test_uppercase_245c(jazz: list[Record]) -> None:
    record = next(r for r in jazz if r["245"].get_subfields("c"))
    record["245"].subfields = [
        Subfield(s.code, "by " + s.value if s.code == "c" else s.value)
        for s in record["245"].subfields
    ]
    result = run_macro(load_macro("uppercase_245c"), record)
    assert result.record["245"]["c"].startswith("By ")


def test_local_690_from_650(jazz: list[Record]) -> None:
    record = next(r for r in jazz if r.get_fields("650"))
    result = run_macro(load_macro("local_690_from_650"), record)
    assert [f["a"] for f in result.record.get_fields("690")] == [
        f["a"] for f in record.get_fields("650")
    ]


def test_mark_full_level(jazz: list[Record]) -> None:
    record = jazz[3]
    record.leader = str(record.leader)[:17] + "7" + str(record.leader)[18:]  # type: ignore[assignment]
    result = run_macro(load_macro("mark_full_level"), record)
    assert str(result.record.leader)[17] == " " and result.changes


def test_a_failing_step_is_reported_and_the_batch_goes_on(jazz: list[Record]) -> None:
    macro = macro_from_dict(
        "bad",
        {
            "steps": [{"action": "set_leader", "position": 23, "value": "${width}"}],
            "params": {"width": "x"},
        },
    )
    broken = Record(force_utf8=True)
    broken.leader = "short"  # type: ignore[assignment]
    results = run_batch(macro, [jazz[0], broken, jazz[1]])
    assert [r.error is None for r in results] == [True, False, True]
    assert "leader" in (results[1].error or "")
    assert results[1].record is broken


def test_conditions_subfield_matches_and_leader(jazz: list[Record]) -> None:
    macro = macro_from_dict(
        "cond",
        {
            "when": [{"subfield_matches": {"tag": "245", "code": "a", "pattern": "(?i)^friendly"}}],
            "steps": [
                {"action": "add_subfield", "tag": "245", "code": "h", "value": "[music]",
                 "when": [{"leader": {"position": 6, "equals": "c"}}]},
                {"action": "replace_field", "tag": "500", "subfields": [["a", "Note replaced"]]},
                {"action": "delete_subfield", "tag": "650", "code": "x"},
                {"action": "copy_field", "tag": "100", "to": "790"},
            ],
        },
    )  # fmt: skip
    results = run_batch(macro, jazz)
    changed = [r for r in results if r.changes]
    assert len(changed) == 1
    assert changed[0].record["245"].get_subfields("a")[0].startswith("Friendly")


def test_bad_macro_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('title = "x"\n[[steps]]\naction = "explode"\n')
    with pytest.raises(MacroError):
        load_macro(str(path))
    with pytest.raises(MacroError):
        load_macro("no_such_macro")
