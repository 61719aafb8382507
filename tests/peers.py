"""Real Z39.50 peers for the interop tests and the benchmarks.

Starts YAZ's test server (yaz-ztest) and a Zebra server (zebrasrv) loaded with
the MARC test files on loopback ports, and runs YAZ's reference clients
(zoomsh, yaz-client) with their output parsed into Python values, so a test can
compare shelfnet's answers with theirs.

Import it as ``tests.peers``: ``tests`` is a package, and pytest puts the
repository root on ``sys.path``. Scripts under ``benchmarks/`` run from the
repository root as ``python -m benchmarks.<name>``.

Every program is looked up with :func:`find_program`, which raises
:class:`MissingProgram` naming the Debian package to install.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures"
CQL_PROPERTIES = REPO_ROOT / "src" / "shelfnet" / "query" / "cql.properties"
ZEBRA_CONFIG_DIR = FIXTURES_DIR / "zebra"

# Where the MARC test files live: $SHELFNET_MARC_DATA, else the first of these
# directories that holds jazz_1k.mrc.
MARC_DATA_ENV = "SHELFNET_MARC_DATA"
SHARED_MARC_DIR = REPO_ROOT.parent / "shared" / "data" / "marc"
"""The project's shared, read-only MARC test files (../shared beside the checkout)."""
MARC_DATA_DIRS = (FIXTURES_DIR / "marc", SHARED_MARC_DIR)

LOOPBACK = "127.0.0.1"

# A Zebra query that matches every record of a database.
ALL_RECORDS_PQF = '@attr 1=_ALLRECORDS @attr 2=103 ""'

# Debian package of every program used here; `make peers` installs them all.
PROGRAM_PACKAGES: Mapping[str, str] = {
    "yaz-ztest": "yaz",
    "zoomsh": "yaz",
    "yaz-client": "yaz",
    "yaz-marcdump": "yaz",
    "zebraidx": "idzebra-2.0",
    "zebrasrv": "idzebra-2.0",
}

# Seconds to wait for a server to accept connections, and for a client run.
STARTUP_TIMEOUT = 10.0
CLIENT_TIMEOUT = 30.0


class PeerError(RuntimeError):
    """A peer or reference client failed, or its output could not be read."""


