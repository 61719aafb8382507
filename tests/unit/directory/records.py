"""Hand-made ZeeRex records and targets for the directory's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from shelfnet.directory.model import (
    Address,
    Authentication,
    Target,
    TargetProtocol,
    TargetStatus,
)

EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
IRSPY_NS = "http://indexdata.com/irspy/1.0"


def zeerex(
    *,
    host: str = "z3950.example.org",
    port: str = "210",
    database: str = "books",
    protocol: str = "Z39.50",
    title: str = "Example Public Library",
    description: str = "",
    author: str = "Example County",
    extra: str = "",
    status: str = "",
    raw_host: str | None = None,
) -> bytes:
    """A ZeeRex record; values are escaped as XML text unless ``raw_host`` is given (which
    goes in as written)."""
    host_xml = raw_host if raw_host is not None else escape(host)
    describe = f"<description>{escape(description)}</description>" if description else ""
    return f"""<?xml version="1.0"?>
<explain xmlns="{EXPLAIN_NS}">
  <serverInfo protocol={quoteattr(protocol)}>
    <host>{host_xml}</host>
    <port>{escape(port)}</port>
    <database>{escape(database)}</database>
  </serverInfo>
  <databaseInfo>
    <title primary="true" lang="en">{escape(title)}</title>
    <title lang="no">Eksempelbiblioteket</title>
    {describe}
    <author>{escape(author)}</author>
  </databaseInfo>
  <metaInfo><dateModified>2010-04-17T01:00:28</dateModified></metaInfo>
  {extra}
  <irspy:status xmlns:irspy="{IRSPY_NS}">{status}</irspy:status>
</explain>
""".encode()


RICH_PARTS = """
  <indexInfo>
    <index search="true"><title>Title</title>
      <map><attr type="1" set="bib-1">4</attr></map></index>
    <index search="true"><title>ISBN</title>
      <map><attr type="1" attributeSet="bib-1">7</attr></map></index>
    <index search="false"><title>Any</title>
      <map><attr type="1" set="bib-1">1016</attr></map></index>
    <index search="true"><title>Emne</title>
      <map><attr type="1" set="dan-1">21</attr></map></index>
  </indexInfo>
  <recordInfo>
    <recordSyntax name="USmarc"><elementSet name="F"/></recordSyntax>
    <recordSyntax name="sutrs"><elementSet name="B"/></recordSyntax>
  </recordInfo>
"""

IRSPY_STATUS = """
    <irspy:libraryType>Public</irspy:libraryType>
    <irspy:country>Norway</irspy:country>
    <irspy:serverImplementationId value="81">2009-01-01T00:00:00
      </irspy:serverImplementationId>
    <irspy:serverImplementationName value="GFS/YAZ">2009-01-01T00:00:00
      </irspy:serverImplementationName>
    <irspy:serverImplementationVersion value="4.2">2009-01-01T00:00:00
      </irspy:serverImplementationVersion>
    <irspy:probe ok="1">2010-04-10T03:12:13</irspy:probe>
    <irspy:probe ok="0" errmsg="Init rejected" diagset="ZOOM" errcode="10005" addinfo=""
      >2010-04-11T03:12:13</irspy:probe>
    <irspy:probe ok="0" errmsg="Connect failed" diagset="ZOOM" errcode="10000" addinfo=""
      >2010-04-12T03:12:13</irspy:probe>
"""


def failing_probes(count: int) -> str:
    return "".join(
        f'<irspy:probe ok="0" errmsg="Connect failed" diagset="ZOOM" errcode="10000">'
        f"2010-04-{day:02d}T03:00:00</irspy:probe>"
        for day in range(1, count + 1)
    )


def sample_targets() -> list[Target]:
    """A few targets using every field, for round trips."""
    return [
        Target(
            Address("lx2.loc.gov", 210, ("LCDB",)),
            name="Library of Congress",
            institution="Library of Congress",
            description="The national library's catalogue, all formats",
            contact="z3950@loc.gov",
            country="United States",
            library_type="National",
            record_syntaxes=("usmarc", "xml", "opac"),
            element_sets=("F", "B"),
            charset="MARC-8",
            bib1_indexes=(4, 7, 1003),
            groups=("national", "music, scores & recordings"),
            implementation_id="34",
            implementation_name="Voyager LMS - Z39.50 Server",
            implementation_version="2007.2.5",
            modified=datetime(2010, 4, 17, 1, 0, 28, tzinfo=UTC),
        ),
        Target(
            Address("z3950.bibsys.no", 2100, ("HIØ", "UBTØ")),
            name="BIBSYS, Høgskolen i Østfold",
            authentication=Authentication("user1", 'secret;with,odd"chars', "grp"),
            country="Norway",
        ),
        Target(
            Address("sru.example.org", 8443, ("sru/catalog",), TargetProtocol.SRU, tls=True),
            name="An SRU service",
            element_sets=("marcxml", "dc"),
            record_syntaxes=("xml",),
        ),
        Target(Address("2001:db8::7", 210, ("Default",)), name="IPv6 literal"),
        Target(
            Address("opac.example.net", 9999, ("bøger og tidsskrifter",)),
            status=TargetStatus.RETIRED,
        ),
    ]
