"""OPAC holdings read from a bibliographic record's holdings and item fields.

* **852** (MARC 21 location): ``$a`` institution (as NUC code), ``$b`` sublocation or
  collection (local location, ``$a`` when there is no ``$b``), ``$c`` shelving location,
  ``$k $h $i $m`` call number (prefix, classification, item part, suffix; ``$j`` when those
  are missing), ``$p`` barcode (item id), ``$t`` copy number, ``$z`` public note.
* **949** (SirsiDynix Unicorn items): ``$m`` library, ``$l`` home location, ``$a`` call
  number, ``$c`` copy, ``$i`` barcode, ``$v`` volume.
* **952** (Koha items): ``$a`` home branch, ``$c`` shelving location, ``$o`` call number,
  ``$t`` copy, ``$p`` barcode, ``$h`` volume, ``$z`` public note; ``$q`` (date due) means on
  loan until then, ``$7`` (not for loan) a restriction.
* **945** (Innovative items): ``$l`` location, ``$a $b`` call number, ``$g`` copy,
  ``$i`` barcode, ``$c`` volume; ``$s`` other than ``-`` means not on the shelf.

Each field is one holding with one circulation record. shelfnet has no circulation system,
so an item is reported available unless its own field says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

from pymarc import Field, Record

from shelfnet.z3950.records import Circulation, Holding


def holdings(record: Record) -> tuple[Holding, ...]:
    """Every holding of a record, in field order."""
    found: list[Holding] = []
    for marc_field in record.fields:
        reader = _READERS.get(marc_field.tag)
        if reader is not None and not marc_field.control_field:
            found.append(reader(marc_field))
    return tuple(found)


def _first(marc_field: Field, code: str) -> str | None:
    values = [v.strip() for v in marc_field.get_subfields(code) if v.strip()]
    return values[0] if values else None


def _joined(marc_field: Field, codes: str) -> str | None:
    parts = [v.strip() for v in marc_field.get_subfields(*codes) if v.strip()]
    return " ".join(parts) or None


def _available(item_id: str | None) -> Circulation:
    return Circulation(available_now=True, renewable=False, on_hold=False, item_id=item_id)


def _from_852(marc_field: Field) -> Holding:
    return Holding(
        nuc_code=_first(marc_field, "a"),
        local_location=_first(marc_field, "b") or _first(marc_field, "a"),
        shelving_location=_first(marc_field, "c"),
        call_number=_joined(marc_field, "khim") or _first(marc_field, "j"),
        copy_number=_first(marc_field, "t"),
        public_note=_first(marc_field, "z"),
        circulation=(_available(_first(marc_field, "p")),),
    )


def _from_949(marc_field: Field) -> Holding:
    volume = _first(marc_field, "v")
    circulation = Circulation(
        available_now=True,
        renewable=False,
        on_hold=False,
        item_id=_first(marc_field, "i"),
        enum_and_chron=volume,
    )
    return Holding(
        local_location=_first(marc_field, "m"),
        shelving_location=_first(marc_field, "l"),
        call_number=_first(marc_field, "a"),
        copy_number=_first(marc_field, "c"),
        enum_and_chron=volume,
        circulation=(circulation,),
    )


def _from_952(marc_field: Field) -> Holding:
    due = _first(marc_field, "q")
    not_for_loan = _first(marc_field, "7")
    circulation = Circulation(
        available_now=due is None,
        renewable=False,
        on_hold=False,
        availability_date=due,
        restrictions="not for loan" if not_for_loan not in (None, "0") else None,
        item_id=_first(marc_field, "p"),
        enum_and_chron=_first(marc_field, "h"),
    )
    return Holding(
        local_location=_first(marc_field, "a"),
        shelving_location=_first(marc_field, "c"),
        call_number=_first(marc_field, "o"),
        copy_number=_first(marc_field, "t"),
        public_note=_first(marc_field, "z"),
        enum_and_chron=_first(marc_field, "h"),
        circulation=(circulation,),
    )


def _from_945(marc_field: Field) -> Holding:
    status = _first(marc_field, "s")
    circulation = Circulation(
        available_now=status in (None, "-"),
        renewable=False,
        on_hold=False,
        item_id=_first(marc_field, "i"),
        enum_and_chron=_first(marc_field, "c"),
    )
    return Holding(
        shelving_location=_first(marc_field, "l"),
        call_number=_joined(marc_field, "ab"),
        copy_number=_first(marc_field, "g"),
        enum_and_chron=_first(marc_field, "c"),
        circulation=(circulation,),
    )


_READERS: dict[str, Callable[[Field], Holding]] = {
    "852": _from_852,
    "949": _from_949,
    "952": _from_952,
    "945": _from_945,
}
