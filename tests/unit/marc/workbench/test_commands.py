"""``shelfnet records``: macro list/run, export and validate through Typer."""

from __future__ import annotations

from pathlib import Path

import rispy  # type: ignore[import-untyped]
from typer.testing import CliRunner

from shelfnet.marc.mnemonic import parse_mnemonic_file
from shelfnet.marc.workbench_commands import records_app
from tests.unit.marc.workbench.conftest import data_file

runner = CliRunner()


def test_macro_list_names_the_shipped_macros() -> None:
    result = runner.invoke(records_app, ["macro", "list"])
    assert result.exit_code == 0 and "strip_9xx" in result.output


def test_macro_run_dry_run_prints_diffs_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out.mrc"
    result = runner.invoke(
        records_app,
        [
            "macro",
            "run",
            "strip_9xx",
            str(data_file("map_data.mrc")),
            "--out",
            str(out),
            "--dry-run",
        ],
    )
    assert result.exit_code == 0
    assert "-=901" in result.output and "# record 1" in result.output
    assert not out.exists()


def test_macro_run_writes_changed_records(tmp_path: Path) -> None:
    out = tmp_path / "out.mrk"
    args = [
        "macro",
        "run",
        "set_040d",
        str(data_file("map_data.mrc")),
        "--out",
        str(out),
        "--param",
        "symbol=SHLF",
    ]
    assert runner.invoke(records_app, args).exit_code == 0
    records = parse_mnemonic_file(out.read_text(encoding="utf-8"))
    assert len(records) == 3 and all(r["040"].get_subfields("d")[-1] == "SHLF" for r in records)


def test_export_ris(tmp_path: Path) -> None:
    out = tmp_path / "out.ris"
    args = ["export", str(data_file("map_data.mrc")), "--format", "ris", "--out", str(out)]
    assert runner.invoke(records_app, args).exit_code == 0
    assert len(rispy.loads(out.read_text(encoding="utf-8"))) == 3


def test_export_mrk_to_stdout() -> None:
    result = runner.invoke(
        records_app, ["export", str(data_file("map_data.mrc")), "--format", "mrk"]
    )
    assert result.exit_code == 0 and result.output.count("=LDR  ") == 3


def test_validate_reports_errors_with_exit_1() -> None:
    result = runner.invoke(records_app, ["validate", str(data_file("nepali.marc"))])
    assert result.exit_code == 1
    assert "245[2]: 245 is not repeatable" in result.output


def test_send_drops_the_batch_with_the_macro_applied(tmp_path: Path) -> None:
    from pymarc import MARCReader

    folder = tmp_path / "ils-inbox"
    source = data_file("map_data.mrc")
    result = runner.invoke(
        records_app, ["send", str(source), "--folder", str(folder), "--macro", "strip_9xx"]
    )
    assert result.exit_code == 0, result.output
    [dropped] = folder.iterdir()
    assert dropped.suffix == ".mrc" and not dropped.name.startswith(".")
    with dropped.open("rb") as stream:
        records = [record for record in MARCReader(stream) if record is not None]
    assert records and not any(f.tag.startswith("9") for r in records for f in r.fields)


def test_send_loads_the_batch_into_the_catalogue(tmp_path: Path) -> None:
    from shelfnet.catalog.store import open_store

    config = tmp_path / "shelfnet.toml"
    config.write_text(f'[catalog]\npath = "{tmp_path / "catalog.sqlite"}"\n', encoding="utf-8")
    source = data_file("map_data.mrc")
    result = runner.invoke(records_app, ["send", str(source), "--catalog", "--config", str(config)])
    assert result.exit_code == 0, result.output
    with open_store(tmp_path / "catalog.sqlite") as store:
        assert store.count() > 0


def test_send_needs_one_destination(tmp_path: Path) -> None:
    source = data_file("map_data.mrc")
    assert runner.invoke(records_app, ["send", str(source)]).exit_code == 2
    both = ["send", str(source), "--catalog", "--folder", str(tmp_path)]
    assert runner.invoke(records_app, both).exit_code == 2
