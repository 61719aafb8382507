"""CQL checked against YAZ: the same query and mapping file must give the same type-1 query.

yaz-client turns CQL into RPN itself (``querytype cql2rpn``, the mapping read with
``set_cqlfile``) and sends it to yaz-ztest, which logs each search as PQF.  That PQF, read
with parse_pqf, must equal cql_to_rpn's tree exactly: operators, proximity parameters, terms
and every attribute in the order YAZ put it on the wire.  Queries YAZ refuses must be refused
here with the same SRU diagnostic.  The mapping files are shelfnet's cql.properties, YAZ's own
pqf.properties and two written here for what those do not use.

Last, queries through the default mapping must find in Zebra what the PQF queries of
tests/interop/queries.py find.

yaz-client reads CQL more loosely than CQL 1.2 (``dune messiah`` is two ANDed terms, and only
adj, all, any and prefixed names are relations), so the queries here are ones both read alike.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from shelfnet.query import Query, parse_pqf, to_pqf
from shelfnet.query.cql import CqlDiagnostic, CqlError, cql_to_rpn, load_cql_mapping, parse_cql
from tests.interop.queries import JAZZ_PQF
from tests.interop.test_ccl_yaz import YazCcl
from tests.peers import (
    ALL_RECORDS_PQF,
    CLIENT_TIMEOUT,
    MissingProgram,
    Target,
    find_program,
    start_ztest,
    zoomsh_hits,
)

pytestmark = pytest.mark.interop

YAZ_PQF_PROPERTIES = Path("/usr/share/yaz/etc/pqf.properties")
"""YAZ's own mapping, shipped by the Debian package libyaz-dev."""

# yaz-client prints "Can't convert CQL to PQF: <SRU message> (addinfo=...)" after any "Z> ".
_CONVERT_ERROR = re.compile(r"Can't convert CQL to PQF: (.*?) \(addinfo=", re.MULTILINE)
_PARSE_ERROR = "Can't parse CQL"
_YAZ_MESSAGES = {
    "Unsupported context set": CqlDiagnostic.UNSUPPORTED_CONTEXT_SET,
    "Unsupported index": CqlDiagnostic.UNSUPPORTED_INDEX,
    "Unsupported relation": CqlDiagnostic.UNSUPPORTED_RELATION,
    "Unsupported relation modifier": CqlDiagnostic.UNSUPPORTED_RELATION_MODIFIER,
    "Unsupported combination of relation and term": (CqlDiagnostic.UNSUPPORTED_RELATION_AND_TERM),
    "Masking character not supported": CqlDiagnostic.MASKING_CHARACTER_UNSUPPORTED,
    "Anchoring character in unsupported position": (
        CqlDiagnostic.ANCHORING_CHARACTER_IN_UNSUPPORTED_POSITION
    ),
    "Unsupported proximity relation": CqlDiagnostic.UNSUPPORTED_PROXIMITY_RELATION,
    "Unsupported proximity unit": CqlDiagnostic.UNSUPPORTED_PROXIMITY_UNIT,
    "Unsupported boolean modifier": CqlDiagnostic.UNSUPPORTED_BOOLEAN_MODIFIER,
}

# Every category and fallback the other files leave out: a default context set of its own,
# index and relation wildcards, relation aliases, no left or both truncation (so those
# become Z39.58 patterns), position.last, multi-attribute modifiers.
EXOTIC_MAPPING = """\
set.cql = info:srw/cql-context-set/1/cql-v1.2
set.dc = info:srw/cql-context-set/1/dc-v1.1
set.my = http://example.org/cql/my-context-set/
set = http://example.org/cql/my-context-set/
index.cql.serverChoice = 1=1016
index.dc.title = 1=4
index.my.title = 1=4 4=6
index.my.* = 1=*
relation.eq = 2=3
relation.exact = 2=3 6=3
relation.ge = 2=4
relation.< = 2=1
relation.all = 2=3
relation.* = 2=102
structure.all = 4=2
structure.< = 4=109
structure.* = 4=1
position.any = 3=3
position.first = 3=1 6=1
position.last = 3=4
truncation.right = 5=1
truncation.z3958 = 5=104
truncation.none = 5=100
relationModifier.relevant = 2=102
relationModifier.fuzzy = 5=103
relationModifier.string = 4=108 6=3
always = 6=1
"""

