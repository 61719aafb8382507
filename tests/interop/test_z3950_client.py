"""shelfnet's Z39.50 client against real peers: zebrasrv (jazz_1k) and yaz-ztest.

Ground truth is what YAZ's own clients get from the same server in the same run: zoomsh for hit
counts and scan lists, yaz-client (``set_marcdump``) for the bytes of every record.
"""

from __future__ import annotations

import asyncio
import unicodedata
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

from shelfnet.marc import decode_marc, parse_marcxml, record_to_marcxml
from shelfnet.output import record_text
from shelfnet.query.ccl import load_qualifiers, parse_ccl
from shelfnet.query.pqf import parse_pqf
from shelfnet.z3950 import oids
from shelfnet.z3950.client import Connection, ResultSet
from shelfnet.z3950.errors import DiagnosticError, InitRefused
from shelfnet.z3950.events import SortKey
from shelfnet.z3950.records import Holding, OpacRecord
from tests.interop.queries import CCL_QUALIFIER_FILE, JAZZ_CCL, JAZZ_PQF, QueryCase
from tests.peers import (
    Target,
    split_iso2709,
    yaz_client_hits_ccl,
    yaz_client_marcdump,
    zoomsh_hits,
    zoomsh_scan,
    zoomsh_show,
    zoomsh_sorted_ids,
)

T = TypeVar("T")

RECORDS_COMPARED_PER_QUERY = 25


def run(target: Target, work: Callable[[Connection], Awaitable[T]], **options: object) -> T:
    async def go() -> T:
        async with Connection(
            target.host,
            target.port,
            databases=[target.database],
            timeout=30,
            **options,  # type: ignore[arg-type]
        ) as conn:
            return await work(conn)

    return asyncio.run(go())


def search(target: Target, query: str, **options: object) -> int:
    async def work(conn: Connection) -> int:
        return (await conn.search(parse_pqf(query))).size

    return run(target, work, **options)


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("case", JAZZ_PQF, ids=lambda c: c.query)
def test_pqf_hit_counts_equal_zoomsh(zebra_target: Target, case: QueryCase) -> None:
    assert search(zebra_target, case.query) == zoomsh_hits(zebra_target, case.query)


@pytest.mark.usefixtures("yaz_client")
@pytest.mark.parametrize("case", [c for c in JAZZ_PQF if c.hits], ids=lambda c: c.query)
def test_record_bytes_equal_yaz_client_marcdump(zebra_target: Target, case: QueryCase) -> None:
    async def work(conn: Connection) -> list[bytes]:
        result = await conn.search(parse_pqf(case.query))
        count = min(result.size, RECORDS_COMPARED_PER_QUERY)
        return [r.raw for r in await result.records(0, count)]

    ours = run(zebra_target, work)
    theirs = split_iso2709(yaz_client_marcdump(zebra_target, case.query, "usmarc", count=len(ours)))
    assert ours == theirs


@pytest.mark.usefixtures("yaz_client")
def test_all_978_jazz_records_equal_yaz_client_marcdump(zebra_target: Target) -> None:
    async def work(conn: Connection) -> list[bytes]:
        result = await conn.search("@attr 1=1016 jazz")
        return [r.raw for r in await result.records()]

    ours = run(zebra_target, work, present_chunk=50)
    theirs = split_iso2709(yaz_client_marcdump(zebra_target, "@attr 1=1016 jazz", count=978))
    assert len(ours) == 978
    assert ours == theirs


def test_piggybacked_records_equal_presented_ones(zebra_target: Target) -> None:
    async def work(conn: Connection) -> tuple[ResultSet, list[bytes], list[bytes]]:
        piggybacked = await conn.search("@attr 1=1003 ellington", prefetch=5)
        cached = [piggybacked._records[i].raw for i in range(5)]
        plain = await conn.search("@attr 1=1003 ellington")
        presented = [r.raw for r in await plain.records(0, 5)]
        return piggybacked, cached, presented

    result, cached, presented = run(zebra_target, work)
    assert result.size == 21
    assert cached == presented


