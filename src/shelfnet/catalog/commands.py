"""``shelfnet catalog ...``: import, export, statistics, deletion, reindexing and checking.

A Typer sub-application; ``shelfnet.cli`` mounts it with
``app.add_typer(catalog_app, name="catalog")``. Every command works on one catalogue,
``./data/catalog.sqlite`` unless ``--catalog`` names another file or a PostgreSQL database
(``postgresql://user@host/name``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from shelfnet.catalog.matchkey import DEFAULT_MATCH_POINT, MatchPoint
from shelfnet.progress import byte_progress

if TYPE_CHECKING:  # the store and importer load when a command runs, not with every command
    from shelfnet.catalog import importer
    from shelfnet.catalog.store import CatalogStore

EXIT_FAILURES = 1
EXIT_USAGE = 2
SHOWN_FAILURES = 20

catalog_app = typer.Typer(
    name="catalog",
    help="The local catalogue: import and export records, statistics, deletion.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# A string, not a Path: a Path would fold the '//' of a database URL.
CatalogOpt = Annotated[
    str | None,
    typer.Option(
        "--catalog",
        help="The catalogue: an SQLite file or a postgresql://user@host/name URL (default: "
        "[catalog] path or url of shelfnet.toml, else data/catalog.sqlite)",
        show_default=False,
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="shelfnet.toml to read (default: $SHELFNET_CONFIG, ./shelfnet.toml)"
    ),
]


class ExportFormat(StrEnum):
    marc = "marc"
    marcxml = "marcxml"


def _location(catalog: str | None, config: Path | None) -> str:
    """``--catalog``, else the configured catalogue (``--config``, ``$SHELFNET_CONFIG``,
    ``./shelfnet.toml``), else the embedded default."""
    if catalog is not None:
        return catalog
    from shelfnet.config import ConfigError, load_settings

    try:
        return load_settings(config).catalog_location
    except ConfigError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


@contextmanager
def _open(
    catalog: str | None, config: Path | None, *, create: bool = False
) -> Iterator[CatalogStore]:
    """The catalogue, open for the block; one that cannot be used ends the command with a
    message (not a traceback), whether at opening or midway (locked, disk full). Only an
    import makes a new catalogue file."""
    from shelfnet.catalog.store import StoreError, is_database_url, open_store

    location = _location(catalog, config)

    if not create and not is_database_url(location) and not Path(location).is_file():
        err.print(
            f"[red]error:[/red] no catalogue at {location} (shelfnet catalog import makes one)"
        )
        raise typer.Exit(EXIT_USAGE)
    try:
        store = open_store(location)
    except (StoreError, OSError) as exc:
        err.print(f"[red]error:[/red] {location}: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc
    failures: tuple[type[Exception], ...] = (StoreError, OSError, *store.errors)
    try:
        with store:
            yield store
    except failures as exc:
        err.print(f"[red]error:[/red] {location}: {exc}")
        raise typer.Exit(EXIT_USAGE) from exc


@catalog_app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="ISO 2709 or MARCXML files", exists=True)],
    catalog: CatalogOpt = None,
    config: ConfigOpt = None,
    match: Annotated[
        str | None,
        typer.Option(
            "--match",
            help="Match point: 001+003, 001, 020$a, 035$a, ... (default: the catalogue's "
            f"own, {DEFAULT_MATCH_POINT} for a new one; another one re-keys the catalogue)",
        ),
    ] = None,
    batch: Annotated[
        int | None,
        typer.Option("--batch", min=1, help="Records per transaction [default: 500]"),
    ] = None,
) -> None:
    """Add records, updating those already there (same match key). Unreadable records are
    listed and skipped; the exit status is 1 when there were any."""
    from shelfnet.catalog import importer

    batch = batch or importer.DEFAULT_BATCH_SIZE
    if match is not None:
        try:
            MatchPoint.parse(match)
        except ValueError as exc:
            err.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
    total = sum(path.stat().st_size for path in files)
    with _open(catalog, config, create=True) as store, byte_progress(err) as bar:
        match = match or store.match_point or DEFAULT_MATCH_POINT
        task = bar.add_task("importing", total=total)
        read: dict[str, int] = {}

        def progress(step: importer.ImportProgress) -> None:
            read[step.path] = step.bytes_read
            bar.update(task, completed=sum(read.values()), description=f"{step.records} records")

        result = importer.import_files(
            files, store, match_point=match, batch_size=batch, progress=progress
        )
        bar.update(task, completed=total)
    _report(result)
    if result.failed:
        raise typer.Exit(EXIT_FAILURES)


def _report(result: importer.ImportResult) -> None:
    out.print(
        f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged, "
        f"{result.failed} failed"
    )
    for failure in result.failures[:SHOWN_FAILURES]:
        err.print(f"[red]failed:[/red] {failure}")
    if result.failed > SHOWN_FAILURES:
        err.print(f"... and {result.failed - SHOWN_FAILURES} more")
    if result.warnings:
        err.print(f"{len(result.warnings)} records were read with warnings, e.g.:")
        for warning in result.warnings[:3]:
            err.print(f"  {warning}")


@catalog_app.command()
def export(
    out_file: Annotated[Path, typer.Option("--out", help="File to write ('-': standard output)")],
    catalog: CatalogOpt = None,
    config: ConfigOpt = None,
    format: Annotated[ExportFormat, typer.Option(help="marc (as stored) or marcxml")] = (
        ExportFormat.marc
    ),
) -> None:
    """Write every record, in the order they were added."""
    from shelfnet.catalog import importer

    with _open(catalog, config) as store:
        if str(out_file) == "-":
            result = importer.export(store, sys.stdout.buffer, format.value)
        else:
            with out_file.open("wb") as stream:
                result = importer.export(store, stream, format.value)
    err.print(f"{result.written} records written")
    for record_id, why in result.failures:
        err.print(f"[red]not written:[/red] record {record_id}: {why}")
    if result.failures:
        raise typer.Exit(EXIT_FAILURES)


@catalog_app.command()
def stats(catalog: CatalogOpt = None, config: ConfigOpt = None) -> None:
    """Records by character set and source format, index sizes and the file's size."""
    from rich.table import Table

    from shelfnet.catalog import importer
    from shelfnet.catalog.indexing import index_names

    with _open(catalog, config) as store:
        figures = importer.stats(store)
    out.print(f"catalogue      {store.location} ({figures.file_bytes:,} bytes)")
    out.print(f"records        {figures.records:,}")
    out.print(f"match point    {figures.match_point or '(none yet)'}")
    for charset, count in sorted(figures.by_charset.items()):
        out.print(f"  {charset:<12} {count:,}")
    for source, count in sorted(figures.by_source_format.items()):
        out.print(f"  from {source:<7} {count:,}")
    names = {use: name for name, use in index_names().items()}
    table = Table("index", "use", "kind", "terms", "postings", box=None)
    for size in figures.indexes:
        name = names.get(size.use, "?")
        table.add_row(
            name, str(size.use), size.kind.name.lower(), f"{size.terms:,}", f"{size.postings:,}"
        )
    out.print(table)


