"""The SRU server (1.1, 1.2, 2.0: explain, searchRetrieve, scan) over the shared Backend.

One HTTP endpoint per database (``http://host:port/Default``), GET or POST, as YAZ and Zebra
serve it. Every failure the protocol can express is answered with an SRU diagnostic; the
server never answers a client's mistake with a stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shelfnet.backend import Backend, BackendError
from shelfnet.httpserver import EmbeddedServer
from shelfnet.query.rpn import Term
from shelfnet.sru.responses import (
    MARCXML_SCHEMA,
    ResponseRecord,
    SruDiagnostic,
    Writer,
    zeerex_record,
)
from shelfnet.z3950 import oids
from shelfnet.z3950.events import SortKey

if TYPE_CHECKING:
    from shelfnet.query.cql import CqlSortKey

log = logging.getLogger("shelfnet.sru.server")

VERSIONS = ("1.1", "1.2", "2.0")
XML_TYPE = "text/xml; charset=utf-8"
MARCXML_NAMES = {"marcxml", MARCXML_SCHEMA, "info:srw/schema/1/marcxml-1.1"}

BIB1_TO_SRU = {
    13: 61,  # present out of range -> first record position out of range
    18: 10,
    108: 10,
    114: 16,
    115: 16,
    116: 16,
    117: 19,
    120: 28,
    121: 16,
    125: 10,
    129: 10,
    238: 66,
    239: 66,
}


@dataclass(frozen=True)
class SruLimits:
    default_records: int = 10
    max_records: int = 1000
    max_terms: int = 1000


class SruError(Exception):
    def __init__(self, code: int, details: str = "") -> None:
        super().__init__(f"SRU diagnostic {code}: {details}")
        self.diagnostic = SruDiagnostic(code, details)


def create_app(
    backend: Backend, *, host: str = "localhost", port: int = 0, limits: SruLimits | None = None
) -> Starlette:
    """The SRU application: ``/`` serves the first database, ``/{database}`` each one."""
    service = _Service(backend, host, port, limits or SruLimits())
    routes = [
        Route("/", service.handle, methods=["GET", "POST"]),
        Route("/{database:path}", service.handle, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes)


class _Service:
    def __init__(self, backend: Backend, host: str, port: int, limits: SruLimits) -> None:
        self.backend = backend
        self.host = host
        self.port = port
        self.limits = limits

    async def handle(self, request: Request) -> Response:
        soap = request.method == "POST" and "xml" in request.headers.get("content-type", "")
        parameters: Mapping[str, str]
        if soap:  # SRW: the request is a SOAP envelope (yaz-client's default for http)
            parameters = await _soap_parameters(request)
        elif request.method == "POST":
            form = await request.form()
            parameters = {k: str(v) for k, v in form.items()}
        else:
            parameters = request.query_params
        databases = self.backend.info().databases
        database = request.path_params.get("database") or databases[0]
        body, status = await self._respond(database, databases, parameters)
        if soap:
            body = _soap_envelope(body)
        return Response(body, status_code=status, media_type=XML_TYPE)

    async def _respond(
        self, database: str, databases: tuple[str, ...], parameters: Mapping[str, str]
    ) -> tuple[bytes, int]:
        version = _version(parameters)
        writer = Writer(version if version in VERSIONS else "1.2")
        operation = _operation(parameters)
        if database not in databases:
            diagnostic = SruDiagnostic(1, f"no database {database}")
            return writer.diagnostics_only(operation, [diagnostic]), 404
        try:
            if "x-soap-error" in parameters:
                raise SruError(10, parameters["x-soap-error"])
            if version not in VERSIONS:
                raise SruError(5, ", ".join(VERSIONS))
            if operation == "searchRetrieve":
                body = await self._search_retrieve(writer, database, parameters)
            elif operation == "scan":
                body = await self._scan(writer, database, parameters)
            elif operation == "explain":
                body = self._explain(writer, database)
            else:
                raise SruError(4, operation)
        except SruError as error:
            body = writer.diagnostics_only(operation, [error.diagnostic])
        except BackendError as error:
            body = writer.diagnostics_only(operation, [_from_bib1(error)])
        except Exception:  # a bug must cost one request, never the server
            log.exception("SRU %s failed", operation)
            body = writer.diagnostics_only(operation, [SruDiagnostic(1, "internal error")])
        return body, 200

    async def _search_retrieve(
        self, writer: Writer, database: str, parameters: Mapping[str, str]
    ) -> bytes:
        from shelfnet.query.cql import CqlError, cql_sort_keys, cql_to_rpn, parse_cql

        text = parameters.get("query")
        if text is None:
            raise SruError(7, "query")
        start = _number(parameters, "startRecord", 1, minimum=1)
        maximum = _number(parameters, "maximumRecords", self.limits.default_records, minimum=0)
        maximum = min(maximum, self.limits.max_records)
        schema = parameters.get("recordSchema")
        if schema is not None and schema not in MARCXML_NAMES:
            raise SruError(66, schema)
        packing = parameters.get("recordPacking") or parameters.get("recordXMLEscaping") or "xml"
        if packing not in ("xml", "string"):
            raise SruError(71, packing)
        try:
            node = parse_cql(text)
            query = cql_to_rpn(node)
            sort_keys = [_sort_key(key) for key in cql_sort_keys(node)]
        except CqlError as error:
            raise SruError(error.sru_code, error.addinfo or error.message) from error
        result = await self.backend.search((database,), query)
        if sort_keys:
            result = await self.backend.sort(result, sort_keys)
        if result.size and start > result.size:
            raise SruError(61, str(start))
        ids = result.ids[start - 1 : start - 1 + maximum]
        fetched = await self.backend.fetch(ids, oids.XML, "F")
        records = [
            ResponseRecord(
                xml=None if item.record.diagnostic else item.record.raw,
                position=start + offset,
                diagnostic=None
                if item.record.diagnostic is None
                else SruDiagnostic(64, str(item.record.diagnostic)),
            )
            for offset, item in enumerate(fetched)
        ]
        after = start + len(records)
        next_position = after if after <= result.size and records else None
        return writer.search_retrieve(result.size, records, next_position, packing)

    async def _scan(self, writer: Writer, database: str, parameters: Mapping[str, str]) -> bytes:
        from shelfnet.query.cql import CqlError, cql_to_rpn, parse_cql

        clause = parameters.get("scanClause")
        if clause is None:
            raise SruError(7, "scanClause")
        number = min(_number(parameters, "maximumTerms", 20, minimum=1), self.limits.max_terms)
        position = _number(parameters, "responsePosition", 1, minimum=0)
        try:
            query = cql_to_rpn(parse_cql(clause))
        except CqlError as error:
            raise SruError(error.sru_code, error.addinfo or error.message) from error
        if not isinstance(query.root, Term):
            raise SruError(10, "a scan clause is one index, relation and term")
        scanned = await self.backend.scan((database,), query.root, number, max(position, 1))
        return writer.scan(scanned.entries)

    def _explain(self, writer: Writer, database: str) -> bytes:
        info = self.backend.info()
        record = zeerex_record(
            self.host, self.port, database, info.name, info.indexes, self.limits.default_records
        )
        return writer.explain(record)


def _sort_key(key: CqlSortKey) -> SortKey:
    """A sortBy index as the Bib-1 use attribute the CQL mapping gives it (with the context
    set the query assigned to its prefix)."""
    from shelfnet.query.cql import Relation, SearchClause, cql_to_rpn

    clause = SearchClause(key.index, Relation("="), "x", key.context_set)
    root = cql_to_rpn(clause).root
    uses = [a.value for a in root.attributes if a.type == 1] if isinstance(root, Term) else []
    if not uses or not isinstance(uses[0], int):
        raise SruError(80, f"cannot sort by {key.index}")
    return SortKey(
        attributes=((1, uses[0]),),
        descending=not key.ascending,
        case_sensitive=bool(key.case_sensitive),
    )


SOAP_ENVELOPE = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_OPERATIONS = {
    "searchRetrieveRequest": "searchRetrieve",
    "scanRequest": "scan",
    "explainRequest": "explain",
}
MAX_SOAP_REQUEST = 1024 * 1024


async def _soap_parameters(request: Request) -> dict[str, str]:
    """The parameters of an SRW (SOAP) request, as if they had come in a URL."""
    from shelfnet.sru import xml

    body = await request.body()
    if len(body) > MAX_SOAP_REQUEST:
        return {"x-soap-error": "request too large"}
    try:
        envelope = xml.parse(body)
    except Exception:
        return {"x-soap-error": "the request is not well-formed XML"}
    soap_body = xml.child(envelope, "Body")
    operation = next(iter(soap_body), None) if soap_body is not None else None
    if operation is None or xml.local(operation) not in SOAP_OPERATIONS:
        return {"x-soap-error": "no SRW request in the SOAP body"}
    parameters = {xml.local(e): (e.text or "").strip() for e in operation if xml.local(e)}
    parameters["operation"] = SOAP_OPERATIONS[xml.local(operation)]
    parameters.setdefault("version", "1.1")
    return parameters


def _soap_envelope(body: bytes) -> bytes:
    from lxml import etree

    envelope = etree.Element(f"{{{SOAP_ENVELOPE}}}Envelope", nsmap={"SOAP-ENV": SOAP_ENVELOPE})
    etree.SubElement(envelope, f"{{{SOAP_ENVELOPE}}}Body").append(etree.fromstring(body))
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def _version(parameters: Mapping[str, str]) -> str:
    if version := parameters.get("version"):
        return version
    # SRU 2.0 dropped the operation parameter; a 1.x client always sends it.
    return "1.2" if "operation" in parameters else "2.0"


def _operation(parameters: Mapping[str, str]) -> str:
    if operation := parameters.get("operation"):
        return operation
    if "query" in parameters:
        return "searchRetrieve"
    return "scan" if "scanClause" in parameters else "explain"


def _number(parameters: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = parameters.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise SruError(6, f"{name}={raw}")
    return int(raw)


def _from_bib1(error: BackendError) -> SruDiagnostic:
    diagnostic = error.diagnostic
    code = BIB1_TO_SRU.get(diagnostic.code, 1)
    return SruDiagnostic(code, diagnostic.addinfo or diagnostic.message)


class SruServer(EmbeddedServer):
    """Runs the SRU application with uvicorn inside the caller's event loop."""

    def __init__(self, backend: Backend, limits: SruLimits | None = None) -> None:
        self.backend = backend
        self.limits = limits or SruLimits()
        super().__init__(None)

    async def start(self, host: str, port: int) -> None:
        # The app names its own base URL in explain records, so it is made with the address.
        self.app = create_app(self.backend, host=host, port=port, limits=self.limits)
        await super().start(host, port)