# The least a search needs, and not one thing more.
SPARSE_MAPPING = """\
set.dc = info:srw/cql-context-set/1/dc-v1.1
set = info:srw/cql-context-set/1/dc-v1.1
index.dc.title = 1=4
relation.eq = 2=3
relation.< = 2=1
structure.< = 4=109
position.any =
"""

DEFAULT_CASES = [
    pytest.param("dune", id="bare term"),
    pytest.param('dc.title = "dune messiah"', id="phrase"),
    pytest.param('dc.title all "dune  messiah"', id="all"),
    pytest.param('dc.title ANY "dune arrakis"', id="any"),
    pytest.param('dc.title adj "dune messiah"', id="adj"),
    pytest.param('dc.title == "dune messiah"', id="exact"),
    pytest.param("dc.date < 1990", id="less than"),
    pytest.param("dc.date <= 1990", id="less or equal"),
    pytest.param("dc.date = 1990", id="equal"),
    pytest.param("dc.date >= 1990", id="greater or equal"),
    pytest.param("dc.date > 1990", id="greater than"),
    pytest.param("dc.date <> 1990", id="not equal"),
    pytest.param("dc.creator = herbert and dc.subject = spice", id="and"),
    pytest.param("a or b not c", id="or and not left to right"),
    pytest.param("title = dune and (creator = herbert or subject = spice)", id="parentheses"),
    pytest.param("bath.isbn = 0441172717", id="Bath ISBN"),
    pytest.param('bath.personalName = "herbert, frank"', id="Bath personal name"),
    pytest.param("rec.id = 12345", id="record id"),
    pytest.param("cql.allRecords = 1", id="all records"),
    pytest.param("cql.anywhere = spice", id="anywhere"),
    pytest.param("cql.resultSet = default", id="result set"),
    pytest.param("dc.title = dun*", id="right truncation"),
    pytest.param("dc.title = *une", id="left truncation"),
    pytest.param("dc.title = *un*", id="both truncation"),
    pytest.param("dc.title = d?ne", id="Z39.58 mask"),
    pytest.param(r'dc.title = "d*n\?e#1"', id="Z39.58 pattern with escapes"),
    pytest.param(r"dc.title = d\*ne\^", id="escaped masking"),
    pytest.param("dc.title = ^dune", id="anchored first"),
    pytest.param('dc.title = "^dune messiah^"', id="anchored both ends"),
    pytest.param("dc.title =/relevant/stem dune", id="relation modifiers"),
    pytest.param('dc.title =/cql.regexp "d.*e"', id="regexp"),
    pytest.param("dc.title =/ignoreCase dune", id="modifier with no attributes"),
    pytest.param('dc.title all/relevant "dun* mess?h"', id="word list with masking"),
    pytest.param("a prox b", id="prox defaults"),
    pytest.param("a prox/unit=word/distance<=3/ordered b", id="prox word distance"),
    pytest.param("a PROX/distance>2/unit=paragraph b", id="prox paragraph"),
    pytest.param("a prox/unit=sentence/unordered b", id="prox sentence"),
    pytest.param("a prox/unit=element/distance>=4 b", id="prox element"),
    pytest.param('> b = "http://zing.z3950.org/cql/bath/2.0/" b.issn = x', id="prefix"),
    pytest.param('> "http://zing.z3950.org/cql/bath/2.0/" isbn = x', id="default prefix"),
    pytest.param("dune sortBy dc.date/sort.descending", id="sortBy left out"),
]

