"""``shelfnet records``: macros, exports and validation from the command line.

Record files are read by their content: MARCXML if they start with ``<``, mnemonic text
if they start with ``=``, ISO 2709 (MARC-8 or UTF-8) otherwise.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pymarc import Record

from shelfnet.marc import MarcError, iter_marc, parse_marcxml
from shelfnet.marc.bibexport import to_bibtex, to_csv, to_mods_collection, to_ris
from shelfnet.marc.export import ExportFormat, export_records
from shelfnet.marc.macros import MacroError, list_macros, load_macro, run_batch
from shelfnet.marc.mnemonic import MnemonicError, parse_mnemonic_file
from shelfnet.marc.validate import validate

records_app = typer.Typer(help="Cataloguer's workbench: macros, exports, validation.")
macro_app = typer.Typer(help="Macros: editing steps run over records.")
records_app.add_typer(macro_app, name="macro")


class Format(StrEnum):
    ris = "ris"
    bibtex = "bibtex"
    csv = "csv"
    mods = "mods"
    marc = "marc"
    marcxml = "marcxml"
    mrk = "mrk"


def read_records(path: Path) -> Iterator[Record]:
    """Every readable record in ``path``; unreadable ones are reported on stderr."""
    data = path.read_bytes()
    head = data.lstrip()[:1]
    if head == b"<":
        yield from parse_marcxml(data)
    elif head == b"=":
        yield from parse_mnemonic_file(data.decode("utf-8"))
    else:
        for item in iter_marc(data):
            if isinstance(item, MarcError):
                typer.echo(f"{path}: {item}", err=True)
            else:
                yield item.record


def _load(files: list[Path]) -> list[Record]:
    try:
        return [record for path in files for record in read_records(path)]
    except (MarcError, MnemonicError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


def _write_marc(records: list[Record], fmt: ExportFormat, out: Path | None) -> None:
    if out is None:
        export_records(records, fmt, sys.stdout.buffer)
    else:
        with out.open("wb") as stream:
            export_records(records, fmt, stream)


@macro_app.command("list")
def macro_list() -> None:
    """The shipped macros."""
    for info in list_macros():
        typer.echo(f"{info.name:24} {info.title}")


@macro_app.command("run")
def macro_run(
    name: Annotated[str, typer.Argument(help="A shipped macro's name or a .toml file")],
    files: Annotated[list[Path], typer.Argument(help="Record files")],
    out: Annotated[Path | None, typer.Option(help="Write the changed records here")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show a diff per record")] = False,
    param: Annotated[
        list[str] | None, typer.Option(help="NAME=VALUE for a macro parameter")
    ] = None,
) -> None:
    """Run a macro over every record in FILES."""
    try:
        macro = load_macro(name)
    except (MacroError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    macro = macro.with_params(**dict(p.split("=", 1) for p in param or []))
    results = run_batch(macro, _load(files))
    for number, result in enumerate(results, start=1):
        if result.error:
            typer.echo(f"record {number}: error: {result.error}", err=True)
        elif dry_run and result.diff:
            typer.echo(f"# record {number}\n{result.diff}")
    changed = sum(1 for r in results if r.changes)
    failed = sum(1 for r in results if r.error)
    typer.echo(f"{len(results)} records, {changed} changed, {failed} failed", err=True)
    if not dry_run and out is not None:
        fmt = ExportFormat.MNEMONIC if out.suffix == ".mrk" else ExportFormat.MARC_UTF8
        _write_marc([r.record for r in results], fmt, out)


@records_app.command("export")
def export(
    file: Annotated[Path, typer.Argument(help="Record file")],
    format: Annotated[Format, typer.Option("--format", help="Output format")] = Format.marc,
    out: Annotated[Path | None, typer.Option(help="Output file (stdout if omitted)")] = None,
    columns: Annotated[
        str, typer.Option(help="CSV columns, e.g. 001,245$ab,020$a")
    ] = "001,245$ab,100$a,020$a",
) -> None:
    """Write the records of FILE in another format."""
    records = _load([file])
    if format in (Format.marc, Format.marcxml, Format.mrk):
        _write_marc(records, ExportFormat(format.value), out)
        return
    if format is Format.mods:
        data = to_mods_collection(records)
    else:
        text = {
            Format.ris: lambda: to_ris(records),
            Format.bibtex: lambda: to_bibtex(records),
            Format.csv: lambda: to_csv(records, columns.split(",")),
        }[format]()
        data = text.encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)


@records_app.command("validate")
def validate_command(file: Annotated[Path, typer.Argument(help="Record file")]) -> None:
    """Check every record in FILE against the MARC 21 rules; exit 1 if there are errors."""
    errors = 0
    for number, record in enumerate(_load([file]), start=1):
        for problem in validate(record):
            where = problem.tag + (f"[{problem.occurrence}]" if problem.occurrence else "")
            where += f"${problem.subfield}" if problem.subfield else ""
            typer.echo(f"record {number}: {problem.severity}: {where}: {problem.message}")
            errors += problem.severity == "error"
    if errors:
        raise typer.Exit(1)


@records_app.command("send")
def send(
    files: Annotated[list[Path], typer.Argument(help="Record files (ISO 2709, MARCXML, .mrk)")],
    folder: Annotated[
        Path | None, typer.Option(help="The folder the ILS watches: the batch is dropped there")
    ] = None,
    catalog: Annotated[
        bool, typer.Option("--catalog", help="Load the batch into shelfnet's own catalogue")
    ] = False,
    macro: Annotated[
        str | None, typer.Option(help="Run this macro on every record first (as on save)")
    ] = None,
    config: Annotated[Path | None, typer.Option(help="shelfnet.toml naming the catalogue")] = None,
) -> None:
    """Send records to the ILS: a batch file dropped atomically into the folder it watches,
    or loaded into shelfnet's own catalogue so everyone can search them at once."""
    if (folder is None) == (not catalog):
        typer.echo("error: give --folder DIR or --catalog (one of them)", err=True)
        raise typer.Exit(2)
    records = _load(files)
    if macro is not None:
        results = run_batch(load_macro(macro), records)
        for number, result in enumerate(results, start=1):
            if result.error:
                typer.echo(
                    f"record {number}: {macro} failed, sent unchanged: {result.error}", err=True
                )
        records = [result.record for result in results]
    if folder is not None:
        from shelfnet.marc.ils import drop_in_folder

        folder.mkdir(parents=True, exist_ok=True)
        typer.echo(f"{len(records)} records dropped as {drop_in_folder(records, folder)}")
        return
    from shelfnet.catalog.commands import _open
    from shelfnet.marc.ils import load_into_catalogue

    with _open(None, config, create=True) as store:
        loaded = load_into_catalogue(records, store)
    typer.echo(f"{len(records)} records loaded into the catalogue: {loaded}")
