"""CQL written by rpn_to_cql, checked against YAZ and Zebra.

YAZ's Debian package has no cql2pqf program, so YAZ's own CQL-to-RPN conversion is driven as
tests/interop/test_cql_yaz.py drives it: yaz-client with the project's cql.properties
(``set_cqlfile``) sends the CQL as a type-1 query to yaz-ztest, which logs it as PQF.  That
query must be exactly what cql_to_rpn makes of the same CQL, and the same search (in the
sense of tests/unit/test_cqlwriter.py) as the query the CQL was written from.

Last, the CQL written for the PQF and CCL queries of tests/interop/queries.py must find in
Zebra what they find, wherever CQL can carry them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shelfnet.query import Query, parse_ccl, parse_pqf, to_pqf
from shelfnet.query.cql import cql_to_rpn, parse_cql
from shelfnet.query.cqlwriter import CqlWriteError, rpn_to_cql
from tests.interop import test_cql_yaz
from tests.interop.queries import JAZZ_CCL, JAZZ_PQF, QueryCase
from tests.interop.test_cql_yaz import YazCql
from tests.peers import Target, zoomsh_hits
from tests.unit.test_cqlwriter import same_search

pytestmark = pytest.mark.interop

PQF_CASES = [
    pytest.param("@attr 1=4 jazz", id="title"),
    pytest.param('@attr 1=4 @attr 4=1 "blue note"', id="phrase"),
    pytest.param("@attr 1=4 @attr 4=2 concert", id="word"),
    pytest.param('@attr 1=4 @attr 4=6 "blue note"', id="word list"),
    pytest.param('@attr 1=4 @attr 4=1 @attr 6=3 "the koln concert"', id="complete field"),
    pytest.param("@attr 1=4 @attr 3=1 blue", id="first in field"),
    pytest.param("@attr 1=4 @attr 5=1 jaz", id="right truncation"),
    pytest.param("@attr 1=4 @attr 5=2 azz", id="left truncation"),
    pytest.param("@attr 1=4 @attr 5=3 azz", id="both truncation"),
    pytest.param('@attr 1=4 @attr 5=104 "b?e#note"', id="Z39.58 pattern"),
    pytest.param("@attr 1=4 @attr 3=1 @attr 5=2 lue", id="anchor and left truncation"),
    pytest.param('@attr 1=4 @attr 5=102 "blu.*"', id="regular expression"),
    pytest.param("@attr 1=4 @attr 2=102 jazz", id="relevance"),
    pytest.param("@attr 1=1003 davis", id="author"),
    pytest.param("@attr 1=7 0863693180", id="ISBN"),
    pytest.param("@attr 1=12 03-0018137", id="record id"),
    pytest.param('@attr 1=_ALLRECORDS @attr 2=103 ""', id="every record"),
    pytest.param("@attr 1=1016 jazz", id="any"),
    pytest.param("jazz", id="no attributes"),
    pytest.param("@attr 2=1 1990", id="server choice with a relation"),
    pytest.param("@attr 1=31 @attr 2=1 @attr 4=109 1960", id="less than"),
    pytest.param("@attr 1=31 @attr 2=2 @attr 4=109 1959", id="less or equal"),
    pytest.param("@attr 1=31 @attr 4=109 1975", id="numeric equal"),
    pytest.param("@attr 1=31 @attr 2=4 @attr 4=109 1990", id="greater or equal"),
    pytest.param("@attr 1=31 @attr 2=5 @attr 4=109 1999", id="greater than"),
    pytest.param("@attr 1=31 @attr 2=6 @attr 4=109 1999", id="not equal"),
    pytest.param(r'@attr 1=4 "say \"hi\" *now* a\\b ^?"', id="escapes"),
    pytest.param('@attr 1=4 "and"', id="keyword as term"),
    pytest.param("@or @attr 1=4 a @not @attr 1=21 b @attr 1=21 c", id="or, not"),
    pytest.param("@and @or a b @or c d", id="parentheses"),
    pytest.param("@prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note", id="prox ordered"),
    pytest.param("@prox 0 3 0 4 k 4 a b", id="prox paragraph"),
    pytest.param("@prox 0 2 0 6 k 8 a b", id="prox element"),
]


# test_cql_yaz's fixtures: one yaz-client harness (and the project's cql.properties) for both.
yaz = test_cql_yaz.yaz
default_file = test_cql_yaz.default_file


@pytest.mark.parametrize("pqf", PQF_CASES)
def test_yaz_reads_the_written_cql_as_the_same_search(
    yaz: YazCql, default_file: Path, pqf: str
) -> None:
    query = parse_pqf(pqf)
    cql = rpn_to_cql(query)
    from_yaz = yaz.convert_cql(cql, default_file)
    assert isinstance(from_yaz, Query), f"YAZ refused {cql!r}: {from_yaz}"
    assert from_yaz == cql_to_rpn(parse_cql(cql))
    assert same_search(query.root, from_yaz.root), cql


def _written(case: QueryCase, language: str) -> str | None:
    query = parse_pqf(case.query) if language == "pqf" else parse_ccl(case.query)
    try:
        return rpn_to_cql(query)
    except CqlWriteError:
        return None


ZEBRA_CASES = [
    pytest.param(cql, case.hits, id=f"{language}: {case.query}")
    for language, cases in (("pqf", JAZZ_PQF), ("ccl", JAZZ_CCL))
    for case in cases
    if (cql := _written(case, language)) is not None
]
# Searches of the jazz register the default mapping has no CQL index for.
UNWRITTEN_PQF = {
    "@attr 1=5 jazz",
    "@attr 1=1004 parker",
    "@attr 1=1005 orchestra",
}


def test_only_access_points_the_mapping_lacks_stay_unwritten() -> None:
    unwritten = {case.query for case in JAZZ_PQF if _written(case, "pqf") is None}
    assert unwritten == UNWRITTEN_PQF
    assert all(_written(case, "ccl") is not None for case in JAZZ_CCL)


@pytest.mark.parametrize(("cql", "hits"), ZEBRA_CASES)
def test_the_written_cql_finds_in_zebra_what_its_query_finds(
    zoomsh: None, zebra_target: Target, cql: str, hits: int
) -> None:
    assert zoomsh_hits(zebra_target, to_pqf(cql_to_rpn(parse_cql(cql)))) == hits