def test_one_connection_serves_many_searches(zebra_target: Target) -> None:
    queries = [c.query for c in JAZZ_PQF[:10]]

    async def work(conn: Connection) -> list[int]:
        sizes = []
        for query in queries:
            sizes.append((await conn.search(query)).size)
        return sizes

    assert run(zebra_target, work) == [search(zebra_target, q) for q in queries]


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize(
    "start",
    ["@attr 1=4 jazz", "@attr 1=1003 ellington", "@attr 1=21 @attr 4=1 jazz", "@attr 1=4 a"],
)
def test_scan_terms_and_counts_equal_zoomsh(zebra_target: Target, start: str) -> None:
    async def work(conn: Connection) -> list[tuple[str, int | None]]:
        entries = await conn.scan(start, number=20)
        return [(e.term, e.count) for e in entries]

    assert run(zebra_target, work) == zoomsh_scan(zebra_target, start, number=20)


def test_marcxml_records_round_trip_to_the_same_pymarc_record(zebra_target: Target) -> None:
    async def work(conn: Connection) -> list[tuple[bytes, bytes]]:
        result = await conn.search("@attr 1=1003 davis")
        xml = [r.raw for r in await result.records(0, 20)]
        conn.preferred_record_syntax = oids.USMARC
        marc = [r.raw for r in await conn.present(result.name, 1, 20)]
        return list(zip(xml, marc, strict=True))

    pairs = run(zebra_target, work, preferred_record_syntax="xml")
    for xml, marc in pairs:
        (record,) = parse_marcxml(xml)
        (again,) = parse_marcxml(record_to_marcxml(record))
        assert again.as_dict() == record.as_dict()
        # The server made the XML from the same ISO 2709 record (MARC-8 made Unicode, decomposed)
        original = decode_marc(marc).record
        assert _nfc(record["245"].value()) == _nfc(original["245"].value())


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def test_unknown_database_raises_bib1_109_with_the_name(zebra_target: Target) -> None:
    missing = Target(zebra_target.host, zebra_target.port, "nosuchdb")
    with pytest.raises(DiagnosticError) as caught:
        search(missing, "@attr 1=4 jazz")
    assert caught.value.code in (109, 235)
    assert caught.value.addinfo == "nosuchdb"


def test_unsupported_use_attribute_raises_bib1_114_with_the_attribute(zebra_target: Target) -> None:
    with pytest.raises(DiagnosticError) as caught:
        search(zebra_target, "@attr 1=9999 jazz")
    assert caught.value.code == 114
    assert caught.value.addinfo == "9999"


def test_present_out_of_range_raises_bib1_13(zebra_target: Target) -> None:
    async def work(conn: Connection) -> None:
        result = await conn.search("@attr 1=1003 ellington")
        await conn.present(result.name, result.size + 5, 1)

    with pytest.raises(DiagnosticError) as caught:
        run(zebra_target, work)
    assert caught.value.code == 13


def test_ztest_opac_records_carry_typed_holdings(ztest_target: Target) -> None:
    async def work(conn: Connection) -> list[object]:
        result = await conn.search("@attr 1=4 computer")
        return [r.value for r in await result.records(0, 10)]

    values = run(ztest_target, work, preferred_record_syntax="opac")
    opacs = [v for v in values if isinstance(v, OpacRecord)]
    assert opacs, "yaz-ztest returned no OPAC records"
    for opac in opacs:
        assert opac.bibliographic is not None and opac.bibliographic.is_marc
        decode_marc(opac.bibliographic.raw)
    holdings = [h for o in opacs for h in o.holdings if isinstance(h, Holding)]
    assert holdings and all(h.call_number or h.local_location for h in holdings)


def test_ztest_sutrs_and_xml_records(ztest_target: Target) -> None:
    async def work(conn: Connection) -> tuple[str, str]:
        result = await conn.search("@attr 1=4 computer")
        sutrs = (await conn.present(result.name, 1, 1, syntax="sutrs"))[0].text
        xml = (await conn.present(result.name, 2, 1, syntax="xml", element_set_name=""))[0]
        return sutrs, xml.text

    sutrs, xml = run(ztest_target, work)
    assert "SUTRS" in sutrs
    assert xml.lstrip().startswith("<record")


