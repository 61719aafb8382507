"""The local catalogue against Zebra: jazz_1k.mrc in both, the same PQF queries, the same hits.

Zebra indexes the records by ``tests/fixtures/zebra/shelfnet-marc.abs``, which the
catalogue's indexing rules follow. Where the two still disagree, on purpose, the query is in
``KNOWN_DIFFERENCES`` with the reason, and the test is an expected failure (strict: should
the counts come to agree, the entry must go).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shelfnet.backend import BackendError
from shelfnet.catalog.importer import import_files
from shelfnet.catalog.normalise import fold
from shelfnet.catalog.scan import scan_index
from shelfnet.catalog.search import run_search
from shelfnet.catalog.store import Store
from shelfnet.query.pqf import parse_pqf
from shelfnet.query.rpn import AttributeElement, Term
from tests.interop.queries import JAZZ_PQF, JAZZ_PQF_DIAGNOSTICS, DiagnosticCase, QueryCase
from tests.peers import PeerDiagnostic, Target, marc_data_dir, zoomsh_hits, zoomsh_scan

KNOWN_DIFFERENCES: dict[str, str] = {
    "@attr 1=4 @attr 3=1 blue": (
        "Zebra ignores position 3=1 (first in field) on its ICU word register: '@attr 3=1 note' "
        "finds 'Blue note' too. The catalogue finds only fields that start with the word."
    ),
    '@attr 1=1003 @attr 4=1 @attr 6=3 "davis miles"': (
        "Zebra's phrase register holds single subfields, so its 6=3 is really 'complete "
        "subfield'. The catalogue's 6=3 is the whole field ('davis miles 1926 1991'); its "
        "6=2 gives Zebra's count (checked below)."
    ),
    "@attr 1=21 @attr 4=1 @attr 6=3 jazz": (
        "As above: Zebra matches the $a of 'Jazz -- 1951-1960.'; the complete field is "
        "'jazz 1951 1960'. The catalogue's 6=2 gives Zebra's count."
    ),
    "@attr 1=31 @attr 2=4 @attr 4=109 1990": (
        "Zebra takes the date of publication from 008/07-10 only; 86 jazz records have a "
        "blank date there, and the catalogue falls back to the year in 260 $c, which is 1990 "
        "or later for 4 of them."
    ),
}

KNOWN_DIAGNOSTIC_DIFFERENCES: dict[str, str] = {
    "@attr 1=4 @attr 5=101 bl#s": (
        "Zebra cannot process '#' on an ICU index (120); the catalogue supports truncation "
        "101 on every index."
    ),
}


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    jazz = marc_data_dir() / "jazz_1k.mrc"
    if not jazz.is_file():
        pytest.skip(f"MARC test data not found: {jazz}")
    path: Path = tmp_path_factory.mktemp("catalog") / "jazz.sqlite"
    with Store(path) as store:
        result = import_files([jazz], store)
        assert (result.added, result.failed) == (1000, 0)
        yield store


def hits(store: Store, pqf: str) -> int:
    return len(run_search(store, parse_pqf(pqf)))


def _marked(case: QueryCase) -> object:
    reason = KNOWN_DIFFERENCES.get(case.query)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, id=case.query, marks=marks)


@pytest.mark.parametrize("case", [_marked(case) for case in JAZZ_PQF])
def test_hit_counts_equal_zebras(
    zoomsh: None, zebra_target: Target, catalogue: Store, case: QueryCase
) -> None:
    assert hits(catalogue, case.query) == zoomsh_hits(zebra_target, case.query)


def test_every_known_difference_is_a_query_of_the_suite() -> None:
    assert set(KNOWN_DIFFERENCES) <= {case.query for case in JAZZ_PQF}


@pytest.mark.parametrize(
    "query",
    [
        '@attr 1=1003 @attr 4=1 @attr 6=3 "davis miles"',
        "@attr 1=21 @attr 4=1 @attr 6=3 jazz",
    ],
)
def test_complete_subfield_gives_what_zebra_calls_complete_field(
    zoomsh: None, zebra_target: Target, catalogue: Store, query: str
) -> None:
    ours = hits(catalogue, query.replace("@attr 6=3", "@attr 6=2"))
    assert ours == zoomsh_hits(zebra_target, query)


def _diagnostic(case: DiagnosticCase) -> object:
    reason = KNOWN_DIAGNOSTIC_DIFFERENCES.get(case.query)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(case, id=case.query, marks=marks)


@pytest.mark.parametrize("case", [_diagnostic(case) for case in JAZZ_PQF_DIAGNOSTICS])
def test_diagnostics_equal_zebras(
    zoomsh: None, zebra_target: Target, catalogue: Store, case: DiagnosticCase
) -> None:
    with pytest.raises(PeerDiagnostic) as zebra:
        zoomsh_hits(zebra_target, case.query)
    with pytest.raises(BackendError) as ours:
        hits(catalogue, case.query)
    assert ours.value.diagnostic.code == zebra.value.code


@pytest.mark.parametrize("start", ["jazz", "blue", "koln"])
def test_title_word_scans_match_zebras(
    zoomsh: None, zebra_target: Target, catalogue: Store, start: str
) -> None:
    # Zebra shows each word as first catalogued ("Köln"); compare the folded forms.
    zebra = [
        (fold(term), count) for term, count in zoomsh_scan(zebra_target, f"@attr 1=4 {start}", 8)
    ]
    ours = scan_index(catalogue, Term(start, (AttributeElement(1, 4),)), 8, 1)
    assert [(entry.term, entry.count) for entry in ours.entries] == zebra
