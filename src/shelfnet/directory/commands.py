"""``shelfnet directory ...``: import, export, add, edit, remove, list, show, groups, ports.

A Typer sub-application; ``shelfnet.cli`` mounts it with
``app.add_typer(directory_app, name="directory")``. Every command works on one directory,
``./data/directory.sqlite`` unless ``--directory`` names another file or a PostgreSQL
database (``postgresql://user@host/name``). A target is named by its id (``list`` shows
them) or by its address (``host:port/db``, or an SRU URL).

Exit codes: 0 done; 1 done, but some records were rejected (import) or nothing matched;
2 usage error (a bad value, an unknown target, an unusable directory).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from shelfnet.directory import fields
from shelfnet.directory.checks import (
    Rejected,
    Rejection,
    check_text,
    clean_text,
    parse_address,
)
from shelfnet.directory.formats import ExportFormat, ImportFormat
from shelfnet.directory.model import Origin, StoredTarget, TargetProtocol, TargetStatus
from shelfnet.progress import byte_progress

if TYPE_CHECKING:  # the store (SQLAlchemy) loads when a command runs, not with every command
    from shelfnet.config import Settings
    from shelfnet.directory import importer
    from shelfnet.directory.store import DirectoryStore

EXIT_FAILURES = 1
EXIT_USAGE = 2
SHOWN_REJECTIONS = 20
SHOWN_PROBES = 20

directory_app = typer.Typer(
    name="directory",
    help="The target directory: import, export, add, edit and list targets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
groups_app = typer.Typer(
    help="Target groups: list them (no subcommand), or add and remove members.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
directory_app.add_typer(groups_app, name="groups")
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# A string, not a Path: a Path would fold the '//' of a database URL.
DirectoryOpt = Annotated[
    str | None,
    typer.Option(
        "--directory",
        help="The directory: an SQLite file or a postgresql://user@host/name URL "
        "(default: [directory] in the configuration, else data/directory.sqlite)",
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="shelfnet.toml to read (default: $SHELFNET_CONFIG, ./shelfnet.toml)"
    ),
]
TargetArg = Annotated[str, typer.Argument(help="Target id, or its address (host:port/db, URL)")]
_PROTOCOL_NAMES = {TargetProtocol.Z3950: "Z39.50", TargetProtocol.SRU: "SRU"}
StatusOpt = Annotated[TargetStatus | None, typer.Option("--status", help="Only this status")]


def _fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    err.print(Text.assemble(("error: ", "red"), message))
    raise typer.Exit(code)


@contextmanager
def _open(
    directory: str | None, config: Path | None, *, create: bool = False
) -> Iterator[DirectoryStore]:
    """The directory (``--directory``, else the configured one), open for the block; one that
    cannot be used ends the command with a message, not a traceback. Only import and add make
    a new directory file."""
    from shelfnet.database import is_database_url
    from shelfnet.directory.store import DuplicateTarget, StoreError, UnknownTarget, open_store

    location = directory or _settings(config).directory_location
    if not create and not is_database_url(location) and not Path(location).is_file():
        _fail(f"no directory at {location} (shelfnet directory import or add makes one)")
    try:
        store = open_store(location)
    except (StoreError, OSError) as exc:
        _fail(f"{location}: {exc}")
    failures: tuple[type[Exception], ...] = (StoreError, OSError, *store.errors)
    try:
        with store:
            yield store
    except (UnknownTarget, DuplicateTarget) as exc:
        _fail(str(exc))
    except failures as exc:
        _fail(f"{location}: {exc}")


def _settings(config: Path | None) -> Settings:
    """The configuration (``--config``, ``$SHELFNET_CONFIG``, ``./shelfnet.toml``) or defaults."""
    from shelfnet.config import ConfigError, load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        _fail(str(exc))


def _find(store: DirectoryStore, reference: str) -> StoredTarget:
    if reference.isdigit():
        return store.get(int(reference))
    try:
        key = parse_address(reference).key
    except Rejected as exc:
        _fail(f"{reference!r} is neither a target id nor an address: {exc.detail}")
    found = store.find(key)
    if found is None:
        _fail(f"no target at {reference}")
    return found


# Import and export


@directory_app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="ZeeRex (.xml, a folder, a .tar.gz), JSON, CSV or a YAZ list", exists=True
        ),
    ],
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
    format: Annotated[
        ImportFormat, typer.Option("--format", help="The files' format")
    ] = ImportFormat.AUTO,
    rejections: Annotated[
        Path | None, typer.Option("--rejections", help="Write every rejection here (CSV)")
    ] = None,
) -> None:
    """Add targets from files, updating those already there (same address) unless they
    are your own or you edited them. Rejected records are counted by reason; the exit
    status is 1 when there were any."""
    from shelfnet.directory import importer

    total = sum(_size(path) for path in files)
    with _open(directory, config, create=True) as store, byte_progress(err) as bar:
        task = bar.add_task("reading", total=total)
        done: dict[str, int] = {}

        def progress(step: importer.ImportProgress) -> None:
            done[step.path] = step.bytes_read
            bar.update(task, completed=sum(done.values()), description=f"{step.records} records")

        report = importer.import_paths(files, store, format=format, progress=progress)
    _report(report)
    if rejections:
        _write_rejections(report.rejections, rejections)
    if report.rejected:
        raise typer.Exit(EXIT_FAILURES)


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*.xml"))
    return path.stat().st_size


def _report(report: importer.ImportReport) -> None:
    out.print(
        f"{report.records} records: {report.imported} targets imported ({report.added} new, "
        f"{report.updated} updated, {report.unchanged} unchanged, {report.kept_local} kept "
        f"as edited locally), {report.merged} duplicates merged, {report.rejected} rejected"
    )
    if report.rejected:
        table = Table("rejected", "reason", "records", box=None)
        for reason, count in report.rejected_by_reason().most_common():
            table.add_row(Text(reason.value), Text(reason.sentence), str(count))
        out.print(table)
    for rejection in report.rejections[:SHOWN_REJECTIONS]:
        err.print(Text.assemble(("rejected: ", "red"), str(rejection)))
    if report.rejected > SHOWN_REJECTIONS:
        err.print(f"... and {report.rejected - SHOWN_REJECTIONS} more (--rejections FILE)")


def _write_rejections(rejections: list[Rejection], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(["where", "reason", "detail"])
        for rejection in rejections:
            writer.writerow([rejection.where, rejection.reason.value, rejection.detail])
    err.print(f"{len(rejections)} rejections written to {path}")


@directory_app.command()
def export(
    out_file: Annotated[Path, typer.Option("--out", help="File to write ('-': standard output)")],
    format: Annotated[ExportFormat, typer.Option("--format", help="Format")] = (ExportFormat.JSON),
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Write every target: JSON (everything), CSV, a YAZ list (addresses only) or a
    .tar.gz of ZeeRex records."""
    from shelfnet.directory import importer

    now = datetime.now(UTC)
    with _open(directory, config) as store:
        if str(out_file) == "-":
            count = importer.export(store, format, sys.stdout.buffer, now=now)
        else:
            with out_file.open("wb") as stream:
                count = importer.export(store, format, stream, now=now)
    err.print(f"{count} targets written")