DEFAULT_ERRORS = [
    pytest.param("dc.foo = x", id="unknown index"),
    pytest.param("foo.title = x", id="unknown context set"),
    pytest.param('(> x = "info:srw/cql-context-set/1/dc-v1.1" x.title = a) and x.title = b'),
    pytest.param('> dc = "http://zing.z3950.org/cql/bath/2.0/" dc.title = x', id="remapped"),
    pytest.param("dc.title cql.within x", id="unsupported relation"),
    pytest.param("dc.foo cql.encloses x", id="relation before index"),
    pytest.param("dc.title =/respectCase x", id="unsupported relation modifier"),
    pytest.param("dc.title =/foo.relevant x", id="modifier with unknown prefix"),
    pytest.param("dc.title = dune^", id="anchored last"),
    pytest.param("a and/x b", id="modifier on and"),
    pytest.param("a prox/unit=verse b", id="unknown unit"),
    pytest.param("a prox/distance<>2/unit=verse/foo b", id="last modifier first"),
    pytest.param("dc.title =", id="no term"),
    pytest.param("(dune", id="missing parenthesis"),
    pytest.param("dune)", id="extra parenthesis"),
    pytest.param("a and", id="no right operand"),
    pytest.param("> dc =", id="unfinished prefix"),
]

YAZ_FILE_CASES = [
    pytest.param("dune", id="bare term"),
    pytest.param('dc.title all "a b c"', id="all"),
    pytest.param('dc.title any "a b"', id="any"),
    pytest.param("dc.title == dune", id="exact"),
    pytest.param("dc.date <= 1990", id="less or equal"),
    pytest.param("dc.title =/relevant/stem dune", id="modifiers"),
    pytest.param('dc.title =/regexp "a.*"', id="regexp"),
    pytest.param('dc.title =/unmasked "a*b?"', id="unmasked"),
    pytest.param('dc.title =/masked "a*"', id="masked"),
    pytest.param("^dune^", id="complete field"),
    pytest.param("dune^", id="anchored last"),
    pytest.param("*un*", id="both truncation"),
    pytest.param("a*b*", id="Z39.58"),
    pytest.param(r"a*\?", id="escaped mask in Z39.58"),
    pytest.param("*^a", id="anchor after truncation"),
    pytest.param("^*a", id="truncation after anchor"),
    pytest.param('"*"', id="only truncation"),
    pytest.param('"^"', id="only anchor"),
    pytest.param("cql.allRecords = 1", id="all records"),
    pytest.param("bath.keyTitle = x", id="Bath key title"),
    pytest.param("a prox/unit=character b", id="prox character"),
    pytest.param("a prox/distance<>2/unit=document b", id="prox document"),
    pytest.param("dc.coverage = x", id="index mapped to 1=?"),
    pytest.param("dc.foo = x", id="unknown index"),
]

EXOTIC_CASES = [
    pytest.param("title = dune", id="default context set of its own"),
    pytest.param("my.1004 = parker", id="numeric index wildcard"),
    pytest.param("my.Title-uniform = x", id="string index wildcard"),
    pytest.param("dc.title == dune", id="exact alias"),
    pytest.param("dc.title >= 1990", id="ge alias"),
    pytest.param("dc.title < 1990", id="structure per relation"),
    pytest.param('dc.title cql.within "1 2"', id="relation wildcard"),
    pytest.param('dc.title all "a* b"', id="word list"),
    pytest.param("*une", id="no left truncation"),
    pytest.param("*un*", id="no both truncation"),
    pytest.param("dune^", id="position last"),
    pytest.param("^dune", id="position first"),
    pytest.param("dc.title =/relevant/fuzzy dune", id="modifiers"),
    pytest.param("dc.title =/string dune", id="two-attribute modifier"),
    pytest.param("a prox/unit=paragraph/distance>=2 b", id="prox"),
]

SPARSE_CASES = [
    pytest.param("title < 1990", id="enough"),
    pytest.param("title = a", id="no structure"),
    pytest.param("title < a*", id="no truncation"),
    pytest.param("title < ^a", id="no anchoring"),
    pytest.param("title <> a", id="no relation"),
]

