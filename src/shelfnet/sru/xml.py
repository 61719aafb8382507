"""Reading SRU response documents (1.1/1.2 and 2.0 namespaces alike) safely.

Elements are found by local name, so one reader serves every SRU version. The parser never
resolves entities or fetches anything from the network, and refuses huge trees.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from shelfnet.z3950.errors import RemoteProtocolError

SRU_1 = "http://www.loc.gov/zing/srw/"
SRU_2 = "http://docs.oasis-open.org/ns/search-ws/sruResponse"
DIAGNOSTICS_1 = "http://www.loc.gov/zing/srw/diagnostic/"

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False
)


def parse(document: bytes) -> etree._Element:
    """The root element of an SRU response; malformed XML is the target's protocol error."""
    try:
        return etree.fromstring(document, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise RemoteProtocolError(f"SRU response is not well-formed XML: {exc}") from exc


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: etree._Element, name: str) -> Iterator[etree._Element]:
    return (child for child in element if local(child) == name)


def child(element: etree._Element, name: str) -> etree._Element | None:
    return next(children(element, name), None)


def text(element: etree._Element, name: str) -> str | None:
    found = child(element, name)
    return None if found is None else (found.text or "").strip()
