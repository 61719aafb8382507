"""SRU response documents: searchRetrieve, scan, explain and diagnostics, in the namespace of
the version asked (1.1 and 1.2 share SRW's; 2.0 has OASIS's)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from shelfnet.sru.xml import DIAGNOSTICS_1, SRU_1, SRU_2
from shelfnet.z3950.events import ScanEntry

DIAGNOSTIC_PREFIX = "info:srw/diagnostic/1/"
MARCXML_SCHEMA = "info:srw/schema/1/marcxml-v1.1"
ZEEREX = "http://explain.z3950.org/dtd/2.0/"
DIAGNOSTIC_SCHEMA = "info:srw/schema/1/diagnostics-v1.1"

SRU_MESSAGES = {
    1: "General system error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    37: "Unsupported boolean operator",
    40: "Unsupported proximity",
    61: "First record position out of range",
    64: "Record temporarily unavailable",
    66: "Unknown schema for retrieval",
    71: "Unsupported record packing",
    80: "Sort not supported",
}


@dataclass(frozen=True)
class SruDiagnostic:
    code: int
    details: str = ""

    @property
    def message(self) -> str:
        return SRU_MESSAGES.get(self.code, "Unknown diagnostic")


@dataclass(frozen=True)
class ResponseRecord:
    """One record for a response: its XML (bytes) or a surrogate diagnostic."""

    xml: bytes | None
    position: int
    diagnostic: SruDiagnostic | None = None


class Writer:
    """Builds response documents for one SRU version."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.namespace = SRU_2 if version.startswith("2") else SRU_1

    def _element(
        self, parent: etree._Element | None, name: str, text: str | None = None
    ) -> etree._Element:
        tag = f"{{{self.namespace}}}{name}"
        element = (
            etree.Element(tag, nsmap={"zs": self.namespace})
            if parent is None
            else etree.SubElement(parent, tag)
        )
        if text is not None:
            element.text = text
        return element

    @property
    def _packing_name(self) -> str:
        return "recordPacking" if self.namespace == SRU_1 else "recordXMLEscaping"

    def _version(self, root: etree._Element) -> None:
        if self.namespace == SRU_1 or self.version.startswith("2"):
            self._element(root, "version", self.version)

    def search_retrieve(
        self,
        count: int,
        records: Sequence[ResponseRecord],
        next_position: int | None,
        packing: str,
        diagnostics: Sequence[SruDiagnostic] = (),
    ) -> bytes:
        root = self._element(None, "searchRetrieveResponse")
        self._version(root)
        self._element(root, "numberOfRecords", str(count))
        if records:
            container = self._element(root, "records")
            for record in records:
                self._record(container, record, packing)
        if next_position is not None:
            self._element(root, "nextRecordPosition", str(next_position))
        self._diagnostics(root, diagnostics)
        return _document(root)

    def _record(self, parent: etree._Element, record: ResponseRecord, packing: str) -> None:
        element = self._element(parent, "record")
        if record.diagnostic is not None:
            self._element(element, "recordSchema", DIAGNOSTIC_SCHEMA)
            self._element(element, self._packing_name, "xml")
            data = self._element(element, "recordData")
            data.append(_diagnostic_element(record.diagnostic))
        else:
            self._element(element, "recordSchema", MARCXML_SCHEMA)
            self._element(element, self._packing_name, packing)
            data = self._element(element, "recordData")
            assert record.xml is not None
            if packing == "string":
                data.text = record.xml.decode("utf-8")
            else:
                data.append(etree.fromstring(record.xml))
        self._element(element, "recordPosition", str(record.position))

    def scan(
        self, entries: Sequence[ScanEntry], diagnostics: Sequence[SruDiagnostic] = ()
    ) -> bytes:
        root = self._element(None, "scanResponse")
        self._version(root)
        if entries:
            terms = self._element(root, "terms")
            for entry in entries:
                term = self._element(terms, "term")
                self._element(term, "value", entry.term)
                if entry.count is not None:
                    self._element(term, "numberOfRecords", str(entry.count))
                if entry.display_term:
                    self._element(term, "displayTerm", entry.display_term)
        self._diagnostics(root, diagnostics)
        return _document(root)

    def explain(self, zeerex: etree._Element, diagnostics: Sequence[SruDiagnostic] = ()) -> bytes:
        root = self._element(None, "explainResponse")
        self._version(root)
        record = self._element(root, "record")
        self._element(record, "recordSchema", ZEEREX)
        self._element(record, self._packing_name, "xml")
        data = self._element(record, "recordData")
        data.append(zeerex)
        self._diagnostics(root, diagnostics)
        return _document(root)

    def diagnostics_only(self, operation: str, diagnostics: Sequence[SruDiagnostic]) -> bytes:
        name = {"scan": "scanResponse", "explain": "explainResponse"}.get(
            operation, "searchRetrieveResponse"
        )
        root = self._element(None, name)
        self._version(root)
        if name == "searchRetrieveResponse":
            self._element(root, "numberOfRecords", "0")
        self._diagnostics(root, diagnostics)
        return _document(root)

    def _diagnostics(self, root: etree._Element, diagnostics: Sequence[SruDiagnostic]) -> None:
        if diagnostics:
            container = self._element(root, "diagnostics")
            for diagnostic in diagnostics:
                container.append(_diagnostic_element(diagnostic))