@catalog_app.command()
def delete(
    keys: Annotated[list[str], typer.Argument(help="Match keys (or ids with --id)")],
    catalog: CatalogOpt = None,
    config: ConfigOpt = None,
    by_id: Annotated[bool, typer.Option("--id", help="The arguments are record ids")] = False,
) -> None:
    """Delete records by match key (as the import computed it) or by record id."""
    from shelfnet.catalog import importer

    if by_id and not all(key.isdigit() for key in keys):
        err.print("[red]error:[/red] record ids are numbers")
        raise typer.Exit(EXIT_USAGE)
    with _open(catalog, config) as store:
        if by_id:
            deleted = importer.delete(store, ids=[int(key) for key in keys])
        else:
            deleted = importer.delete(store, keys=keys)
    out.print(f"{len(deleted)} records deleted")
    if not deleted:
        raise typer.Exit(EXIT_FAILURES)


@catalog_app.command()
def reindex(catalog: CatalogOpt = None, config: ConfigOpt = None) -> None:
    """Rebuild every index from the stored records (after an upgrade changed the rules)."""
    from shelfnet.catalog import importer

    with _open(catalog, config) as store:
        count = store.reindex(importer.reindexed)
    out.print(f"{count} records reindexed")


@catalog_app.command()
def check(catalog: CatalogOpt = None, config: ConfigOpt = None) -> None:
    """Check the file's integrity and the index's consistency with the records."""
    with _open(catalog, config) as store:
        problems = store.check()
    for problem in problems:
        err.print(f"[red]problem:[/red] {problem}")
    if problems:
        raise typer.Exit(EXIT_FAILURES)
    out.print("ok")
