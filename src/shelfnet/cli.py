"""The ``shelfnet`` command. Each command is a thin front on a package below."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer
from rich.console import Console

from shelfnet import __version__
from shelfnet.query.rpn import Query, QueryError

if TYPE_CHECKING:
    from shelfnet.config import Settings
    from shelfnet.doctor import OutboundPort
    from shelfnet.search.targets import TargetList

app = typer.Typer(
    name="shelfnet",
    help="Library networking: Z39.50 copy cataloguing, target directory and interlibrary loan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)

EXIT_USAGE = 2
EXIT_TARGET = 3


class Syntax(StrEnum):
    usmarc = "usmarc"
    marc21 = "marc21"
    unimarc = "unimarc"
    xml = "xml"
    opac = "opac"
    sutrs = "sutrs"
    grs1 = "grs-1"


class Format(StrEnum):
    text = "text"
    json = "json"
    marc = "marc"
    marc8 = "marc8"
    marcxml = "marcxml"
    mrk = "mrk"


TargetArg = Annotated[
    str, typer.Argument(help="Target as HOST:PORT/DATABASE (port 210 if omitted)")
]
TimeoutOpt = Annotated[float, typer.Option(help="Seconds to wait for each answer")]
UserOpt = Annotated[str | None, typer.Option(help="User id for idPass authentication")]
PasswordOpt = Annotated[str | None, typer.Option(help="Password for idPass authentication")]


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="shelfnet.toml to read (default: $SHELFNET_CONFIG, ./shelfnet.toml)"
    ),
]


def _settings(config: Path | None) -> object:
    from shelfnet.config import ConfigError, load_settings

    try:
        return load_settings(config)
    except ConfigError as exc:
        raise _usage_error(str(exc)) from None


def _parse_query(text: str, ccl: bool) -> Query:
    if ccl:
        from shelfnet.query.ccl import parse_ccl

        return parse_ccl(text)
    from shelfnet.query.pqf import parse_pqf

    return parse_pqf(text)


def _usage_error(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(EXIT_USAGE)


@app.command()
def search(
    # Old-style defaults: Python wants a default on the optional TARGETS... before QUERY.
    targets: list[str] | None = typer.Argument(  # noqa: B008
        None,
        help="Targets: HOST:PORT/DATABASE (Z39.50) or http://... (SRU), or names from the "
        "targets file; none with --group",
        show_default=False,
    ),
    query: str = typer.Argument(..., help="The query (PQF unless --ccl or --cql)"),
    group: Annotated[
        list[str] | None, typer.Option("--group", "-g", help="A target group (repeatable)")
    ] = None,
    targets_file: Annotated[
        Path | None, typer.Option("--targets", help="Targets file (TOML) naming targets and groups")
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Targets searched at once (several targets)")
    ] = 256,
    config: ConfigOpt = None,
    pqf: Annotated[bool, typer.Option("--pqf", help="The query is PQF (Z39.50 default)")] = False,
    ccl: Annotated[bool, typer.Option("--ccl", help="The query is CCL")] = False,
    cql: Annotated[bool, typer.Option("--cql", help="The query is CQL (SRU default)")] = False,
    syntax: Annotated[Syntax, typer.Option(help="Record syntax to ask for")] = Syntax.usmarc,
    element_set: Annotated[str, typer.Option(help="Element set name (F full, B brief)")] = "F",
    limit: Annotated[int, typer.Option(min=0, help="Records to fetch at most")] = 10,
    output_format: Annotated[Format, typer.Option("--format", help="Output format")] = Format.text,
    out: Annotated[Path | None, typer.Option(help="Write records here instead of stdout")] = None,
    user: UserOpt = None,
    password: PasswordOpt = None,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """Search one target, or several at once (merged, deduplicated and ranked), and print or
    save records."""
    if pqf + ccl + cql > 1:
        raise _usage_error("--pqf, --ccl and --cql exclude each other")
    if group or targets_file or len(targets or []) != 1:
        _federated_search(
            targets or [], group or [], targets_file, query,
            "pqf" if pqf else "cql" if cql else "ccl",
            limit, output_format, out, timeout, concurrency, config,
        )  # fmt: skip
        return
    from shelfnet.sru.client import is_sru_target
    from shelfnet.z3950.client import Target

    target = (targets or [""])[0]
    sru = is_sru_target(target)
    if sru and (pqf or ccl):
        raise _usage_error("SRU targets are searched with CQL (--cql)")
    if cql and not sru:
        raise _usage_error("CQL goes to SRU targets (http://...); use --pqf or --ccl here")
    try:
        where: Target | str = target if sru else Target.parse(target)
        parsed: Query | str = query if sru else _parse_query(query, ccl)
    except (ValueError, QueryError) as exc:
        raise _usage_error(str(exc)) from None
    from shelfnet.output import RecordWriter

    stream: BinaryIO = out.open("wb") if out else sys.stdout.buffer
    try:
        writer = RecordWriter(stream, output_format.value, str(where))
        code = asyncio.run(
            _search(
                where, parsed, syntax.value, element_set, limit, writer, user, password, timeout
            )
        )
        writer.close()
    finally:
        if out:
            stream.close()
    raise typer.Exit(code)


async def _search(
    where: object,
    query: Query | str,
    syntax: str,
    element_set: str,
    limit: int,
    writer: object,
    user: str | None,
    password: str | None,
    timeout: float,
) -> int:
    from shelfnet.output import RecordWriter
    from shelfnet.sru.client import Connection as SruConnection
    from shelfnet.z3950.client import Connection, Target
    from shelfnet.z3950.errors import Z3950Error

    assert isinstance(writer, RecordWriter)
    connection: Connection | SruConnection
    if isinstance(where, Target):
        connection = Connection.to(
            where,
            preferred_record_syntax=syntax,
            element_set_name=element_set,
            user=user,
            password=password,
            timeout=timeout,
            connect_timeout=min(timeout, 10.0),
        )
    else:
        connection = SruConnection.to(str(where), timeout=timeout)
    try:
        async with connection as conn:
            prefetch = min(limit, conn.present_chunk)
            result = await conn.search(query, prefetch=prefetch)  # type: ignore[arg-type]
            err.print(f"{where}: {result.size} hits")
            wanted = min(limit, result.size)
            position = 0
            while position < wanted:
                count = min(conn.present_chunk, wanted - position)
                for record in await result.records(position, count):
                    position += 1
                    writer.write(position, record)
    except Z3950Error as exc:
        err.print(f"[red]{where}:[/red] {exc}")
        return EXIT_TARGET
    return 0


def _federated_search(
    names: list[str],
    groups: list[str],
    targets_file: Path | None,
    text: str,
    language: str,
    limit: int,
    output_format: Format,
    out: Path | None,
    timeout: float,
    concurrency: int,
    config: Path | None,
) -> None:
    from shelfnet.config import Settings
    from shelfnet.loop import run
    from shelfnet.search.engine import Language, SearchLimits, SearchQuery
    from shelfnet.search.report import print_ranked, write_best
    from shelfnet.search.session import run_federated
    from shelfnet.search.targets import TargetFileError

    settings = _settings(config)
    assert isinstance(settings, Settings)
    try:
        chosen = _target_list(targets_file, settings).choose(groups, names)
        query = SearchQuery(text, Language(language))
        query.rpn()  # a query that does not parse is the user's error, not the targets'
    except (TargetFileError, ValueError, QueryError) as exc:
        raise _usage_error(str(exc)) from None
    if not chosen:
        raise _usage_error("no targets: name some, or a --group from a --targets file")
    limits = SearchLimits(
        concurrency=concurrency,
        timeout=timeout,
        connect_timeout=min(timeout, 10.0),
        max_records=limit,
        chunk=min(max(limit, 1), 100),
    )
    started = time.perf_counter()
    weights = settings.search.score
    result = run(run_federated(chosen, query, limits, on_event=_status_line, weights=weights))
    ranked = result.ranked()
    err.print(
        f"{len(chosen)} targets: {result.records} records in {len(ranked)} clusters, "
        f"searched and ranked in {time.perf_counter() - started:.2f} s"
    )
    if output_format is Format.text and out is None:
        print_ranked(ranked, sys.stdout)
    else:
        with out.open("wb") if out else _stdout() as stream:
            write_best(ranked, output_format.value, stream)
    failed = [s for s in result.statuses.values() if s.error]
    _finish(EXIT_TARGET if failed and len(failed) == len(chosen) else 0)


def _finish(code: int) -> None:
    """End a one-shot command whose output is written. Run as the ``shelfnet`` program, the
    process ends at once: freeing thousands of records and closed connections one by one at
    interpreter exit only makes the user wait. In-process callers (tests) get ``typer.Exit``."""
    if _run_as_program:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise typer.Exit(code)


def _target_list(targets_file: Path | None, settings: Settings) -> TargetList:
    """The targets file named on the command line, else the configured one, else none."""
    from shelfnet.search.targets import TargetList, load_targets

    chosen = targets_file or settings.search.targets
    return load_targets(chosen) if chosen else TargetList()


def _stdout() -> BinaryIO:
    import contextlib

    return contextlib.nullcontext(sys.stdout.buffer)  # type: ignore[return-value]


def _status_line(event: object) -> None:
    from shelfnet.search.engine import Phase, StatusChanged

    if not isinstance(event, StatusChanged) or not event.status.ended:
        return
    status = event.status
    took = f", {status.elapsed:.2f} s" if status.elapsed is not None else ""
    if status.phase is Phase.FAILED:
        err.print(f"[red]{status.target.name}:[/red] {status.error}{took}")
    else:
        err.print(f"{status.target.name}: {status.hits} hits, {status.records} records{took}")


class BatchFormat(StrEnum):
    marc = "marc"
    marc8 = "marc8"
    mrk = "mrk"


@app.command()
def batch(
    file: Annotated[
        Path, typer.Argument(help="ISBNs, ISSNs, LCCNs or titles: one per line, or a CSV file")
    ],
    group: Annotated[
        list[str] | None, typer.Option("--group", "-g", help="Target group (repeatable)")
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="A target (repeatable)")
    ] = None,
    targets_file: Annotated[
        Path | None, typer.Option("--targets", help="Targets file (TOML) naming targets and groups")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="MARC file for the records found")] = None,
    report: Annotated[Path | None, typer.Option(help="CSV report, one row per line")] = None,
    output_format: Annotated[
        BatchFormat, typer.Option("--format", help="Record format of --out")
    ] = BatchFormat.marc,
    limit: Annotated[int, typer.Option(min=1, help="Records per target and line")] = 5,
    concurrency: Annotated[int, typer.Option(min=1, help="Lines searched at once")] = 4,
    timeout: TimeoutOpt = 30.0,
    config: ConfigOpt = None,
) -> None:
    """Search a list of identifiers or titles; write the best record of each line found and a
    report. Run it again with the same files to finish an interrupted run."""
    from rich.progress import Progress

    from shelfnet.config import Settings
    from shelfnet.marc.export import ExportFormat
    from shelfnet.search.batch import Outcome, read_lines, run_batch
    from shelfnet.search.engine import SearchLimits
    from shelfnet.search.targets import TargetFileError

    settings = _settings(config)
    assert isinstance(settings, Settings)
    try:
        chosen = _target_list(targets_file, settings).choose(group or [], target or [])
        lines = read_lines(file)
    except (TargetFileError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise _usage_error(str(exc)) from None
    if not chosen:
        raise _usage_error("no targets: give --target or a --group from a --targets file")
    marc_out = out or file.with_name(f"{file.stem}-found.mrc")
    report_out = report or file.with_name(f"{file.stem}-report.csv")
    formats = {
        BatchFormat.marc: ExportFormat.MARC_UTF8,
        BatchFormat.marc8: ExportFormat.MARC8,
        BatchFormat.mrk: ExportFormat.MNEMONIC,
    }
    limits = SearchLimits(timeout=timeout, connect_timeout=min(timeout, 10.0), max_records=limit)
    with Progress(console=err, transient=False) as progress:
        task = progress.add_task("searching", total=len(lines))
        summary = asyncio.run(
            run_batch(
                lines, chosen, marc_out, report_out,
                fmt=formats[output_format], limits=limits, concurrency=concurrency,
                weights=settings.search.score,
                on_line=lambda _line: progress.advance(task),
            )
        )  # fmt: skip
    counts = ", ".join(f"{n} {outcome.value}" for outcome, n in summary.counts.items())
    skipped = f" ({summary.skipped} done before)" if summary.skipped else ""
    err.print(f"{counts}{skipped}; records in {marc_out}, report in {report_out}")
    raise typer.Exit(EXIT_TARGET if summary.counts[Outcome.FAILED] else 0)


@app.command()
def scan(
    target: TargetArg,
    term: Annotated[str, typer.Argument(help="Start term in PQF, e.g. '@attr 1=4 jazz'")],
    number: Annotated[int, typer.Option(min=1, help="Number of terms")] = 20,
    position: Annotated[int, typer.Option(min=1, help="Position of the start term")] = 1,
    output_format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
    user: UserOpt = None,
    password: PasswordOpt = None,
    timeout: TimeoutOpt = 30.0,
) -> None:
    """Browse an index of a Z39.50 target from a start term."""
    from shelfnet.z3950.client import Connection, Target
    from shelfnet.z3950.errors import Z3950Error

    try:
        where = Target.parse(target)
        start = _parse_query(term, ccl=False)
    except (ValueError, QueryError) as exc:
        raise _usage_error(str(exc)) from None

    async def run() -> int:
        try:
            async with Connection.to(where, user=user, password=password, timeout=timeout) as c:
                entries = await c.scan(start, number=number, position=position)
        except Z3950Error as exc:
            err.print(f"[red]{where}:[/red] {exc}")
            return EXIT_TARGET
        for entry in entries:
            if output_format == "json":
                print(json.dumps({"term": entry.term, "count": entry.count}, ensure_ascii=False))
            else:
                print(f"{entry.term}\t{'' if entry.count is None else entry.count}")
        return 0

    raise typer.Exit(asyncio.run(run()))


@app.command()
def serve(
    services: Annotated[
        list[str] | None,
        typer.Argument(help="Only these services (z3950, sru); default: all enabled"),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Start the enabled services (Z39.50, SRU) and serve until interrupted."""
    from shelfnet.config import Settings, only_services
    from shelfnet.loop import run
    from shelfnet.serve import serve as run_services

    settings = _settings(config)
    assert isinstance(settings, Settings)
    try:
        settings = only_services(settings, services or [])
    except ValueError as exc:
        raise _usage_error(str(exc)) from None
    try:
        run(run_services(settings, lambda line: err.print(line)))
    except OSError as exc:  # a port in use, an address not on this machine
        err.print(f"[red]error:[/red] cannot start: {exc}")
        raise typer.Exit(1) from None