# CQL through the default mapping, and the PQF of tests/interop/queries.py it must match.
ZEBRA_CASES = [
    ("jazz", "@attr 1=1016 jazz"),
    ("dc.title = jazz", "@attr 1=4 jazz"),
    ('dc.title = "blue note"', '@attr 1=4 @attr 4=1 "blue note"'),
    ('dc.title == "the koln concert"', '@attr 1=4 @attr 4=1 @attr 6=3 "the koln concert"'),
    ('dc.title = "^the koln concert^"', '@attr 1=4 @attr 4=1 @attr 6=3 "the koln concert"'),
    ("dc.title = ^blue", "@attr 1=4 @attr 3=1 blue"),
    ("dc.title = jaz*", "@attr 1=4 @attr 5=1 jaz"),
    ("dc.title = *azz", "@attr 1=4 @attr 5=2 azz"),
    ("dc.title = *azz*", "@attr 1=4 @attr 5=3 azz"),
    ('dc.title =/regexp "blu.*"', '@attr 1=4 @attr 5=102 "blu.*"'),
    ("dc.title =/relevant jazz", "@attr 1=4 @attr 2=102 jazz"),
    ("dc.creator = davis", "@attr 1=1003 davis"),
    ('dc.creator == "davis miles"', '@attr 1=1003 @attr 4=1 @attr 6=3 "davis miles"'),
    ("dc.subject = saxophone", "@attr 1=21 saxophone"),
    ('dc.subject = "jazz vocals"', '@attr 1=21 @attr 4=1 "jazz vocals"'),
    ("bath.isbn = 0863693180", "@attr 1=7 0863693180"),
    ("bath.issn = 0012-5768", "@attr 1=8 0012-5768"),
    ('dc.publisher = "blue note"', '@attr 1=1018 "blue note"'),
    ("rec.id = 03-0018137", "@attr 1=12 03-0018137"),
    ("dc.language = fre", "@attr 1=54 fre"),
    ("cql.allRecords = 1", ALL_RECORDS_PQF),
    ("dc.date = 1990", "@attr 1=31 1990"),
    ("dc.date < 1960", "@attr 1=31 @attr 2=1 @attr 4=109 1960"),
    ("dc.date <= 1959", "@attr 1=31 @attr 2=2 @attr 4=109 1959"),
    ("dc.date >= 1990", "@attr 1=31 @attr 2=4 @attr 4=109 1990"),
    ("dc.date > 1999", "@attr 1=31 @attr 2=5 @attr 4=109 1999"),
    ("dc.creator = davis and dc.subject = jazz", "@and @attr 1=1003 davis @attr 1=21 jazz"),
    ('dc.title any "blue night"', "@or @attr 1=4 blue @attr 1=4 night"),
    ("dc.subject = jazz not dc.subject = saxophone", "@not @attr 1=21 jazz @attr 1=21 saxophone"),
    (
        "dc.title = blue prox/distance<=1/ordered dc.title = note",
        "@prox 0 1 1 2 k 2 @attr 1=4 blue @attr 1=4 note",
    ),
    ("dc.title = xyzzyplugh", "@attr 1=4 xyzzyplugh"),
]
JAZZ_HITS = {case.query: case.hits for case in JAZZ_PQF}


class YazCql(YazCcl):
    """yaz-client converting CQL, against the yaz-ztest that logs what it was sent."""

    def convert_cql(self, cql: str, mapping_file: Path) -> Query | CqlDiagnostic | None:
        """YAZ's query for ``cql``; the SRU diagnostic it refused it with; None for CQL it
        could not parse."""
        host, port = self.address
        database = f"cql{next(self.databases)}"
        commands = (
            f"open {host}:{port}/{database}\nset_cqlfile {mapping_file}\n"
            f"querytype cql2rpn\nfind {cql}\nquit\n"
        )
        completed = subprocess.run(
            [self.client],
            input=commands,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            cwd=self.home,
            env={**os.environ, "HOME": str(self.home)},
            check=False,
        )
        if _PARSE_ERROR in completed.stdout:
            return None
        if error := _CONVERT_ERROR.search(completed.stdout):
            return _YAZ_MESSAGES[error.group(1)]
        return parse_pqf(self._logged_pqf(database))


