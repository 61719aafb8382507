"""ZeeRex (ANSI/NISO Z39.92) records, with IRSpy's extensions, read into targets and written
from them.

Read: ``serverInfo`` (protocol, host, port, database, authentication), ``databaseInfo``
(title, description, author as the institution, contact, implementation), ``metaInfo``
(dateModified), ``indexInfo`` (Bib-1 use attributes of searchable indexes),
``recordInfo``/``recordSyntax``/``elementSet``, ``schemaInfo``/``schema`` (SRU record
schemas, kept as element set names, as ZOOM does), and IRSpy's ``irspy:status``: library
type, country, the server's implementation id/name/version as Init reported them, and the
probe history (``irspy:probe ok=... errcode=...``).

Parsing is hardened: no network, no DTD loading, entities never expanded (a record with any
is refused), no huge trees, records over ``MAX_RECORD_BYTES`` refused unread. A record with
markup or control characters anywhere (element text or attribute value) is refused whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree

from shelfnet.directory.checks import (
    MAX_TEXT,
    Rejected,
    Rejection,
    RejectionReason,
    check_host,
    check_target,
    check_text,
    clean_text,
    find_markup,
    has_control,
    parse_address,
    parse_port,
    reject,
    shown,
)
from shelfnet.directory.model import (
    Address,
    Authentication,
    Diagnostic,
    ProbeResult,
    Target,
    TargetProtocol,
    TargetRecord,
    TargetStatus,
    status_from_probes,
)

EXPLAIN_NS = "http://explain.z3950.org/dtd/2.0/"
IRSPY_NS = "http://indexdata.com/irspy/1.0"
SHELFNET_NS = "https://shelfnet.org/ns/directory/1"
MAX_RECORD_BYTES = 4 * 1024 * 1024
PROBES_KEPT = 20
"""Imported probe history per target: the latest ones (IRSpy kept hundreds)."""

_Z3950_NAMES = {"z39.50", "z3950", "tcp", "ssl"}
_SRU_NAMES = {"sru", "srw", "srw/u", "sru/srw", "srw/sru", "http", "https", "sru/get", "u"}
_BIB1_NAMES = {"bib-1", "bib1", "1.2.840.10003.3.1"}
# ZOOM's own error codes for failures before any answer came: connect failed, timeout.
_UNREACHABLE = {10000, 10007}
_MAX_CODE = 2**31 - 1
# Fields holding text only: an element inside one is markup (HTML pasted in, or spam).
_TEXT_FIELDS = tuple(
    f"{{*}}{tag}"
    for tag in (
        "host", "port", "database", "title", "description", "author", "contact", "user",
        "password", "group", "dateModified", "libraryType", "country", "probe",
    )
)  # fmt: skip
_SCRIPTING = tuple(f"{{*}}{tag}" for tag in ("script", "iframe", "object", "embed", "style"))


def _parser() -> etree.XMLParser:
    # A parser per document: lxml parsers keep state and are not shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_zeerex(data: bytes, where: str) -> list[TargetRecord | Rejection]:
    """Every ZeeRex record in a document (one ``explain``, or several inside any wrapper
    such as an SRU explainResponse), each a target or a rejection. Never raises."""
    if len(data) > MAX_RECORD_BYTES:
        return [Rejection(RejectionReason.TOO_LARGE, f"{len(data):,} bytes", where)]
    try:
        root = etree.fromstring(data, _parser())
    except (etree.LxmlError, ValueError) as exc:
        message = str(exc) or type(exc).__name__
        return [Rejection(RejectionReason.NOT_XML, shown(message), where)]
    if root is None:
        return [Rejection(RejectionReason.NOT_XML, "no root element", where)]
    explains = _explains(root)
    if not explains:
        return [Rejection(RejectionReason.NOT_ZEEREX, f"root element {_name(root)}", where)]
    read: list[TargetRecord | Rejection] = []
    for number, explain in enumerate(explains, start=1):
        place = where if len(explains) == 1 else f"{where} #{number}"
        try:
            read.append(parse_explain(explain, place))
        except Rejected as rejected:
            read.append(rejected.at(place))
    return read


def _explains(root: etree._Element) -> list[etree._Element]:
    tags = (f"{{{EXPLAIN_NS}}}explain", "explain")
    if root.tag in tags:
        return [root]
    return [
        element
        for element in root.iter(*tags)
        if not any(ancestor.tag in tags for ancestor in element.iterancestors())
    ]


def _name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else repr(tag)


def parse_explain(explain: etree._Element, where: str = "") -> TargetRecord:
    """One ZeeRex ``explain`` element as a target with its probe history; raises
    ``Rejected`` saying why not."""
    _check_all_text(explain)
    server = explain.find("{*}serverInfo")
    if server is None:
        reject(RejectionReason.MISSING_HOST, "no serverInfo")
    address = _address(server)
    database_info = explain.find("{*}databaseInfo")
    status = explain.find(f"{{{IRSPY_NS}}}status")
    probes = _probes(status)
    implementation = _implementation(database_info, status)
    extension = _shelfnet_extension(explain)
    target = Target(
        address,
        name=_title(database_info, "title"),
        institution=_first_text(database_info, "author"),
        description=_title(database_info, "description"),
        contact=_first_text(database_info, "contact"),
        country=_first_text(status, "country"),
        library_type=_first_text(status, "libraryType"),
        record_syntaxes=_attribute_values(explain, "{*}recordInfo/{*}recordSyntax", "name"),
        element_sets=(
            *_attribute_values(explain, "{*}recordInfo/{*}recordSyntax/{*}elementSet", "name"),
            *_attribute_values(explain, "{*}schemaInfo/{*}schema", "name"),
        ),
        charset=extension.charset,
        authentication=_authentication(server),
        bib1_indexes=tuple(_bib1_indexes(explain)),
        groups=extension.groups,
        status=extension.status or status_from_probes(probes),
        implementation_id=implementation[0],
        implementation_name=implementation[1],
        implementation_version=implementation[2],
        modified=_time(explain.findtext("{*}metaInfo/{*}dateModified")),
    )
    return TargetRecord(check_target(target, allow_loopback=False), tuple(probes), where)


def _check_all_text(explain: etree._Element) -> None:
    """Every element text and attribute value, checked at once; one by one only to name
    the field when something is wrong."""
    for entity in explain.iter(etree.Entity):
        reject(RejectionReason.UNSAFE_XML, f"entity reference {shown(str(entity))}")
    for element in explain.iter(*_SCRIPTING):
        reject(RejectionReason.MARKUP, f"a {_name(element)} element")
    for field in explain.iter(*_TEXT_FIELDS):
        for child in field.iterchildren("*"):
            reject(RejectionReason.MARKUP, f"{_name(field)} holds an element <{_name(child)}>")
    everything = "descendant-or-self::*/@* | descendant-or-self::*/text()"
    strings = explain.xpath(everything, smart_strings=False)
    joined = "\n".join(strings)
    if (
        find_markup(joined) is None
        and not has_control(joined)
        and max(map(len, strings), default=0) <= MAX_TEXT
    ):
        return
    for text in explain.xpath(everything):
        parent = text.getparent()
        field = _name(parent) if parent is not None else "?"
        if text.is_attribute:
            field += f"@{etree.QName(text.attrname).localname}"
        check_text(field, str(text))


def _address(server: etree._Element) -> Address:
    host = clean_text(server.findtext("{*}host"))
    if not host:
        reject(RejectionReason.MISSING_HOST, "serverInfo/host is empty")
    databases = tuple(clean_text(db.text) for db in server.findall("{*}database"))
    if "://" in host:  # an SRU base URL where the host should be
        url = parse_address(host)
        if url.protocol is not TargetProtocol.SRU:
            reject(RejectionReason.BAD_HOST, f"host {shown(host)} is a URL")
        check_host(url.host, allow_loopback=False)
        return Address(url.host, url.port, url.databases or databases, url.protocol, url.tls)
    check_host(host, allow_loopback=False)
    port = parse_port(server.findtext("{*}port") or "")
    protocol, tls = _protocol(server.get("protocol"), server.get("transport"))
    if protocol is TargetProtocol.Z3950 and not any(databases):
        reject(RejectionReason.BAD_DATABASE, "no database")
    return Address(host, port, databases, protocol, tls)


def _protocol(value: str | None, transport: str | None) -> tuple[TargetProtocol, bool]:
    """ZeeRex's protocol attribute as written in the wild: Z39.50, tcp (ZOOM's prefix), SRU,
    SRW/U, 'SRW/SRU/Z39.50' (YAZ servers answer both on one port: Z39.50 is chosen)."""
    text = (value or "Z39.50").strip().lower()
    names = set(text.replace(",", "/").split("/")) if "/" in text else {text}
    transport_text = (transport or "").strip().lower()
    tls = text == "ssl" or transport_text in ("ssl", "tls", "https")
    if names & _Z3950_NAMES and names <= _Z3950_NAMES | _SRU_NAMES:
        return TargetProtocol.Z3950, tls
    if names <= _SRU_NAMES:
        return TargetProtocol.SRU, tls
    reject(RejectionReason.UNKNOWN_PROTOCOL, f"serverInfo protocol={shown(value or '')}")


def _authentication(server: etree._Element) -> Authentication:
    auth = server.find("{*}authentication")
    if auth is None:
        return Authentication()
    return Authentication(
        clean_text(auth.findtext("{*}user")),
        clean_text(auth.findtext("{*}password")),
        clean_text(auth.findtext("{*}group")),
    )


def _title(parent: etree._Element | None, tag: str) -> str:
    """The primary one of repeated elements (title, description), else the first."""
    if parent is None:
        return ""
    candidates = parent.findall(f"{{*}}{tag}")
    primary = [element for element in candidates if element.get("primary") == "true"]
    for element in primary + candidates:
        text = clean_text(element.text)
        if text:
            return text
    return ""


def _first_text(parent: etree._Element | None, tag: str) -> str:
    if parent is None:
        return ""
    for element in parent.findall(f"{{*}}{tag}"):
        text = clean_text(element.text)
        if text:
            return text
    return ""


def _attribute_values(explain: etree._Element, path: str, attribute: str) -> tuple[str, ...]:
    values = (clean_text(element.get(attribute)) for element in explain.iterfind(path))
    return tuple(value for value in values if value)


def _bib1_indexes(explain: etree._Element) -> Iterable[int]:
    """Bib-1 use attributes of the indexes marked searchable."""
    for index in explain.iterfind("{*}indexInfo/{*}index"):
        if (index.get("search") or "true").strip().lower() == "false":
            continue
        for attr in index.iterfind("{*}map/{*}attr"):
            attribute_set = attr.get("set") or attr.get("attributeSet") or "bib-1"
            use = clean_text(attr.text)
            if (
                attr.get("type") == "1"
                and attribute_set.strip().lower() in _BIB1_NAMES
                and use.isascii()
                and use.isdigit()
                and 0 < int(use) <= _MAX_CODE
            ):
                yield int(use)


def _implementation(
    database_info: etree._Element | None, status: etree._Element | None
) -> tuple[str, str, str]:
    """What Init said (IRSpy's serverImplementation*), else databaseInfo/implementation."""
    said = [
        clean_text(status.find(f"{{*}}serverImplementation{part}").get("value"))
        if status is not None and status.find(f"{{*}}serverImplementation{part}") is not None
        else ""
        for part in ("Id", "Name", "Version")
    ]
    if any(said):
        return said[0], said[1], said[2]
    element = None if database_info is None else database_info.find("{*}implementation")
    if element is None:
        return "", "", ""
    return (
        clean_text(element.get("identifier")),
        _title(element, "title"),
        clean_text(element.get("version")),
    )


def _probes(status: etree._Element | None) -> list[ProbeResult]:
    """The latest ``PROBES_KEPT`` probes, oldest first."""
    if status is None:
        return []
    timed = []
    for element in status.iterfind(f"{{{IRSPY_NS}}}probe"):
        when = _time(element.text)
        if when is not None:
            timed.append((when, element))
    timed.sort(key=lambda pair: pair[0])
    return [_probe(element, when) for when, element in timed[-PROBES_KEPT:]]


def _probe(element: etree._Element, when: datetime) -> ProbeResult:
    """An IRSpy probe: ok="1" means Init succeeded; otherwise ZOOM's or the server's
    diagnostic says how far it got."""
    if element.get("ok") == "1":
        return ProbeResult(when, reachable=True, init_ok=True, source="irspy")
    code_text = clean_text(element.get("errcode"))
    code = int(code_text) if code_text.isascii() and code_text.isdigit() else None
    if code is not None and code > _MAX_CODE:
        code = None
    message = clean_text(element.get("errmsg"))
    diagnostic_set = clean_text(element.get("diagset")) or "ZOOM"
    diagnostic = None
    if code is not None or message:
        diagnostic = Diagnostic(diagnostic_set, code, message, clean_text(element.get("addinfo")))
    unreachable = diagnostic is None or (diagnostic_set == "ZOOM" and code in _UNREACHABLE)
    return ProbeResult(
        when,
        reachable=not unreachable,
        init_ok=None if unreachable else False,
        diagnostic=diagnostic,
        source="irspy",
    )


def _time(text: str | None) -> datetime | None:
    """An ISO 8601 time (UTC when it has no zone), or None when there is none or it is not
    one."""
    text = (text or "").strip().replace("Z", "+00:00")
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@dataclass(frozen=True)
class _Extension:
    """What only shelfnet writes (``shelfnet:target``): status, character set, groups."""

    status: TargetStatus | None = None
    charset: str = ""
    groups: tuple[str, ...] = ()


def _shelfnet_extension(explain: etree._Element) -> _Extension:
    extension = explain.find(f"{{{SHELFNET_NS}}}target")
    if extension is None:
        return _Extension()
    status_text = clean_text(extension.findtext(f"{{{SHELFNET_NS}}}status")).lower()
    try:
        status = TargetStatus(status_text) if status_text else None
    except ValueError:
        reject(RejectionReason.BAD_VALUE, f"shelfnet:status {shown(status_text)}")
    groups = (clean_text(group.text) for group in extension.iterfind(f"{{{SHELFNET_NS}}}group"))
    return _Extension(
        status,
        clean_text(extension.findtext(f"{{{SHELFNET_NS}}}charset")),
        tuple(group for group in groups if group),
    )


# Writing


def write_zeerex(target: Target, probes: Sequence[ProbeResult] = ()) -> bytes:
    """One ZeeRex record for a target; what ZeeRex has no element for (groups, status,
    character set) goes in a ``shelfnet:target`` extension, and probe history in IRSpy's
    ``irspy:status`` so IRSpy's readers understand it."""
    z = f"{{{EXPLAIN_NS}}}"
    explain = etree.Element(
        f"{z}explain", nsmap={None: EXPLAIN_NS, "irspy": IRSPY_NS, "shelfnet": SHELFNET_NS}
    )
    _server_info(etree.SubElement(explain, f"{z}serverInfo"), target)
    _database_info(etree.SubElement(explain, f"{z}databaseInfo"), target)
    if target.modified:
        meta = etree.SubElement(explain, f"{z}metaInfo")
        etree.SubElement(meta, f"{z}dateModified").text = _iso(target.modified)
    index_info = etree.SubElement(explain, f"{z}indexInfo")
    for use in target.bib1_indexes:
        index = etree.SubElement(index_info, f"{z}index", search="true")
        mapped = etree.SubElement(index, f"{z}map")
        etree.SubElement(mapped, f"{z}attr", type="1", set="bib-1").text = str(use)
    _record_info(explain, target)
    _irspy_status(etree.SubElement(explain, f"{{{IRSPY_NS}}}status"), target, probes)
    _extension(etree.SubElement(explain, f"{{{SHELFNET_NS}}}target"), target)
    return bytes(etree.tostring(explain, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _server_info(server: etree._Element, target: Target) -> None:
    z = f"{{{EXPLAIN_NS}}}"
    address = target.address
    server.set("protocol", "SRU" if address.protocol is TargetProtocol.SRU else "Z39.50")
    if address.tls:
        server.set("transport", "https" if address.protocol is TargetProtocol.SRU else "ssl")
    etree.SubElement(server, f"{z}host").text = address.host
    etree.SubElement(server, f"{z}port").text = str(address.port)
    for database in address.databases:
        etree.SubElement(server, f"{z}database").text = database
    auth = target.authentication
    if auth:
        element = etree.SubElement(server, f"{z}authentication")
        for tag, value in (("user", auth.user), ("group", auth.group), ("password", auth.password)):
            if value:
                etree.SubElement(element, f"{z}{tag}").text = value


def _database_info(info: etree._Element, target: Target) -> None:
    z = f"{{{EXPLAIN_NS}}}"
    for tag, value in (
        ("title", target.name),
        ("description", target.description),
        ("author", target.institution),
        ("contact", target.contact),
    ):
        if value:
            element = etree.SubElement(info, f"{z}{tag}")
            element.text = value
            if tag in ("title", "description"):
                element.set("primary", "true")


def _record_info(explain: etree._Element, target: Target) -> None:
    z = f"{{{EXPLAIN_NS}}}"
    if target.address.protocol is TargetProtocol.SRU:
        schemas = etree.SubElement(explain, f"{z}schemaInfo")
        for name in target.element_sets:
            etree.SubElement(schemas, f"{z}schema", name=name)
        names: Sequence[str] = ()
    else:
        names = target.element_sets
    record_info = etree.SubElement(explain, f"{z}recordInfo")
    for syntax in target.record_syntaxes:
        element = etree.SubElement(record_info, f"{z}recordSyntax", name=syntax)
        for name in names:
            etree.SubElement(element, f"{z}elementSet", name=name)


def _irspy_status(status: etree._Element, target: Target, probes: Sequence[ProbeResult]) -> None:
    i = f"{{{IRSPY_NS}}}"
    for tag, value in (("libraryType", target.library_type), ("country", target.country)):
        if value:
            etree.SubElement(status, f"{i}{tag}").text = value
    for part, value in (
        ("Id", target.implementation_id),
        ("Name", target.implementation_name),
        ("Version", target.implementation_version),
    ):
        if value:
            etree.SubElement(status, f"{i}serverImplementation{part}", value=value)
    for probe in sorted(probes, key=lambda probe: probe.when):
        element = etree.SubElement(status, f"{i}probe", ok="1" if probe.ok else "0")
        element.text = _iso(probe.when)
        if probe.diagnostic:
            diagnostic = probe.diagnostic
            element.set("errmsg", diagnostic.message)
            element.set("diagset", diagnostic.set)
            element.set("errcode", "" if diagnostic.code is None else str(diagnostic.code))
            element.set("addinfo", diagnostic.addinfo)


def _extension(extension: etree._Element, target: Target) -> None:
    s = f"{{{SHELFNET_NS}}}"
    etree.SubElement(extension, f"{s}status").text = target.status.value
    if target.charset:
        etree.SubElement(extension, f"{s}charset").text = target.charset
    for group in target.groups:
        etree.SubElement(extension, f"{s}group").text = group


def _iso(when: datetime) -> str:
    """UTC without a zone, as IRSpy writes times."""
    return when.astimezone(UTC).replace(tzinfo=None).isoformat()
