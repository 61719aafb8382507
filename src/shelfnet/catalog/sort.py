"""Sort: result sets ordered by title, author, date of publication or local number.

A sort key names its index by Bib-1 use attribute (``1=4`` title, ``1=1003`` author,
``1=31`` date, ``1=12`` local number) or by sort field name (``title``, ``author``,
``date-of-publication``, ``local-number``, or ``1=4`` written out). Keys apply in order,
each ascending or descending, case-insensitive unless asked otherwise. Records without a
value for a key go after those with one, in either direction; ties keep their order.
"""

from __future__ import annotations

from collections.abc import Sequence

from shelfnet.backend import BackendError
from shelfnet.catalog.indexing import Use, index_names
from shelfnet.catalog.store import CatalogStore
from shelfnet.z3950 import oids
from shelfnet.z3950.events import SortKey

SORTABLE = frozenset(
    {int(Use.TITLE), int(Use.AUTHOR), int(Use.DATE_OF_PUBLICATION), int(Use.LOCAL_NUMBER)}
)
MAX_KEYS = 8
_NAMES = index_names()


def sort_ids(store: CatalogStore, ids: Sequence[int], keys: Sequence[SortKey]) -> list[int]:
    """``ids`` reordered by ``keys``; Bib-1 207 for a key the catalogue cannot sort by."""
    if len(keys) > MAX_KEYS:
        raise BackendError(211, f"at most {MAX_KEYS} keys")
    uses = [_use(key) for key in keys]
    ordered = list(ids)
    # Stable sorts applied from the last key to the first give the multi-key order.
    for key, use in reversed(list(zip(keys, uses, strict=True))):
        ordered = _sorted_by(ordered, store.sort_values(ordered, use), key)
    return ordered


def _use(key: SortKey) -> int:
    if key.field is not None:
        return _named(key.field)
    if key.attribute_set != oids.BIB1:
        raise BackendError(121, key.attribute_set)
    uses = [value for attribute_type, value in key.attributes if attribute_type == 1]
    if not uses:
        raise BackendError(207, "no use attribute in the sort key")
    return _sortable(uses[-1], str(uses[-1]))


def _named(name: str) -> int:
    text = name.strip().lower()
    if text.startswith("1=") and text[2:].isdigit():
        return _sortable(int(text[2:]), name)
    if text in _NAMES:
        return _sortable(_NAMES[text], name)
    raise BackendError(207, name)


def _sortable(use: int, shown: str) -> int:
    if use not in SORTABLE:
        raise BackendError(207, shown)
    return use


def _sorted_by(ids: list[int], values: dict[int, str], key: SortKey) -> list[int]:
    def value(record_id: int) -> str:
        text = values[record_id]
        return text if key.case_sensitive else text.casefold()

    present = sorted((i for i in ids if i in values), key=value, reverse=key.descending)
    missing = [i for i in ids if i not in values]
    return present + missing