@pytest.fixture(scope="module")
def yaz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[YazCql]:
    try:
        client = find_program("yaz-client")
        find_program("yaz-ztest")
    except MissingProgram as missing:
        pytest.skip(str(missing))
    log_dir = tmp_path_factory.mktemp("ztest-log")
    with start_ztest(log_dir=log_dir) as address:
        yield YazCql(client, address, log_dir, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def default_file() -> Iterator[Path]:
    with resources.as_file(resources.files("shelfnet.query") / "cql.properties") as path:
        yield path


@pytest.fixture(scope="module")
def yaz_file() -> Path:
    if not YAZ_PQF_PROPERTIES.is_file():
        pytest.skip(f"{YAZ_PQF_PROPERTIES} not found: install Debian package libyaz-dev")
    return YAZ_PQF_PROPERTIES


def written(tmp_path_factory: pytest.TempPathFactory, name: str, text: str) -> Path:
    path = tmp_path_factory.mktemp("cql") / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def exotic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return written(tmp_path_factory, "exotic.properties", EXOTIC_MAPPING)


@pytest.fixture(scope="module")
def sparse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return written(tmp_path_factory, "sparse.properties", SPARSE_MAPPING)


def shelfnet_cql(cql: str, mapping_file: Path) -> Query | CqlDiagnostic | None:
    """shelfnet's answer in convert_cql's terms."""
    try:
        node = parse_cql(cql)
    except CqlError:
        return None
    try:
        return cql_to_rpn(node, load_cql_mapping(mapping_file))
    except CqlError as error:
        return error.sru_code


@pytest.mark.parametrize("cql", DEFAULT_CASES)
def test_the_default_mapping_gives_the_query_yaz_sends(
    yaz: YazCql, default_file: Path, cql: str
) -> None:
    expected = yaz.convert_cql(cql, default_file)
    assert isinstance(expected, Query), f"YAZ refused {cql!r}: {expected}"
    assert shelfnet_cql(cql, default_file) == expected


@pytest.mark.parametrize("cql", DEFAULT_ERRORS)
def test_queries_yaz_refuses_are_refused_with_its_diagnostic(
    yaz: YazCql, default_file: Path, cql: str
) -> None:
    expected = yaz.convert_cql(cql, default_file)
    assert not isinstance(expected, Query), f"YAZ accepted {cql!r}"
    assert shelfnet_cql(cql, default_file) == expected


@pytest.mark.parametrize("cql", YAZ_FILE_CASES)
def test_yaz_s_own_mapping_file_gives_what_yaz_gives(yaz: YazCql, yaz_file: Path, cql: str) -> None:
    assert shelfnet_cql(cql, yaz_file) == yaz.convert_cql(cql, yaz_file)


@pytest.mark.parametrize("cql", EXOTIC_CASES)
def test_every_lookup_rule_behaves_as_in_yaz(yaz: YazCql, exotic_file: Path, cql: str) -> None:
    expected = yaz.convert_cql(cql, exotic_file)
    assert isinstance(expected, Query), f"YAZ refused {cql!r}: {expected}"
    assert shelfnet_cql(cql, exotic_file) == expected


@pytest.mark.parametrize("cql", SPARSE_CASES)
def test_what_a_mapping_must_have_is_as_in_yaz(yaz: YazCql, sparse_file: Path, cql: str) -> None:
    assert shelfnet_cql(cql, sparse_file) == yaz.convert_cql(cql, sparse_file)


@pytest.mark.parametrize(("cql", "pqf"), ZEBRA_CASES)
def test_the_default_mapping_finds_in_zebra_what_the_pqf_finds(
    zoomsh: None, zebra_target: Target, cql: str, pqf: str
) -> None:
    query = to_pqf(cql_to_rpn(parse_cql(cql)))
    assert zoomsh_hits(zebra_target, query) == JAZZ_HITS[pqf]