@app.command()
def demo(
    config: ConfigOpt = None,
    serve: Annotated[bool, typer.Option("--serve", help="Keep serving afterwards")] = False,
) -> None:
    """Start shelfnet's services on embedded defaults and search them over Z39.50 and SRU."""
    from shelfnet.config import Settings
    from shelfnet.demo import run_demo

    settings = _settings(config)
    assert isinstance(settings, Settings)
    raise typer.Exit(run_demo(settings, keep_serving=serve))


DirectoryOpt = Annotated[
    str,
    typer.Option("--directory", help="The target directory: an SQLite file or a postgresql:// URL"),
]
DEFAULT_DIRECTORY = "data/directory.sqlite"


@app.command()
def ports(config: ConfigOpt = None, directory: DirectoryOpt = DEFAULT_DIRECTORY) -> None:
    """Print every port shelfnet's enabled services listen on, and every port it connects
    out to (the directory's targets, the federated-search targets file), for firewall rules."""
    from rich.table import Table

    from shelfnet.config import Settings, listeners

    settings = _settings(config)
    assert isinstance(settings, Settings)
    table = Table("service", "protocol", "address", "port", "direction", "purpose")
    for listener in listeners(settings):
        table.add_row(
            listener.service,
            listener.protocol,
            listener.host,
            str(listener.port),
            listener.direction,
            listener.purpose,
        )
    for outbound in _outbound_ports(settings, directory):
        service = (
            "directory"
            if outbound.purpose.startswith("directory")
            else "ill"
            if outbound.purpose.startswith("ILL")
            else "search"
        )
        purpose = f"{outbound.purpose} ({outbound.targets:,})"
        address = "*"
        if service == "ill":  # one named server, not many targets
            purpose, address = outbound.purpose, outbound.samples[0][0]
        table.add_row(service, outbound.protocol, address, str(outbound.port), "outbound", purpose)
    Console(highlight=False).print(table)
    where = settings.source or "embedded defaults (no shelfnet.toml)"
    err.print(f"settings from {where}")


