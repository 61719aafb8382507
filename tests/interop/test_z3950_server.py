"""shelfnet's own servers (``shelfnet serve``, run as users run it) against real clients:
yaz-client and zoomsh over Z39.50 and SRU, compared with zebrasrv loaded with the same file;
and against clients that misbehave."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shelfnet.marc import decode_marc, parse_marcxml
from shelfnet.z3950.client import Connection
from shelfnet.z3950.events import PresentRequest
from tests.interop.queries import CCL_QUALIFIER_FILE, JAZZ_CCL, JAZZ_PQF, QueryCase
from tests.interop.test_catalog_vs_zebra import KNOWN_DIFFERENCES
from tests.peers import (
    SHARED_MARC_DIR,
    Target,
    free_port,
    split_iso2709,
    yaz_client_hits_ccl,
    yaz_client_marcdump,
    zoomsh_hits,
    zoomsh_scan,
    zoomsh_sorted_ids,
)

IDLE_TIMEOUT = 2.0


class ShelfnetServer:
    """``shelfnet serve`` in a child process, on free loopback ports."""

    def __init__(self, workdir: Path, records: Path) -> None:
        self.z3950_port, self.sru_port = free_port(), free_port()
        config = workdir / "shelfnet.toml"
        config.write_text(
            '[catalog]\nsample = false\ndatabase = "jazz"\n'
            f"[z3950]\nport = {self.z3950_port}\nidle_timeout = {IDLE_TIMEOUT}\n"
            "max_connections = 600\n"
            f"[sru]\nport = {self.sru_port}\n[web]\nenabled = false\n[ill]\nenabled = false\n",
            encoding="utf-8",
        )
        command = [sys.executable, "-m", "shelfnet"]
        subprocess.run(
            [
                *command,
                "catalog",
                "import",
                str(records),
                "--catalog",
                str(workdir / "data" / "catalog.sqlite"),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        self.process = subprocess.Popen(
            [*command, "serve", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.z3950_port), 0.2).close()
                socket.create_connection(("127.0.0.1", self.sru_port), 0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"shelfnet serve did not start: {self.stderr()}") from None
                time.sleep(0.05)

    def stderr(self) -> str:
        if self.process.poll() is None:
            return ""
        return self.process.stderr.read().decode() if self.process.stderr else ""

    @property
    def target(self) -> Target:
        return Target("127.0.0.1", self.z3950_port, "jazz")

    @property
    def sru_url(self) -> str:
        return f"http://127.0.0.1:{self.sru_port}/jazz"

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))
        )

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def shelfnet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShelfnetServer]:
    records = SHARED_MARC_DIR / "jazz_1k.mrc"
    if not records.is_file():
        pytest.skip(f"{records} is missing: the shared MARC test data belongs in ../shared")
    server = ShelfnetServer(tmp_path_factory.mktemp("shelfnet"), records)
    yield server
    server.stop()


def _differs(case: QueryCase) -> object:
    reason = KNOWN_DIFFERENCES.get(case.query)
    mark = pytest.mark.xfail(reason=reason, strict=True) if reason else ()
    return pytest.param(case, id=case.query, marks=mark)


# Same answers as zebrasrv -------------------------------------------------------------------


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("case", [_differs(c) for c in JAZZ_PQF])
def test_zoomsh_gets_the_same_hit_counts_as_from_zebra(
    shelfnet_server: ShelfnetServer, zebra_target: Target, case: QueryCase
) -> None:
    ours = zoomsh_hits(shelfnet_server.target, case.query)
    assert ours == zoomsh_hits(zebra_target, case.query)


CCL_KNOWN_DIFFERENCES = {
    "yr>1990": KNOWN_DIFFERENCES["@attr 1=31 @attr 2=4 @attr 4=109 1990"],
}


def _ccl_differs(case: QueryCase) -> object:
    reason = CCL_KNOWN_DIFFERENCES.get(case.query)
    mark = pytest.mark.xfail(reason=reason, strict=True) if reason else ()
    return pytest.param(case, id=case.query, marks=mark)


@pytest.mark.usefixtures("yaz_client")
@pytest.mark.parametrize("case", [_ccl_differs(c) for c in JAZZ_CCL])
def test_yaz_client_ccl_gets_the_same_hit_counts_as_from_zebra(
    shelfnet_server: ShelfnetServer, zebra_target: Target, case: QueryCase
) -> None:
    ours = yaz_client_hits_ccl(shelfnet_server.target, case.query, CCL_QUALIFIER_FILE)
    assert ours == yaz_client_hits_ccl(zebra_target, case.query, CCL_QUALIFIER_FILE)


@pytest.mark.usefixtures("yaz_client")
@pytest.mark.parametrize(
    "query",
    [
        "@attr 1=1003 ellington",
        "@attr 1=21 saxophone",
        '@attr 1=4 @attr 4=1 "blue note"',
        "@and @attr 1=1003 davis @attr 1=21 jazz",
    ],
)
def test_yaz_client_gets_the_same_usmarc_records_as_from_zebra(
    shelfnet_server: ShelfnetServer, zebra_target: Target, query: str
) -> None:
    count = min(zoomsh_hits(zebra_target, query), 30)
    ours = yaz_client_marcdump(shelfnet_server.target, query, "usmarc", count=count)
    theirs = yaz_client_marcdump(zebra_target, query, "usmarc", count=count)
    assert split_iso2709(ours) == split_iso2709(theirs)


def test_marcxml_records_carry_the_same_data_as_zebras(
    shelfnet_server: ShelfnetServer, zebra_target: Target
) -> None:
    async def fetch(target: Target) -> list[bytes]:
        async with Connection(
            target.host, target.port, databases=[target.database], preferred_record_syntax="xml"
        ) as conn:
            result = await conn.search("@attr 1=1003 ellington")
            return [r.raw for r in await result.records(0, 10)]

    def normalised(raw: bytes) -> list[object]:
        (record,) = parse_marcxml(raw)
        return [unicodedata.normalize("NFC", str(field)) for field in record.get_fields()]

    ours = [normalised(raw) for raw in asyncio.run(fetch(shelfnet_server.target))]
    theirs = [normalised(raw) for raw in asyncio.run(fetch(zebra_target))]
    assert ours == theirs


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize(("spec", "descending"), [("1=4 <", False), ("1=4 >", True)])
def test_zoomsh_sorts_by_title_skipping_nonfiling_characters(
    shelfnet_server: ShelfnetServer, spec: str, descending: bool
) -> None:
    """Zebra sorts by the whole 245 as written ("The ..." under T); shelfnet by the title
    without its nonfiling characters (245 second indicator), as catalogues file them. The
    order is checked against the records themselves, as zoomsh receives them."""
    query = "@attr 1=1003 ellington"
    ids = zoomsh_sorted_ids(shelfnet_server.target, query, spec, 21)
    records = {r["001"].data: r for r in _records(shelfnet_server, query)}
    assert sorted(ids) == sorted(records)

    def filing_title(control_number: str) -> str:
        field = records[control_number]["245"]
        skip = int(field.indicator2) if field.indicator2.isdigit() else 0
        return _fold(" ".join(field.get_subfields("a", "b", "n", "p"))[skip:])

    titles = [filing_title(i) for i in ids]
    assert titles == sorted(titles, reverse=descending)


def _records(server: ShelfnetServer, query: str) -> list[Any]:
    async def fetch() -> list[bytes]:
        async with Connection("127.0.0.1", server.z3950_port, databases=["jazz"]) as conn:
            return [r.raw for r in await (await conn.search(query)).records()]

    return [decode_marc(raw).record for raw in asyncio.run(fetch())]


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c for c in decomposed if c.isalnum() or c.isspace())
    return " ".join(kept.split())


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("start", ["@attr 1=4 jazz", "@attr 1=1003 ellington"])
def test_scan_lists_terms_with_counts(shelfnet_server: ShelfnetServer, start: str) -> None:
    entries = zoomsh_scan(shelfnet_server.target, start, number=10)
    assert len(entries) == 10 and all(count > 0 for _term, count in entries)
    assert [term for term, _ in entries] == sorted(term for term, _ in entries)


def test_opac_records_carry_holdings(shelfnet_server: ShelfnetServer) -> None:
    async def fetch() -> object:
        async with Connection(
            "127.0.0.1",
            shelfnet_server.z3950_port,
            databases=["jazz"],
            preferred_record_syntax="opac",
        ) as conn:
            return (await (await conn.search("@attr 1=1003 ellington")).record(0)).value

    opac = asyncio.run(fetch())
    assert opac is not None and opac.holdings  # type: ignore[attr-defined]


# SRU ---------------------------------------------------------------------------------------


@pytest.mark.usefixtures("yaz_client")
def test_yaz_client_searches_over_sru(shelfnet_server: ShelfnetServer) -> None:
    done = subprocess.run(
        ["yaz-client", shelfnet_server.sru_url],
        input=b"find dc.title=jazz\nshow 1\nquit\n",
        capture_output=True,
        timeout=30,
        check=False,
    )
    output = done.stdout.decode("utf-8", "replace")
    assert "Number of hits: 415" in output, output


def test_plain_http_gets_valid_sru_responses(shelfnet_server: ShelfnetServer) -> None:
    import httpx
    from lxml import etree

    base = shelfnet_server.sru_url
    for parameters, root_name in [
        (
            {"version": "1.2", "operation": "searchRetrieve", "query": "dc.creator=davis"},
            "searchRetrieveResponse",
        ),
        ({"version": "2.0", "query": "dc.creator=davis"}, "searchRetrieveResponse"),
        ({"version": "1.1", "operation": "scan", "scanClause": "dc.title=jazz"}, "scanResponse"),
        ({}, "explainResponse"),
    ]:
        response = httpx.get(base, params=parameters, timeout=30)
        assert response.status_code == 200
        root = etree.fromstring(response.content)
        assert etree.QName(root).localname == root_name
        assert not root.xpath("//*[local-name()='diagnostic']"), response.text


def test_shelfnets_sru_client_reads_shelfnets_sru_server(shelfnet_server: ShelfnetServer) -> None:
    from shelfnet.sru.client import Connection as SruConnection

    async def run() -> int:
        async with SruConnection(shelfnet_server.sru_url) as conn:
            return (await conn.search("dc.creator = ellington")).size

    assert asyncio.run(run()) == 21


# Misbehaving clients ------------------------------------------------------------------------


def _raw_exchange(server: ShelfnetServer, payload: bytes, wait: float = 5.0) -> bytes:
    with socket.create_connection(("127.0.0.1", server.z3950_port), timeout=wait) as sock:
        sock.sendall(payload)
        chunks = []
        try:
            while data := sock.recv(65536):
                chunks.append(data)
        except TimeoutError:
            pass
        return b"".join(chunks)


def _still_serves(server: ShelfnetServer) -> None:
    assert zoomsh_hits(server.target, "@attr 1=1003 ellington") == 21


CLOSE_APDU = b"\xbf\x30"


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize(
    "payload",
    [
        b"GET / HTTP/1.0\r\n\r\n" * 3,  # not BER at all (nor an SRU path)
        b"\x30\x03\x02\x01\x05",  # valid BER, not a PDU
        b"\xb4\x86\x00\x00\x80\x00\x00\x00",  # a 2 GB declared length
        b"\xb4\x81",  # a truncated header, then end of file
    ],
    ids=["garbage", "not-a-pdu", "2GB-length", "truncated"],
)
def test_a_bad_apdu_is_answered_with_close_and_others_are_served(
    shelfnet_server: ShelfnetServer, payload: bytes
) -> None:
    answer = _raw_exchange(shelfnet_server, payload)
    assert answer == b"" or answer.startswith(CLOSE_APDU)
    _still_serves(shelfnet_server)


def test_a_silent_client_is_closed_after_the_idle_timeout(shelfnet_server: ShelfnetServer) -> None:
    started = time.monotonic()
    answer = _raw_exchange(shelfnet_server, b"", wait=IDLE_TIMEOUT + 5)
    assert answer.startswith(CLOSE_APDU)
    assert time.monotonic() - started < IDLE_TIMEOUT + 4


@pytest.mark.usefixtures("zoomsh")
def test_a_client_that_vanishes_mid_present_costs_nothing(shelfnet_server: ShelfnetServer) -> None:
    async def vanish() -> None:
        conn = Connection("127.0.0.1", shelfnet_server.z3950_port, databases=["jazz"])
        await conn.connect()
        result = await conn.search("@attr 1=1016 jazz")
        request = conn._protocol.send(PresentRequest(result.name, 1, 500, "F"))
        assert conn._writer is not None
        conn._writer.write(request)
        await conn._writer.drain()
        await conn._abort()  # gone before the records arrive

    for _ in range(5):
        asyncio.run(vanish())
    _still_serves(shelfnet_server)


def test_five_hundred_concurrent_connections_are_served_with_bounded_memory(
    shelfnet_server: ShelfnetServer,
) -> None:
    before = shelfnet_server.rss_kib()

    async def one(index: int) -> int:
        async with Connection(
            "127.0.0.1",
            shelfnet_server.z3950_port,
            databases=["jazz"],
            timeout=60,
            connect_timeout=30,
        ) as conn:
            result = await conn.search("@attr 1=1003 davis")
            await result.records(0, 5)
            return result.size

    async def many() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(500)))

    sizes = asyncio.run(many())
    assert sizes == [63] * 500
    grown = shelfnet_server.rss_kib() - before
    assert grown < 200 * 1024, f"RSS grew by {grown} KiB"


def _sru_get(server: ShelfnetServer, **parameters: str) -> Any:
    import httpx
    from lxml import etree

    response = httpx.get(server.sru_url, params=parameters, timeout=30)
    return etree.fromstring(response.content)


@pytest.mark.parametrize(
    ("parameters", "code"),
    [
        ({"version": "1.2", "operation": "searchRetrieve", "query": "dc.nosuchindex=x"}, 16),
        ({"version": "1.2", "operation": "searchRetrieve"}, 7),
        ({"version": "3.0", "query": "jazz"}, 5),
        ({"version": "1.2", "operation": "searchRetrieve", "query": "dc.title=("}, 10),
        ({"version": "1.2", "operation": "searchRetrieve", "query": "jazz", "startRecord": "0"}, 6),
        (
            {
                "version": "1.2",
                "operation": "searchRetrieve",
                "query": "dc.creator=ellington",
                "startRecord": "99",
            },
            61,
        ),
        (
            {
                "version": "1.2",
                "operation": "searchRetrieve",
                "query": "jazz",
                "recordSchema": "mods",
            },
            66,
        ),
        ({"version": "1.2", "operation": "frobnicate"}, 4),
    ],
)
def test_sru_mistakes_get_sru_diagnostics(
    shelfnet_server: ShelfnetServer, parameters: dict[str, str], code: int
) -> None:
    root = _sru_get(shelfnet_server, **parameters)
    uris = root.xpath("//*[local-name()='diagnostic']/*[local-name()='uri']/text()")
    assert uris == [f"info:srw/diagnostic/1/{code}"]


def test_sru_sort_by_gives_the_z3950_sort_order(shelfnet_server: ShelfnetServer) -> None:
    root = _sru_get(
        shelfnet_server,
        version="1.2",
        operation="searchRetrieve",
        query="dc.creator = ellington sortBy dc.title/sort.descending",
        maximumRecords="21",
    )
    ours = root.xpath("//*[local-name()='controlfield'][@tag='001']/text()")
    assert ours == zoomsh_sorted_ids(shelfnet_server.target, "@attr 1=1003 ellington", "1=4 >", 21)