# One target at a time


@directory_app.command()
def add(
    address: Annotated[str, typer.Argument(help="host:port/db (Z39.50) or http(s)://... (SRU)")],
    name: Annotated[str, typer.Option(help="What the target is called")] = "",
    institution: Annotated[str, typer.Option(help="Who runs it")] = "",
    description: Annotated[str, typer.Option()] = "",
    contact: Annotated[str, typer.Option()] = "",
    country: Annotated[str, typer.Option()] = "",
    library_type: Annotated[str, typer.Option(help="Academic, Public, National, ...")] = "",
    syntax: Annotated[list[str] | None, typer.Option(help="Record syntax (repeatable)")] = None,
    element_set: Annotated[
        list[str] | None, typer.Option(help="Element set name (repeatable)")
    ] = None,
    charset: Annotated[str, typer.Option(help="Character set of its records")] = "",
    user: Annotated[str, typer.Option(help="User id (idPass)")] = "",
    password: Annotated[str, typer.Option(help="Password (idPass)")] = "",
    auth_group: Annotated[str, typer.Option(help="Group id (idPass)")] = "",
    index: Annotated[
        list[int] | None, typer.Option(help="Bib-1 use attribute it supports (repeatable)")
    ] = None,
    group: Annotated[list[str] | None, typer.Option(help="Group to put it in (repeatable)")] = None,
    status: Annotated[TargetStatus, typer.Option()] = TargetStatus.ACTIVE,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Add a target of your own (never overwritten by imports or syncs)."""
    values: dict[str, object] = {
        fields.ADDRESS: address,
        "name": name,
        "institution": institution,
        "description": description,
        "contact": contact,
        "country": country,
        "library_type": library_type,
        "record_syntaxes": syntax or [],
        "element_sets": element_set or [],
        "charset": charset,
        "user": user,
        "password": password,
        "auth_group": auth_group,
        "bib1_indexes": index or [],
        "groups": group or [],
        "status": status.value,
    }
    try:
        target = fields.build_target(values, strict=True)
    except Rejected as exc:
        _fail(str(exc))
    with _open(directory, config, create=True) as store:
        stored = store.add(target, origin=Origin.LOCAL)
    out.print(Text(f"added target {stored.id}: {stored.target.label}"))


@directory_app.command()
def edit(
    target: TargetArg,
    changes: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="FIELD=VALUE (repeatable): name, address, host, port, database, protocol, "
            "status, groups, record_syntaxes, ... (lists separated by ';')",
        ),
    ],
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Change a target. It is marked as edited locally: imports and syncs leave it alone."""
    parsed: dict[str, str] = {}
    for change in changes:
        field, equals, value = change.partition("=")
        if not equals or not field.strip():
            _fail(f"--set {change!r}: write FIELD=VALUE")
        parsed[field.strip()] = value
    with _open(directory, config) as store:
        stored = _find(store, target)
        try:
            changed = fields.edited(stored.target, parsed)
        except Rejected as exc:
            _fail(str(exc))
        updated = store.update(stored.id, changed)
    out.print(
        Text(f"target {updated.id} is now: {updated.target.label} ({updated.target.address})")
    )


@directory_app.command()
def remove(
    targets: Annotated[list[str], typer.Argument(help="Target ids or addresses")],
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove targets (a tombstone remembers each, for syncing)."""
    with _open(directory, config) as store:
        for reference in targets:
            removed = store.remove(_find(store, reference).id)
            out.print(Text(f"removed target {removed.id}: {removed.target.label}"))


@directory_app.command("list")
def list_command(
    group: Annotated[str | None, typer.Option("--group", help="Only this group")] = None,
    status: StatusOpt = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Text in names, institutions, hosts, ...")
    ] = None,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Targets, by id; exit status 1 when none matched."""
    with _open(directory, config) as store:
        found = store.targets(group=group, status=status, search=search)
    table = Table("id", "name", "address", "status", "origin", "groups", box=None)
    for stored in found:
        target = stored.target
        origin = stored.origin.value + (" (edited)" if stored.locally_edited else "")
        table.add_row(
            str(stored.id),
            Text(target.name),
            Text(str(target.address)),
            target.status.value,
            origin,
            Text(", ".join(target.groups)),
        )
    out.print(table)
    err.print(f"{len(found)} targets")
    if not found:
        raise typer.Exit(EXIT_FAILURES)


@directory_app.command()
def show(
    target: TargetArg,
    probes: Annotated[int, typer.Option("--probes", min=0, help="Probe results shown")] = (
        SHOWN_PROBES
    ),
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Everything known about one target, and its latest probe results."""
    with _open(directory, config) as store:
        stored = _find(store, target)
        history = store.probes(stored.id, probes)
    table = Table(show_header=False, box=None)
    table.add_row("id", str(stored.id))
    table.add_row("address", Text(str(stored.target.address)))
    for name, value in fields.text_values(stored.target).items():
        if name == "password" and value:
            value = "(set)"
        table.add_row(name, Text(value))
    table.add_row("origin", stored.origin.value)
    table.add_row("locally edited", "yes" if stored.locally_edited else "no")
    table.add_row("version", str(stored.version))
    table.add_row("created", stored.created.isoformat(timespec="seconds"))
    table.add_row("updated", stored.updated.isoformat(timespec="seconds"))
    out.print(table)
    if not history:
        out.print("no probe results")
        return
    probe_table = Table(box=None)
    probe_table.add_column("when (UTC)", no_wrap=True)
    for heading in ("ok", "reachable", "init", "search", "hits", "by", "diagnostic"):
        probe_table.add_column(heading)
    for probe in history:
        probe_table.add_row(
            probe.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "yes" if probe.ok else "no",
            _yes_no(probe.reachable),
            _yes_no(probe.init_ok),
            _yes_no(probe.search_ok),
            "" if probe.hits is None else str(probe.hits),
            Text(probe.source),
            Text(str(probe.diagnostic) if probe.diagnostic else ""),
        )
    out.print(probe_table)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


# Groups


@groups_app.callback()
def groups(ctx: typer.Context, directory: DirectoryOpt = None, config: ConfigOpt = None) -> None:
    """Groups and their number of targets."""
    if ctx.invoked_subcommand is not None:
        return
    with _open(directory, config) as store:
        found = store.groups()
    table = Table("group", "targets", box=None)
    for name, count in found:
        table.add_row(Text(name), str(count))
    out.print(table)


@groups_app.command("add")
def groups_add(
    name: Annotated[str, typer.Argument(help="The group (made if new)")],
    targets: Annotated[list[str], typer.Argument(help="Target ids or addresses")],
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Put targets in a group."""
    _regroup(name, targets, directory, config, adding=True)


@groups_app.command("remove")
def groups_remove(
    name: Annotated[str, typer.Argument(help="The group")],
    targets: Annotated[list[str], typer.Argument(help="Target ids or addresses")],
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Take targets out of a group."""
    _regroup(name, targets, directory, config, adding=False)


def _regroup(
    name: str, targets: list[str], directory: str | None, config: Path | None, *, adding: bool
) -> None:
    group = clean_text(name)
    if not group:
        _fail("a group needs a name")
    try:
        check_text("group", group)
    except Rejected as exc:
        _fail(str(exc))
    with _open(directory, config) as store:
        ids = [_find(store, reference).id for reference in targets]
        change = store.add_to_group if adding else store.remove_from_group
        changed = change(group, ids)
    verb = "added to" if adding else "removed from"
    out.print(Text(f"{changed} targets {verb} {group}"))


# Ports


@directory_app.command()
def ports(
    status: StatusOpt = None,
    by_count: Annotated[bool, typer.Option("--by-count", help="Most used first")] = False,
    directory: DirectoryOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Ports the targets listen on and the number of targets on each: what a firewall
    must let out for copy cataloguing."""
    from shelfnet.directory.ports import port_table

    with _open(directory, config) as store:
        rows = port_table(store, status=status, by_count=by_count)
    table = Table("port", "protocol", "targets", box=None)
    for row in rows:
        table.add_row(str(row.port), _PROTOCOL_NAMES[row.protocol], str(row.targets))
    out.print(table)
    out.print(f"{sum(row.targets for row in rows)} targets on {len({r.port for r in rows})} ports")


# The probe, server, keys and sync commands register themselves on directory_app.
from shelfnet.directory import probe_commands as _probe_commands  # noqa: E402,F401
from shelfnet.directory import sync_commands as _sync_commands  # noqa: E402,F401
