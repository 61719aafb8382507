"""MARCXML (MARC 21 slim) read and written with pymarc.

Reading accepts a single ``<record>``, a ``<collection>``, or records one after another
with no root element (as some exports write them), with or without the
``http://www.loc.gov/MARC21/slim`` namespace. Python's expat parser does not fetch
external entities, so untrusted documents cannot make it read files or URLs.

Writing refuses characters XML 1.0 cannot carry. A carriage return is written as is and,
by XML's end-of-line rule, reads back as a line feed.
"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from xml.parsers import expat
from xml.sax import SAXException, SAXParseException

from pymarc import Record, parse_xml_to_array, record_to_xml_node
from pymarc.exceptions import PymarcException

from shelfnet.marc.errors import MarcError

MARCXML_NAMESPACE = "http://www.loc.gov/MARC21/slim"
_XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_DECLARATION = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*\?>")
_JUNK_AFTER_ROOT = expat.errors.codes[expat.errors.XML_ERROR_JUNK_AFTER_DOC_ELEMENT]
# Characters XML 1.0 cannot carry at all, even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse_marcxml(data: bytes) -> list[Record]:
    """Every record in a MARCXML document."""
    try:
        return _parse(data)
    except SAXParseException as exc:
        if getattr(exc.getException(), "code", None) != _JUNK_AFTER_ROOT:
            raise MarcError(f"not well-formed XML: {exc}") from exc
    try:
        return _parse(_wrap_in_collection(data))
    except SAXParseException as exc:
        raise MarcError(f"not well-formed XML, even as records without a root: {exc}") from exc


def _parse(data: bytes) -> list[Record]:
    """pymarc's SAX reader; SAXParseException is left to the caller."""
    try:
        records: list[Record] = parse_xml_to_array(io.BytesIO(data))  # type: ignore[no-untyped-call]
    except SAXParseException:
        raise
    except SAXException as exc:
        raise MarcError(f"not well-formed XML: {exc}") from exc
    except (PymarcException, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise MarcError(f"XML that is not MARCXML: {exc!r}") from exc
    return records


def _wrap_in_collection(data: bytes) -> bytes:
    declaration = _DECLARATION.match(data)
    head = declaration.end() if declaration else 0
    return data[:head] + b"<collection>" + data[head:] + b"</collection>"


def write_marcxml(record: Record) -> bytes:
    """One record as a standalone MARCXML document (UTF-8, namespaced, with schema location)."""
    return _document(_record_node(record, namespace=True))


def write_marcxml_collection(records: Iterable[Record]) -> bytes:
    """Records as a MARCXML ``<collection>`` document."""
    collection = ET.Element("collection", {"xmlns": MARCXML_NAMESPACE})
    collection.extend(_record_node(record, namespace=False) for record in records)
    return _document(collection)


def record_to_marcxml(record: Record) -> bytes:
    """One ``<record>`` element without an XML declaration, for a caller that streams
    records into a ``<collection>`` of its own."""
    node = _record_node(record, namespace=False)
    node.set("xmlns", MARCXML_NAMESPACE)
    return _element_bytes(node)


def _record_node(record: Record, *, namespace: bool) -> ET.Element:
    _check_xml_text(record)
    node: ET.Element = record_to_xml_node(record, quiet=True, namespace=namespace)  # type: ignore[no-untyped-call]
    return node


def _document(node: ET.Element) -> bytes:
    return _XML_DECLARATION + _element_bytes(node)


def _element_bytes(node: ET.Element) -> bytes:
    element: bytes = ET.tostring(node, encoding="utf-8", xml_declaration=False)
    return element


def _check_xml_text(record: Record) -> None:
    for field in record.fields:
        values = [field.data or ""] if field.control_field else [s.value for s in field]
        for value in values:
            if (bad := _NOT_XML.search(value)) is not None:
                raise MarcError(
                    f"field {field.tag} holds U+{ord(bad[0]):04X}, which XML 1.0 cannot carry"
                )