class MissingProgram(PeerError):
    """A program of the interop harness is not installed."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.package = PROGRAM_PACKAGES.get(program, "?")
        super().__init__(f"{program} not found: install Debian package {self.package} (make peers)")


class PeerDiagnostic(PeerError):
    """A reference client reported a diagnostic, e.g. Bib-1 117 from the server."""

    def __init__(self, diagset: str, code: int, message: str, addinfo: str = "") -> None:
        self.diagset = diagset
        self.code = code
        self.message = message
        self.addinfo = addinfo
        detail = f" ({addinfo})" if addinfo else ""
        super().__init__(f"{diagset} diagnostic {code}: {message}{detail}")


@dataclass(frozen=True)
class Target:
    """A Z39.50 target: where it listens and which database to search."""

    host: str
    port: int
    database: str = "Default"

    @property
    def zurl(self) -> str:
        """The address as YAZ tools take it: ``host:port/database``."""
        return f"{self.host}:{self.port}/{self.database}"


def find_program(name: str) -> str:
    """Path of an installed program, or :class:`MissingProgram`."""
    path = shutil.which(name)
    if path is None:
        raise MissingProgram(name)
    return path


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


# --- servers -----------------------------------------------------------------


@contextmanager
def start_ztest(
    *, host: str = LOOPBACK, port: int | None = None, log_dir: Path | None = None
) -> Iterator[tuple[str, int]]:
    """Run ``yaz-ztest`` on ``tcp:host:port`` until the block ends.

    yaz-ztest answers every search with a made-up hit count (the number at the
    start of the term, if any) and a few built-in records; its database name
    is free, ``Default`` is customary. Its log goes to ``log_dir`` (default: a
    directory removed afterwards). Yields ``(host, port)``.
    """
    program = find_program("yaz-ztest")

    def argv(chosen: int, log: Path) -> list[str]:
        return [program, "-l", str(log), f"tcp:{host}:{chosen}"]

    with tempfile.TemporaryDirectory(prefix="ztest-") as scratch:
        workdir = log_dir or Path(scratch)
        with _serve("yaz-ztest", argv, host=host, port=port, workdir=workdir) as address:
            yield address


MarcCharset = Literal["marc-8", "utf-8"]


@dataclass(frozen=True)
class MarcFile:
    """An ISO2709 file to index, and the character set its records are in."""

    path: Path
    charset: MarcCharset = "marc-8"


@dataclass(frozen=True)
class ZebraBuild:
    """A Zebra register built by :func:`build_zebra`, ready for zebrasrv."""

    workdir: Path
    records: Mapping[str, int]  # database name -> records indexed


def marc_data_dir() -> Path:
    """Directory holding the MARC test files (see ``MARC_DATA_DIRS``)."""
    if configured := os.environ.get(MARC_DATA_ENV):
        return Path(configured)
    for candidate in MARC_DATA_DIRS:
        if (candidate / "jazz_1k.mrc").is_file():
            return candidate
    return MARC_DATA_DIRS[-1]


def standard_databases(data_dir: Path | None = None) -> dict[str, tuple[MarcFile, ...]]:
    """The test databases: ``jazz`` (1,000 MARC-8 records) and ``mixed``.

    ``mixed`` holds MARC-8 Hebrew and French records and UTF-8 Armenian,
    Russian and Nepali ones. FSL.marc is UTF-8 although its leader/09 is
    blank (which says MARC-8): it is indexed as UTF-8, but served as XML it
    is decoded the way its leader says, as a client would.
    """
    data = data_dir or marc_data_dir()
    return {
        "jazz": (MarcFile(data / "jazz_1k.mrc"),),
        "mixed": (
            MarcFile(data / "hebrew.marc"),
            MarcFile(data / "lul_fre_500.mrc"),
            MarcFile(data / "FSL.marc", "utf-8"),
            MarcFile(data / "nepali.marc", "utf-8"),
        ),
    }


# zebraidx group (-g) per character set; zebra.cfg gives each its record type.
_ZEBRA_GROUPS: Mapping[MarcCharset, str | None] = {"marc-8": None, "utf-8": "utf8"}


def build_zebra(
    workdir: Path,
    marc_files: Mapping[str, Sequence[MarcFile]],
    *,
    timeout: float = 120.0,
) -> ZebraBuild:
    """Index ``marc_files`` (database name -> files) into a register in ``workdir``.

    Copies ``tests/fixtures/zebra`` into ``workdir`` and runs ``zebraidx``
    there, once per database and character set. Takes well under a second
    for the standard databases.
    """
    zebraidx = find_program("zebraidx")
    _prepare_zebra_workdir(workdir)
    records: dict[str, int] = {}
    for database, files in marc_files.items():
        records[database] = 0
        for charset, group in _ZEBRA_GROUPS.items():
            paths = [str(f.path) for f in files if f.charset == charset]
            if not paths:
                continue
            argv = [zebraidx, "-c", "zebra.cfg", "-d", database]
            if group:
                argv += ["-g", group]
            output = _run([*argv, "update", *paths], cwd=workdir, timeout=timeout)
            records[database] += _zebraidx_inserted(output)
    return ZebraBuild(workdir=workdir, records=records)


@contextmanager
def start_zebra(
    build: ZebraBuild,
    *,
    host: str = LOOPBACK,
    port: int | None = None,
    users: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """Run ``zebrasrv`` on the register of ``build`` until the block ends.

    Serves every database of the build; records come back as USMARC (the
    indexed bytes, unchanged), XML (MARCXML) or SUTRS. With ``users`` (name to
    password) only those users may search: anonymous and wrong passwords get
    Bib-1 1011 at Init. Yields ``(host, port)``.
    """
    program = find_program("zebrasrv")
    front_end = "yazgfs.xml" if users is None else _zebra_auth_config(build.workdir, users)

    def argv(chosen: int, log: Path) -> list[str]:
        return [program, "-f", front_end, "-l", str(log), f"tcp:{host}:{chosen}"]

    with _serve("zebrasrv", argv, host=host, port=port, workdir=build.workdir) as address:
        yield address


def _zebra_auth_config(workdir: Path, users: Mapping[str, str]) -> str:
    """A second front-end config over the same register, with a password file."""
    (workdir / "passwd").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    permissions = "".join(f"perm.{user}: r\n" for user in users)
    config = (workdir / "zebra.cfg").read_text(encoding="utf-8")
    # A zebrasrv refuses to start where another holds the lock; both only read the register.
    config, changed = re.subn(r"(?m)^lockDir: .*$", "lockDir: lock-auth", config)
    if changed != 1:
        raise PeerError("zebra.cfg must have one lockDir line")
    (workdir / "lock-auth").mkdir(exist_ok=True)
    (workdir / "zebra-auth.cfg").write_text(f"{config}\npasswd: passwd\n{permissions}")
    front_end = (workdir / "yazgfs.xml").read_text(encoding="utf-8")
    (workdir / "yazgfs-auth.xml").write_text(
        front_end.replace("<config>zebra.cfg</config>", "<config>zebra-auth.cfg</config>")
    )
    return "yazgfs-auth.xml"


def _prepare_zebra_workdir(workdir: Path) -> None:
    shutil.copytree(ZEBRA_CONFIG_DIR, workdir, dirs_exist_ok=True)
    for name in ("register", "lock", "tmp"):
        (workdir / name).mkdir(exist_ok=True)
    # The UTF-8 profile is the MARC-8 one with another encoding: derive it, so
    # the indexing rules live in one file.
    profile = (workdir / "shelfnet-marc.abs").read_text(encoding="utf-8")
    utf8_profile, replaced = re.subn(r"(?m)^encoding marc-8$", "encoding utf-8", profile)
    if replaced != 1:
        raise PeerError("shelfnet-marc.abs must have one line 'encoding marc-8'")
    utf8_profile = re.sub(r"(?m)^name .*$", "name shelfnet-marc-utf8", utf8_profile)
    (workdir / "shelfnet-marc-utf8.abs").write_text(utf8_profile, encoding="utf-8")
    # SRU: Zebra maps CQL to RPN with the same properties file shelfnet ships (YAZ format).
    shutil.copy(CQL_PROPERTIES, workdir / "cql.properties")


def _zebraidx_inserted(output: str) -> int:
    # zebraidx ends with a summary such as "Records: 1000 i/u/d 1000/0/0".
    summaries = re.findall(r"Records: +\d+ i/u/d (\d+)/\d+/\d+", output)
    if not summaries:
        raise PeerError(f"zebraidx gave no summary:\n{_tail(output)}")
    return int(summaries[-1])


@contextmanager
def _serve(
    name: str,
    argv: Callable[[int, Path], list[str]],
    *,
    host: str,
    port: int | None,
    workdir: Path,
) -> Iterator[tuple[str, int]]:
    """Start a server, wait until it accepts connections, stop it afterwards.

    ``argv(port, log)`` is the command line; the server runs in ``workdir``
    and logs to ``workdir/<name>-<port>.log``. Without a fixed ``port``, a
    free one is picked; should another process take it first, the server
    exits and a new port is tried.
    """
    attempts = 1 if port is not None else 3
    for attempt in range(1, attempts + 1):
        chosen = port if port is not None else free_port(host)
        log = workdir / f"{name}-{chosen}.log"
        with log.open("ab") as log_file:
            process = subprocess.Popen(
                argv(chosen, log),
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: its children end with it
            )
        try:
            _wait_until_accepting(name, process, host, chosen, log)
        except PeerError:
            exited_by_itself = process.poll() is not None
            _stop(process)
            if exited_by_itself and attempt < attempts:
                continue
            raise
        try:
            yield host, chosen
        finally:
            _stop(process)
        return


def _wait_until_accepting(
    name: str, process: subprocess.Popen[bytes], host: str, port: int, log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise PeerError(
                f"{name} exited with status {process.returncode} "
                f"before listening on {host}:{port}:\n{_tail(_read_text(log))}"
            )
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise PeerError(
        f"{name} did not listen on {host}:{port} within {STARTUP_TIMEOUT}s:\n"
        f"{_tail(_read_text(log))}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the server and the children it forked for sessions."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(5.0)
        except subprocess.TimeoutExpired:
            continue


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return ""


# --- reference clients -------------------------------------------------------

# zoomsh: "<host>: <n> hits" after a search, "<host> error: <message>
# (<diagset>:<code>) <addinfo>" when the search or the connection failed.
_ZOOMSH_HITS = re.compile(r"^\S+: (\d+) hits$", re.MULTILINE)
_ZOOMSH_ERROR = re.compile(
    r"^\S+ error: (?P<message>.*?) \((?P<diagset>[^():]+):(?P<code>\d+)\) ?(?P<addinfo>.*)$",
    re.MULTILINE,
)
# yaz-client: "Number of hits: <n>, setno <k>"; diagnostics as
# "    [<code>] <message> -- v2 addinfo '<addinfo>'"; "CCL ERROR: <why>".
_YAZ_CLIENT_HITS = re.compile(r"^Number of hits: (\d+)", re.MULTILINE)
_YAZ_CLIENT_DIAGNOSTIC = re.compile(
    r"^\s+\[(?P<code>\d+)\] (?P<message>.*?)(?: -- v\d addinfo '(?P<addinfo>.*)')?$",
    re.MULTILINE,
)
_YAZ_CLIENT_CCL_ERROR = re.compile(r"^CCL ERROR: (.*)$", re.MULTILINE)


def zoomsh_hits(target: Target, query_pqf: str, *, timeout: float = CLIENT_TIMEOUT) -> int:
    """Hit count ``zoomsh`` gets for a PQF query.

    Raises :class:`PeerDiagnostic` with the server's diagnostic if the search
    fails (a connection failure is diagset ``ZOOM``).
    """
    output = _zoomsh(target, [f"search {_one_line(query_pqf)}"], timeout=timeout)
    _raise_zoomsh_error(output)
    found = _ZOOMSH_HITS.findall(output)
    if len(found) != 1:
        raise PeerError(f"no hit count in zoomsh output:\n{_tail(output)}")
    return int(found[0])


def zoomsh_scan(
    target: Target,
    pqf_term: str,
    number: int = 20,
    *,
    position: int = 1,
    timeout: float = CLIENT_TIMEOUT,
) -> list[tuple[str, int]]:
    """Scan with ``zoomsh``: ``(display term, occurrences)`` in index order.

    ``pqf_term`` is the start point, e.g. ``@attr 1=4 jazz``; ``position`` is
    where it should appear in the list (1 = first).
    """
    options = [f"set number {number}", f"set position {position}"]
    output = _zoomsh(target, [f"scan {_one_line(pqf_term)}"], options=options, timeout=timeout)
    _raise_zoomsh_error(output)
    entries = []
    for line in output.splitlines():
        if not line.strip():
            continue
        term, _, count = line.rpartition(" ")
        if not term or not count.isdigit():
            raise PeerError(f"unexpected line in zoomsh scan output: {line!r}")
        entries.append((term, int(count)))
    return entries


def yaz_client_hits_ccl(
    target: Target, ccl: str, cclfile: Path, *, timeout: float = CLIENT_TIMEOUT
) -> int:
    """Hit count for a CCL query, turned into RPN by ``yaz-client``.

    zoomsh takes only PQF and CQL, so CCL goes through yaz-client with
    ``querytype ccl2rpn`` and the qualifiers in ``cclfile`` (YAZ format).
    """
    output = _yaz_client(
        target,
        [f"set_cclfile {cclfile}", "querytype ccl2rpn", f"find {_one_line(ccl)}"],
        timeout=timeout,
    )
    if error := _YAZ_CLIENT_CCL_ERROR.search(output):
        raise PeerError(f"yaz-client cannot parse CCL {ccl!r}: {error.group(1)}")
    return _yaz_client_hit_count(output)


def yaz_client_marcdump(
    target: Target,
    query_pqf: str,
    syntax: str = "usmarc",
    count: int = 1,
    *,
    start: int = 1,
    timeout: float = CLIENT_TIMEOUT,
) -> bytes:
    """Records ``start`` .. ``start + count - 1`` as ``yaz-client`` saves them.

    yaz-client writes each record's bytes as received (``set_marcdump``):
    for USMARC, ISO2709 records one after the other (see
    :func:`split_iso2709`); for XML or SUTRS, the documents concatenated.
    """
    with tempfile.TemporaryDirectory(prefix="marcdump-") as scratch:
        dump = Path(scratch) / "records"
        output = _yaz_client(
            target,
            [
                f"set_marcdump {dump}",
                f"format {syntax}",
                f"find {_one_line(query_pqf)}",
                f"show {start}+{count}",
            ],
            timeout=timeout,
        )
        _yaz_client_hit_count(output)
        return dump.read_bytes() if dump.exists() else b""


def split_iso2709(data: bytes) -> list[bytes]:
    """Split concatenated ISO2709 records, using each leader's record length."""
    records = []
    offset = 0
    while offset < len(data):
        length_digits = data[offset : offset + 5]
        if not length_digits.isdigit():
            raise ValueError(f"no ISO2709 record length at offset {offset}: {length_digits!r}")
        end = offset + int(length_digits)
        if end > len(data) or data[end - 1 : end] != b"\x1d":
            raise ValueError(f"ISO2709 record at offset {offset} does not end at {end}")
        records.append(data[offset:end])
        offset = end
    return records