def _diagnostic_element(diagnostic: SruDiagnostic) -> etree._Element:
    element = etree.Element(f"{{{DIAGNOSTICS_1}}}diagnostic", nsmap={"diag": DIAGNOSTICS_1})
    etree.SubElement(
        element, f"{{{DIAGNOSTICS_1}}}uri"
    ).text = f"{DIAGNOSTIC_PREFIX}{diagnostic.code}"
    if diagnostic.details:
        etree.SubElement(element, f"{{{DIAGNOSTICS_1}}}details").text = diagnostic.details
    etree.SubElement(element, f"{{{DIAGNOSTICS_1}}}message").text = diagnostic.message
    return element


def zeerex_record(
    host: str, port: int, database: str, title: str, indexes: dict[str, int], default_records: int
) -> etree._Element:
    """A ZeeRex (Z39.92) description of one SRU database."""

    def sub(
        parent: etree._Element, tag: str, text: str | None = None, /, **attributes: str
    ) -> etree._Element:
        element = etree.SubElement(parent, f"{{{ZEEREX}}}{tag}", attributes)
        if text is not None:
            element.text = text
        return element

    root = etree.Element(f"{{{ZEEREX}}}explain", nsmap={None: ZEEREX})
    server = sub(root, "serverInfo", protocol="SRU", version="1.2 2.0")
    sub(server, "host", host)
    sub(server, "port", str(port))
    sub(server, "database", database)
    info = sub(root, "databaseInfo")
    sub(info, "title", title, lang="en", primary="true")
    index_info = sub(root, "indexInfo")
    for prefix, identifier in (
        ("cql", "info:srw/cql-context-set/1/cql-v1.2"),
        ("dc", "info:srw/cql-context-set/1/dc-v1.1"),
        ("bath", "http://zing.z3950.org/cql/bath/2.0/"),
        ("rec", "info:srw/cql-context-set/2/rec-1.1"),
    ):
        sub(index_info, "set", name=prefix, identifier=identifier)
    for name in sorted(indexes):
        index = sub(index_info, "index")
        sub(index, "title", name)
        set_name, _, index_name = name.partition(".")
        mapped = sub(index, "map")
        sub(mapped, "name", index_name, set=set_name)
    schema_info = sub(root, "schemaInfo")
    schema = sub(schema_info, "schema", identifier=MARCXML_SCHEMA, name="marcxml")
    sub(schema, "title", "MARCXML")
    config = sub(root, "configInfo")
    sub(config, "default", str(default_records), type="numberOfRecords")
    return root


def _document(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