def _outbound_ports(settings: Settings, directory: str, samples: int = 3) -> list[OutboundPort]:
    from shelfnet.doctor import directory_ports, outbound_ports, search_addresses, service_ports

    try:
        targets = directory_ports(directory)
    except Exception as exc:  # an unusable directory leaves the other rows worth printing
        err.print(f"directory {directory} not read: {exc}")
        targets = []
    found = outbound_ports(targets, search_addresses(settings), samples=samples)
    return found + service_ports(settings)


@app.command()
def doctor(
    config: ConfigOpt = None,
    directory: DirectoryOpt = DEFAULT_DIRECTORY,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds for each TCP connect")] = 3.0,
    per_port: Annotated[int, typer.Option(min=1, help="Targets tried per outbound port")] = 3,
) -> None:
    """Check what a firewall must allow: outbound TCP to one or a few targets per port the
    targets use, and that the ports shelfnet listens on are free (or shelfnet's already)."""
    from shelfnet.config import Settings
    from shelfnet.doctor import check_inbound, check_outbound

    settings = _settings(config)
    assert isinstance(settings, Settings)
    outbound = _outbound_ports(settings, directory, per_port)
    checks = asyncio.run(check_outbound(outbound, timeout=timeout))
    checks += check_inbound(settings, timeout=timeout)
    if settings.ill.enabled:
        from shelfnet.doctor import Check
        from shelfnet.ill.notices.ports import notice_status

        checks.append(Check(*notice_status(settings)))
    console = Console(highlight=False)
    for check in checks:
        console.print(("ok    " if check.ok else "FAIL  ") + check.text, markup=False)
    if not outbound:
        console.print("no outbound targets known (no directory, no targets file)", markup=False)
    raise typer.Exit(0 if all(check.ok for check in checks) else 1)


