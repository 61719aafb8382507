"""An SRU client in the same ZOOM vocabulary as the Z39.50 client.

    async with Connection.to("http://localhost:2101/Default") as conn:
        rs = await conn.search("dc.title = jazz")
        for record in await rs.records(0, 10):
            print(record.text)

Queries are CQL strings. Records arrive as ``Record`` objects of syntax XML (MARCXML when the
schema is marcxml), exactly as the Z39.50 client's, so callers choose a protocol by target,
not by API. Errors are the same typed errors as the Z39.50 client's.
"""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from lxml import etree

from shelfnet.sru import xml
from shelfnet.z3950 import oids
from shelfnet.z3950.client import ResultSet, ScanSet
from shelfnet.z3950.diagnostics import Diagnostic
from shelfnet.z3950.errors import (
    ConnectError,
    DiagnosticError,
    RemoteProtocolError,
    TargetTimeout,
)
from shelfnet.z3950.events import ScanEntry
from shelfnet.z3950.records import Record

SRU_DIAGNOSTICS = "info:srw/diagnostic/1"
SUPPORTED_VERSIONS = ("1.1", "1.2", "2.0")


class Connection:
    """A client for one SRU base URL (the database is the URL's path)."""

    def __init__(
        self,
        url: str,
        *,
        version: str = "1.2",
        record_schema: str | None = "marcxml",
        timeout: float = 30.0,
        present_chunk: int = 100,
    ) -> None:
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"SRU version {version} is not one of {', '.join(SUPPORTED_VERSIONS)}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.url = url
        self.version = version
        self.record_schema = record_schema
        self.timeout = timeout
        self.present_chunk = max(1, present_chunk)
        self._http: httpx.AsyncClient | None = None

    @classmethod
    def to(cls, url: str, **options: Any) -> Connection:
        return cls(url, **options)

    async def connect(self) -> None:
        self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=True)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def __aenter__(self) -> Connection:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # Operations ----------------------------------------------------------------------------

    async def search(self, query: str, *, prefetch: int = 0) -> ResultSet:
        """searchRetrieve with a CQL query; ``prefetch`` records come with the hit count."""
        root = await self._request("searchRetrieve", self._retrieve_parameters(query, 1, prefetch))
        size = int(xml.text(root, "numberOfRecords") or 0)
        result = ResultSet(self, query, size)
        result._store(1, self._records(root))
        return result

    async def present(self, result_set: str, start: int, count: int) -> list[Record]:
        """Records ``start`` .. (1-based) of the query ``result_set``: SRU is stateless, so the
        query is simply sent again with a start record."""
        root = await self._request(
            "searchRetrieve", self._retrieve_parameters(result_set, start, count)
        )
        return self._records(root)

    async def scan(self, clause: str, *, number: int = 20, position: int = 1) -> ScanSet:
        """scan from a CQL index clause such as ``dc.title = jazz``."""
        parameters = {
            "scanClause": clause,
            "maximumTerms": str(number),
            "responsePosition": str(position),
        }
        root = await self._request("scan", parameters)
        terms = xml.child(root, "terms")
        entries = []
        for term in xml.children(terms, "term") if terms is not None else ():
            count = xml.text(term, "numberOfRecords")
            entries.append(
                ScanEntry(
                    term=xml.text(term, "value") or "",
                    count=int(count) if count and count.isdigit() else None,
                    display_term=xml.text(term, "displayTerm"),
                )
            )
        return ScanSet(tuple(entries), position)

    async def explain(self) -> bytes:
        """The server's explain record (ZeeRex XML) as sent."""
        root = await self._request("explain", {})
        record = xml.child(root, "record")
        data = xml.child(record, "recordData") if record is not None else None
        if data is None or not len(data):
            return b""
        return bytes(etree.tostring(data[0], encoding="utf-8"))

    # Plumbing ------------------------------------------------------------------------------

    def _retrieve_parameters(self, query: str, start: int, count: int) -> dict[str, str]:
        parameters = {"query": query, "startRecord": str(start), "maximumRecords": str(count)}
        if self.record_schema:
            parameters["recordSchema"] = self.record_schema
        packing = "recordXMLEscaping" if self.version == "2.0" else "recordPacking"
        parameters[packing] = "xml"
        return parameters

    async def _request(self, operation: str, parameters: dict[str, str]) -> Any:
        if self._http is None:
            raise ConnectError("not connected")
        query = {"version": self.version, **parameters}
        if operation != "searchRetrieve" or self.version != "2.0":
            query["operation"] = operation  # SRU 2.0 implies searchRetrieve
        try:
            response = await self._http.get(self.url, params=query)
        except httpx.TimeoutException:
            raise TargetTimeout(f"{self.url}: no answer within {self.timeout} s") from None
        except httpx.HTTPError as exc:
            raise ConnectError(f"{self.url}: {exc}") from exc
        if response.status_code >= 400 and "xml" not in response.headers.get("content-type", ""):
            reason = response.reason_phrase or "error"
            raise RemoteProtocolError(f"{self.url}: HTTP {response.status_code} {reason}")
        root = xml.parse(response.content)
        _raise_diagnostics(root)  # SRU servers may send diagnostics with an HTTP error status
        if response.status_code >= 400:
            raise RemoteProtocolError(f"{self.url}: HTTP {response.status_code}")
        return root

    def _records(self, root: Any) -> list[Record]:
        container = xml.child(root, "records")
        if container is None:
            return []
        return [_record(element) for element in xml.children(container, "record")]


def _raise_diagnostics(root: Any) -> None:
    diagnostics = xml.child(root, "diagnostics")
    if diagnostics is None:
        return
    found = [_diagnostic(d) for d in diagnostics if xml.local(d) == "diagnostic"]
    if found:
        raise DiagnosticError(found[0])


def _diagnostic(element: Any) -> Diagnostic:
    uri = xml.text(element, "uri") or ""
    base, _, number = uri.rpartition("/")
    details = xml.text(element, "details") or ""
    message = xml.text(element, "message") or ""
    addinfo = "; ".join(part for part in (details, message) if part)
    code = int(number) if number.isdigit() else 0
    return Diagnostic(code, addinfo, base or uri)


def _record(element: Any) -> Record:
    schema = xml.text(element, "recordSchema") or ""
    data = xml.child(element, "recordData")
    if data is None:
        raise RemoteProtocolError("SRU record without recordData")
    if "diagnostic" in schema and len(data):
        return Record(syntax="", diagnostic=_diagnostic(data[0]))
    if len(data):  # packed as XML: the record alone, without the envelope's namespaces
        document = copy.deepcopy(data[0])
        etree.cleanup_namespaces(document)
        raw = bytes(etree.tostring(document, encoding="utf-8"))
    else:  # packed as a string: the document escaped inside recordData
        raw = (data.text or "").strip().encode("utf-8")
    return Record(syntax=oids.XML, raw=raw)


def is_sru_target(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))