def test_character_set_negotiation_selects_a_set_with_yaz(ztest_target: Target) -> None:
    async def work(conn: Connection) -> str | None:
        assert conn.init_response is not None
        return conn.init_response.charset

    assert run(ztest_target, work) is not None


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize("position", [0, 7])
def test_grs1_records_decode_to_the_tree_zoomsh_shows(zebra_target: Target, position: int) -> None:
    query = "@attr 1=4 jazz"

    async def work(conn: Connection) -> str:
        result = await conn.search(query)
        return record_text(await result.record(position))

    ours = run(zebra_target, work, preferred_record_syntax="grs-1")
    theirs = zoomsh_show(zebra_target, query, syntax="grs-1", position=position)
    assert [line.rstrip() for line in ours.splitlines()] == [
        line.rstrip() for line in theirs.splitlines() if line.strip()
    ]


@pytest.mark.usefixtures("zoomsh")
@pytest.mark.parametrize(("descending", "spec"), [(False, "1=4 <"), (True, "1=4 >")])
def test_sort_orders_records_as_zoomsh_does(
    zebra_target: Target, descending: bool, spec: str
) -> None:
    query = "@attr 1=1003 ellington"

    async def work(conn: Connection) -> list[str]:
        result = await conn.search(query)
        ordered = await conn.sort(result, [SortKey(attributes=((1, 4),), descending=descending)])
        return [decode_marc(r.raw).record["001"].data for r in await ordered.records()]

    ours = run(zebra_target, work)
    assert len(ours) == 21
    assert ours == zoomsh_sorted_ids(zebra_target, query, spec, 21)


def test_deleted_result_sets_are_gone(zebra_target: Target) -> None:
    async def work(conn: Connection) -> int:
        first = await conn.search("@attr 1=4 blue")
        await conn.search("@attr 1=4 night")
        response = await conn.delete_result_sets(first.name)
        assert response.status == 0
        with pytest.raises(DiagnosticError) as caught:
            await conn.present(first.name, 1, 1)
        return caught.value.code

    assert run(zebra_target, work) == 30  # Specified result set does not exist


@pytest.mark.usefixtures("yaz_client")
@pytest.mark.parametrize("case", JAZZ_CCL, ids=lambda c: c.query)
def test_ccl_hit_counts_equal_yaz_client_with_the_same_qualifier_file(
    zebra_target: Target, case: QueryCase
) -> None:
    qualifiers = load_qualifiers(CCL_QUALIFIER_FILE)

    async def work(conn: Connection) -> int:
        return (await conn.search(parse_ccl(case.query, qualifiers))).size

    theirs = yaz_client_hits_ccl(zebra_target, case.query, CCL_QUALIFIER_FILE)
    assert run(zebra_target, work) == theirs


def test_zebra_negotiates_utf8(zebra_target: Target) -> None:
    async def work(conn: Connection) -> tuple[str | None, int]:
        assert conn.init_response is not None
        return conn.init_response.charset, (await conn.search("@attr 1=4 köln")).size

    assert run(zebra_target, work) == ("utf-8", 1)


def test_a_record_the_target_cannot_give_is_a_surrogate_diagnostic(ztest_target: Target) -> None:
    async def work(conn: Connection) -> list[object]:
        result = await conn.search("@attr 1=4 computer")
        return [r.diagnostic for r in await result.records(0, 3)]

    diagnostics = run(ztest_target, work, preferred_record_syntax="grs-1")
    assert all(d is not None and d.code == 14 for d in diagnostics)


def test_idpass_authentication_with_zebra(zebra_auth_target: Target) -> None:
    assert search(zebra_auth_target, "@attr 1=4 jazz", user="cataloguer", password="s3cret") == 415


@pytest.mark.parametrize("credentials", [{}, {"user": "cataloguer", "password": "wrong"}])
def test_a_refused_init_carries_bib1_1011(
    zebra_auth_target: Target, credentials: dict[str, str]
) -> None:
    with pytest.raises(InitRefused) as caught:
        search(zebra_auth_target, "@attr 1=4 jazz", **credentials)
    assert caught.value.diagnostic is not None and caught.value.diagnostic.code == 1011