def zoomsh_show(
    target: Target,
    query_pqf: str,
    *,
    syntax: str,
    element_set: str = "F",
    position: int = 0,
    timeout: float = CLIENT_TIMEOUT,
) -> str:
    """zoomsh's rendering of one record (0-based ``position``), without its header line."""
    output = _zoomsh(
        target,
        [f"search {query_pqf}", f"show {position} 1"],
        options=[f"set preferredRecordSyntax {syntax}", f"set elementSetName {element_set}"],
        timeout=timeout,
    )
    _raise_zoomsh_error(output)
    lines = output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(f"{position} database="))
    return "\n".join(lines[header + 1 :])


def zoomsh_sorted_ids(
    target: Target,
    query_pqf: str,
    sort_spec: str,
    count: int,
    *,
    timeout: float = CLIENT_TIMEOUT,
) -> list[str]:
    """Control numbers (001) of the first ``count`` records after zoomsh's ``sort sort_spec``."""
    output = _zoomsh(
        target,
        [f"search {query_pqf}", f"sort {sort_spec}", f"show 0 {count}"],
        options=["set preferredRecordSyntax usmarc"],
        timeout=timeout,
    )
    _raise_zoomsh_error(output)
    return [line[4:].strip() for line in output.splitlines() if line.startswith("001 ")]


