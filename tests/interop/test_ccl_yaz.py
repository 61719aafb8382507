"""CCL checked against YAZ: the same query and qualifier file must give the same type-1 query.

yaz-client turns CCL into RPN itself (``querytype ccl2rpn``, qualifiers read with ``-c``) and
sends it to yaz-ztest, which logs each search as PQF: ``Search <database> ... RPN <pqf>``.
That PQF, read with parse_pqf, must equal parse_ccl's tree exactly: operators, proximity
parameters, terms, and every attribute in the order YAZ put it on the wire.  Each query
searches a database of its own name, so its log line cannot be mistaken.  Queries YAZ
rejects must be rejected here too, with YAZ's message (yaz-client prints ``CCL ERROR: ...``).
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pytest

from shelfnet.query import Query, QueryError, load_qualifiers, parse_ccl, parse_pqf
from tests.peers import CLIENT_TIMEOUT, MissingProgram, find_program, start_ztest

pytestmark = pytest.mark.interop

_CCL_ERROR = re.compile(r"CCL ERROR: (.*)$", re.MULTILINE)  # after any "Z> " prompts
_LOG_WAIT = 10.0

# Exercises what default.qual does not use: or/auto-group/split lists, regex and Z39.58
# masking, omitted equals, string use attributes, another attribute set, aliases.
EXOTIC_QUALIFIERS = """\
term  u=1016 s=al,pw t=l,r
ti    u=4 s=pw t=l,r
au    u=1003 s=pw t=r
kw    u=1016 s=ol
ag    u=4 s=ag
split u=2 s=sl
reg   u=4 t=x
zz    u=4 t=z
none  u=4 t=n
pd    u=31 r=r,omiteq
geo   gils,u=2008 4=109
path  1=/my/title
both  ti au
"""

DEFAULT_CASES = [
    pytest.param("ti=dune", id="title word"),
    pytest.param("ti=dune messiah", id="title phrase"),
    pytest.param('ti="children of dune"', id="quoted title phrase"),
    pytest.param("au=herbert, frank", id="author with comma"),
    pytest.param("su=science fiction", id="subject"),
    pytest.param("isbn=0441172717", id="ISBN"),
    pytest.param("issn=0012-5768", id="ISSN"),
    pytest.param("desert planet spice", id="keywords ANDed"),
    pytest.param('spice "desert planet"', id="keyword and quoted phrase"),
    pytest.param("ti=dune and au=herbert", id="AND"),
    pytest.param("dune or arrakis not messiah", id="OR and NOT left to right"),
    pytest.param("(ti=dune or ti=arrakis) and yr>1965", id="parentheses and relation"),
    pytest.param("ti=(dune or arrakis)", id="qualifier over parentheses"),
    pytest.param("TI=dune AND AU=herbert", id="case insensitive (@case 0)"),
    pytest.param("ti=dun?", id="right truncation"),
    pytest.param("?une", id="left truncation on keywords"),
    pytest.param("yr=1965-1970", id="range without spaces"),
    pytest.param("yr=1965 - 1970", id="range with spaces"),
    pytest.param("yr=-1970", id="open range"),
    pytest.param("date>=2001-05-12", id="full date relation"),
    pytest.param("ti,au=dune", id="qualifier list"),
    pytest.param("ti,su=desert planet", id="qualifier list phrase"),
    pytest.param("any=spice", id="alias"),
    pytest.param("loc=PS3558.E63", id="call number alias"),
    pytest.param("dune % messiah", id="unordered proximity"),
    pytest.param("ti=dune !2 messiah", id="ordered proximity with distance"),
    pytest.param("ti=(dune) messiah", id="adjacency after parentheses"),
    pytest.param("set=default and spice", id="result set"),
]

DEFAULT_ERRORS = [
    pytest.param("ti=", id="no term"),
    pytest.param("(dune", id="missing parenthesis"),
    pytest.param("dune)", id="extra parenthesis"),
    pytest.param("foo=bar", id="unknown qualifier"),
    pytest.param("ti=du?ne", id="embedded truncation"),
    pytest.param("isbn=?0441", id="left truncation not allowed"),
    pytest.param("yr=>1965", id="bad relation"),
    pytest.param("ti>dune", id="relation on unordered qualifier"),
]

EXOTIC_CASES = [
    pytest.param("kw=desert planet spice", id="or-list"),
    pytest.param('ag=desert planet "the spice" must flow', id="auto-group"),
    pytest.param("split=desert planet spice", id="split list"),
    pytest.param("reg=dun?#.x", id="regex masking"),
    pytest.param("zz=dun?#", id="Z39.58 masking"),
    pytest.param("none=dune", id="no truncation attribute"),
    pytest.param("pd=1965 and pd>1970", id="omitted equals"),
    pytest.param("geo=12", id="attribute set and numeric structure"),
    pytest.param("path=dune", id="string use attribute"),
    pytest.param("both=dune", id="alias of two"),
    pytest.param("ti,both=dune", id="qualifier list with alias"),
    pytest.param("ti=(au=herbert and dune)", id="nested qualifiers"),
    pytest.param('ti=a\\"b "c d"e', id="escapes and inner quotes"),
    pytest.param("?dune?", id="both truncation refused"),
]


@dataclass
class YazCcl:
    """yaz-client against a yaz-ztest whose log shows the query yaz-client sent."""

    client: str
    address: tuple[str, int]
    log_dir: Path
    home: Path
    databases: Iterator[int] = field(default_factory=itertools.count)

    def convert(self, ccl: str, qualifier_file: Path) -> Query | str:
        """YAZ's query for ``ccl``, or YAZ's CCL error message."""
        host, port = self.address
        database = f"ccl{next(self.databases)}"
        commands = f"open {host}:{port}/{database}\nquerytype ccl2rpn\nfind {ccl}\nquit\n"
        completed = subprocess.run(
            [self.client, "-c", str(qualifier_file)],
            input=commands,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            cwd=self.home,
            # yaz-client reads .yazclientrc from the current and home directories.
            env={**os.environ, "HOME": str(self.home)},
            check=False,
        )
        if error := _CCL_ERROR.search(completed.stdout):
            return error.group(1).strip()
        return parse_pqf(self._logged_pqf(database))

    def _logged_pqf(self, database: str) -> str:
        line = re.compile(rf" Search {re.escape(database)} .*? RPN (.*)$", re.MULTILINE)
        deadline = time.monotonic() + _LOG_WAIT
        while time.monotonic() < deadline:
            for log in self.log_dir.glob("*.log"):
                if found := line.search(log.read_text(encoding="utf-8", errors="replace")):
                    return found.group(1)
            time.sleep(0.02)
        raise AssertionError(f"yaz-ztest logged no search of database {database}")


@pytest.fixture(scope="module")
def yaz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[YazCcl]:
    try:
        client = find_program("yaz-client")
        find_program("yaz-ztest")
    except MissingProgram as missing:
        pytest.skip(str(missing))
    log_dir = tmp_path_factory.mktemp("ztest-log")
    with start_ztest(log_dir=log_dir) as address:
        yield YazCcl(client, address, log_dir, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def default_file() -> Iterator[Path]:
    with resources.as_file(resources.files("shelfnet.query") / "default.qual") as path:
        yield path


@pytest.fixture(scope="module")
def exotic_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ccl") / "exotic.qual"
    path.write_text(EXOTIC_QUALIFIERS, encoding="utf-8")
    return path


def shelfnet_ccl(ccl: str, qualifier_file: Path) -> Query | str:
    try:
        return parse_ccl(ccl, load_qualifiers(qualifier_file))
    except QueryError as error:
        return error.message


@pytest.mark.parametrize("ccl", DEFAULT_CASES)
def test_default_qualifiers_give_the_query_yaz_sends(
    yaz: YazCcl, default_file: Path, ccl: str
) -> None:
    expected = yaz.convert(ccl, default_file)
    assert isinstance(expected, Query), f"YAZ rejected {ccl!r}: {expected}"
    assert shelfnet_ccl(ccl, default_file) == expected


@pytest.mark.parametrize("ccl", DEFAULT_ERRORS)
def test_queries_yaz_rejects_are_rejected_with_its_message(
    yaz: YazCcl, default_file: Path, ccl: str
) -> None:
    expected = yaz.convert(ccl, default_file)
    assert isinstance(expected, str), f"YAZ accepted {ccl!r}"
    assert shelfnet_ccl(ccl, default_file) == expected


@pytest.mark.parametrize("ccl", EXOTIC_CASES)
def test_every_pseudo_value_behaves_as_in_yaz(yaz: YazCcl, exotic_file: Path, ccl: str) -> None:
    assert shelfnet_ccl(ccl, exotic_file) == yaz.convert(ccl, exotic_file)
