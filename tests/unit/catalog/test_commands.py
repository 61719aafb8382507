"""``shelfnet catalog ...`` commands, driven through Typer's test runner."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from shelfnet.catalog.commands import catalog_app
from shelfnet.marc import parse_marcxml
from tests.unit.catalog.records import CATALOG_FIXTURES, CATALOGUE, iso2709

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(catalog_app, list(args))
    return result.exit_code, result.output


def loaded(tmp_path: Path, catalogue: str) -> str:
    """``catalogue`` (a file or database URL) with ``records.CATALOGUE`` imported."""
    records = tmp_path / "records.mrc"
    records.write_bytes(iso2709(*CATALOGUE))
    code, output = run("import", str(records), "--catalog", catalogue)
    assert code == 0, output
    assert "5 added, 0 updated, 0 unchanged, 0 failed" in output
    return catalogue


def test_import_then_import_again(tmp_path: Path, location: str) -> None:
    catalogue = loaded(tmp_path, location)
    code, output = run(
        "import", str(tmp_path / "records.mrc"), "--catalog", catalogue, "--batch", "2"
    )
    assert code == 0 and "0 added, 0 updated, 5 unchanged, 0 failed" in output


def test_failed_records_are_listed_and_the_exit_status_says_so(location: str) -> None:
    catalogue = location
    code, output = run("import", str(CATALOG_FIXTURES / "broken.mrc"), "--catalog", catalogue)
    assert code == 1
    assert "3 added" in output and "3 failed" in output
    assert "byte 127" in output


def test_a_bad_match_point_is_a_usage_error(tmp_path: Path) -> None:
    code, output = run(
        "import",
        str(CATALOG_FIXTURES / "broken.mrc"),
        "--catalog",
        str(tmp_path / "c"),
        "--match",
        "title",
    )
    assert code == 2 and "match point" in output


def test_export_stats_delete_check(tmp_path: Path, location: str) -> None:
    catalogue = loaded(tmp_path, location)
    xml = tmp_path / "out.xml"
    code, output = run("export", "--catalog", catalogue, "--format", "marcxml", "--out", str(xml))
    assert code == 0 and "5 records written" in output
    assert len(parse_marcxml(xml.read_bytes())) == 5

    code, output = run("stats", "--catalog", catalogue)
    assert code == 0 and "records        5" in output and "title" in output

    code, output = run("delete", "SHN:rec-1", "--catalog", catalogue)
    assert code == 0 and "1 records deleted" in output
    code, output = run("delete", "--id", "2", "3", "--catalog", catalogue)
    assert code == 0 and "2 records deleted" in output
    code, output = run("delete", "no-such-key", "--catalog", catalogue)
    assert code == 1

    code, output = run("check", "--catalog", catalogue)
    assert code == 0 and "ok" in output
    code, output = run("reindex", "--catalog", catalogue)
    assert code == 0 and "2 records reindexed" in output


def test_commands_other_than_import_need_an_existing_catalogue(tmp_path: Path) -> None:
    code, output = run("stats", "--catalog", str(tmp_path / "missing.sqlite"))
    assert code == 2 and "no catalogue" in output
    assert not (tmp_path / "missing.sqlite").exists()


def test_import_keeps_the_catalogues_match_point_unless_told(tmp_path: Path, location: str) -> None:
    catalogue = loaded(tmp_path, location)
    records = str(tmp_path / "records.mrc")
    code, output = run("import", records, "--catalog", catalogue, "--match", "001")
    assert code == 0 and "5 unchanged" in output
    code, output = run("import", records, "--catalog", catalogue)
    assert code == 0 and "5 unchanged" in output
    code, output = run("stats", "--catalog", catalogue)
    assert "match point    001\n" in output


def test_the_catalogue_comes_from_the_settings_file_when_not_named(tmp_path: Path) -> None:
    records = tmp_path / "records.mrc"
    records.write_bytes(iso2709(*CATALOGUE))
    config = tmp_path / "shelfnet.toml"
    config.write_text('[catalog]\npath = "books/catalog.sqlite"\n', encoding="utf-8")
    code, _output = run("import", str(records), "--config", str(config))
    assert code == 0
    assert (tmp_path / "books" / "catalog.sqlite").is_file()
    code, output = run("stats", "--config", str(config))
    assert code == 0
    assert str(tmp_path / "books" / "catalog.sqlite") in "".join(output.split("\n"))
    assert "records        5" in output
