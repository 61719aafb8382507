"""Build the 100,000-record benchmark catalogue from the shared MARC test files.

Every record of jazz_1k.mrc, lul_fre_500.mrc, FSL.marc, hebrew.marc, nepali.marc and
map_data.mrc is copied round-robin until there are ``count`` records. Each copy gets a unique
001 (``SNB0000001`` ...) and 003 ``SHELFNETBENCH``, so that a catalogue keyed on 001 keeps every
copy, and, from the second copy on, two words from a fixed list appended to 245 $a, chosen by
the record number, so that
the title index grows with the catalogue instead of repeating the same postings. Records are
decoded with ``shelfnet.marc.decode_marc`` (MARC-8 or UTF-8, whatever the record really is) and
all written as UTF-8 with leader/09 'a': one file, indexed in Zebra's UTF-8 group.

    python benchmarks/make_catalogue.py [--count 100000] [--out FILE]

The file is cached under ``benchmarks/.cache/``; it is rebuilt only when missing.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pymarc import Field, Leader, Record, Subfield  # noqa: E402

from shelfnet.marc import decode_marc  # noqa: E402
from tests.peers import SHARED_MARC_DIR, split_iso2709  # noqa: E402

CACHE_DIR = ROOT / "benchmarks" / ".cache"
SOURCES = (
    "jazz_1k.mrc",
    "lul_fre_500.mrc",
    "FSL.marc",
    "hebrew.marc",
    "nepali.marc",
    "map_data.mrc",
)
ORGANISATION = "SHELFNETBENCH"
DEFAULT_COUNT = 100_000

# Fixed words for the title variants: 60 * 60 = 3,600 two-word suffixes.
# fmt: off
WORDS = (
    "amber", "anchor", "arbor", "aspen", "atlas", "autumn", "badger", "beacon", "birch", "bishop",
    "bramble", "breeze", "cedar", "cinder", "clover", "cobalt", "comet", "copper", "coral",
    "crane", "dahlia", "delta", "ember", "falcon", "fennel", "fjord", "garnet", "glacier",
    "granite", "harbor", "hazel", "heron", "indigo", "iris", "ivory", "jasper", "juniper",
    "kestrel", "lagoon", "lantern", "laurel", "linden", "lotus", "maple", "marble", "meadow",
    "nectar", "nimbus", "oak", "onyx", "orchid", "pepper", "pine", "quartz", "raven", "saffron",
    "sierra", "slate", "tundra", "willow",
)
# fmt: on


def source_records(data_dir: Path = SHARED_MARC_DIR) -> list[Record]:
    """Every record of the source files, decoded to Unicode."""
    logging.getLogger("pymarc").setLevel(logging.ERROR)  # nepali.marc has a bad indicator
    records = []
    for name in SOURCES:
        for raw in split_iso2709((data_dir / name).read_bytes()):
            records.append(decode_marc(raw).record)
    return records


def variant(record: Record, number: int, copy: int) -> Record:
    """Copy ``copy`` of ``record`` as catalogue record ``number``: new 001/003, varied title."""
    clone = Record(force_utf8=True)
    leader = str(record.leader)
    clone.leader = Leader(leader[:9] + "a" + leader[10:])  # leader/09 'a': UTF-8
    for field in record.get_fields():
        if field.tag in ("001", "003"):
            continue
        clone.add_ordered_field(_varied(field, number, copy) if field.tag == "245" else field)
    clone.add_ordered_field(Field(tag="001", data=f"SNB{number:07d}"))
    clone.add_ordered_field(Field(tag="003", data=ORGANISATION))
    return clone


def _varied(field: Field, number: int, copy: int) -> Field:
    if copy == 0:  # the first copy of every source record keeps its title
        return field
    suffix = f"{WORDS[number % len(WORDS)]} {WORDS[(number // len(WORDS)) % len(WORDS)]}"
    subfields = list(field.subfields)
    for index, subfield in enumerate(subfields):
        if subfield.code == "a":
            subfields[index] = Subfield("a", f"{subfield.value} {suffix}")
            break
    return Field(tag="245", indicators=field.indicators, subfields=subfields)


def catalogue(count: int, sources: list[Record]) -> Iterator[bytes]:
    """ISO 2709 (UTF-8) bytes of ``count`` records made from ``sources``."""
    for number in range(count):
        record = sources[number % len(sources)]
        yield variant(record, number + 1, number // len(sources)).as_marc()


def cached_catalogue(count: int = DEFAULT_COUNT, out: Path | None = None) -> Path:
    """The catalogue file of ``count`` records, built once and then reused."""
    path = out or CACHE_DIR / f"catalogue_{count}.mrc"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as stream:
        for data in catalogue(count, source_records()):
            stream.write(data)
    partial.replace(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    print(cached_catalogue(args.count, args.out))


if __name__ == "__main__":
    main()
