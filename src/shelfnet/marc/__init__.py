"""MARC records: ISO 2709 decoding (MARC-8 and UTF-8), mnemonic text, MARC-in-JSON, MARCXML.

Records are ``pymarc.Record`` objects throughout; this package adds what a library
network needs around them: character-set detection that does not trust leader/09 blindly,
record streams that survive a damaged record, and the text formats cataloguers use.
"""

from shelfnet.marc.decode import Charset, DecodedMarc, charset_name, decode_marc, iter_marc
from shelfnet.marc.errors import MarcError
from shelfnet.marc.iso2709 import RawRecord, split_records
from shelfnet.marc.marcjson import marc_json_dict, parse_marc_json, write_marc_json
from shelfnet.marc.text import from_mnemonic, to_mnemonic
from shelfnet.marc.xml import (
    MARCXML_NAMESPACE,
    parse_marcxml,
    record_to_marcxml,
    write_marcxml,
    write_marcxml_collection,
)

__all__ = [
    "MARCXML_NAMESPACE",
    "Charset",
    "DecodedMarc",
    "MarcError",
    "RawRecord",
    "charset_name",
    "decode_marc",
    "from_mnemonic",
    "iter_marc",
    "marc_json_dict",
    "parse_marc_json",
    "parse_marcxml",
    "record_to_marcxml",
    "split_records",
    "to_mnemonic",
    "write_marc_json",
    "write_marcxml",
    "write_marcxml_collection",
]