def _zoomsh(
    target: Target,
    commands: Sequence[str],
    *,
    options: Sequence[str] = (),
    timeout: float,
) -> str:
    # ZOOM's own timeout (whole seconds) fires before the subprocess timeout.
    zoom_timeout = max(1, int(timeout) - 1)
    argv = [
        find_program("zoomsh"),
        f"set timeout {zoom_timeout}",
        *options,
        f"connect {target.zurl}",
        *commands,
        "quit",
    ]
    return _run(argv, timeout=timeout)


def _raise_zoomsh_error(output: str) -> None:
    if error := _ZOOMSH_ERROR.search(output):
        raise PeerDiagnostic(
            error["diagset"], int(error["code"]), error["message"], error["addinfo"]
        )


def _yaz_client(target: Target, commands: Sequence[str], *, timeout: float) -> str:
    script = "\n".join([f"open {target.zurl}", *commands, "quit", ""])
    with tempfile.TemporaryDirectory(prefix="yaz-client-") as scratch:
        command_file = Path(scratch) / "commands"
        command_file.write_text(script, encoding="utf-8")
        return _run([find_program("yaz-client"), "-f", str(command_file)], timeout=timeout)


def _yaz_client_hit_count(output: str) -> int:
    # A failed search is followed by diagnostics; the first one says why.
    if diagnostic := _YAZ_CLIENT_DIAGNOSTIC.search(output):
        raise PeerDiagnostic(
            "Bib-1",
            int(diagnostic["code"]),
            diagnostic["message"],
            diagnostic["addinfo"] or "",
        )
    found = _YAZ_CLIENT_HITS.findall(output)
    if len(found) != 1:
        raise PeerError(f"no hit count in yaz-client output:\n{_tail(output)}")
    return int(found[0])


def _run(argv: Sequence[str], *, timeout: float, cwd: Path | None = None) -> str:
    """Run a program to its end and return its output (stdout and stderr)."""
    try:
        completed = subprocess.run(
            argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerError(f"{argv[0]} did not finish within {timeout}s") from exc
    output = completed.stdout.decode("utf-8", "replace")
    if completed.returncode != 0:
        raise PeerError(f"{argv[0]} exited with status {completed.returncode}:\n{_tail(output)}")
    return output


def _one_line(text: str) -> str:
    # Both clients read one command per line.
    if "\n" in text or "\r" in text:
        raise ValueError(f"query must be a single line: {text!r}")
    return text


def _tail(output: str, lines: int = 20) -> str:
    return "\n".join(output.splitlines()[-lines:])