@app.command()
def version() -> None:
    """Print shelfnet's version."""
    print(__version__)


_SUBCOMMANDS = {
    "catalog": ("shelfnet.catalog.commands", "catalog_app",
                "Import, export and manage the local catalogue"),
    "directory": ("shelfnet.directory.commands", "directory_app",
                  "Import, edit and list Z39.50/SRU targets"),
    "ill": ("shelfnet.ill.commands", "ill_app",
            "Interlibrary loan: staff users, passwords and API keys"),
    "records": ("shelfnet.marc.workbench_commands", "records_app",
                "Cataloguer's workbench: validate, run macros on and export MARC records"),
}  # fmt: skip
"""Command groups: module, Typer app, help line."""


def _mount_subcommands(argv: list[str]) -> None:
    """Mount the command groups; only the one asked for when a command is named, since
    importing every group costs a one-shot command like ``search`` a noticeable part of its
    start-up. Help and unknown commands get them all, so they list everything."""
    import importlib

    named = next((word for word in argv if not word.startswith("-")), None)
    top_level = {
        command.name or getattr(command.callback, "__name__", "").replace("_", "-")
        for command in app.registered_commands
    }
    for name, (module, attribute, help_text) in _SUBCOMMANDS.items():
        if named in top_level and named != name:
            continue
        if named in _SUBCOMMANDS and named != name:
            continue
        group = getattr(importlib.import_module(module), attribute)
        app.add_typer(group, name=name, help=help_text)


_run_as_program = False
"""True when ``main`` runs: the process is the ``shelfnet`` program, not a test calling in."""


def main() -> None:
    global _run_as_program
    _run_as_program = True
    _mount_subcommands(sys.argv[1:])
    app()
