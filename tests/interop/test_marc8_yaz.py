"""MARC-8 decoding checked against YAZ: ``yaz-marcdump -f MARC-8 -t UTF-8 -o line``.

Each record is printed in yaz-marcdump's line format (leader; ``001 data``; ``245 10 $a
Title $c Resp.``) from shelfnet's decoding and compared line by line, i.e. field by
field, with what yaz-marcdump prints.

What YAZ does, found by running it:

* MARC-8 text comes out decomposed: every line it prints for jazz_1k.mrc and hebrew.marc
  is already in NFD (combining marks after their base letter). pymarc's converter, and
  so shelfnet, returns NFC. The comparison therefore puts shelfnet's lines in NFD; the
  two texts are canonically equivalent and, so normalised, identical byte for byte.
* The leader is printed as found (leader/09 stays blank in ``-o line`` output).
* A DEL byte (0x7F) inside MARC-8 text is dropped; shelfnet drops it too (with a warning).
* FSL.marc is UTF-8 behind a blank (MARC-8) leader/09 in all 52 records. ``-f MARC-8``
  makes YAZ believe the leader and read the UTF-8 bytes as ANSEL: mojibake. shelfnet sees
  the lie and decodes UTF-8, which matches ``yaz-marcdump -f UTF-8`` exactly.
* Told ``-f MARC-8``, YAZ still honours a leader/09 of ``a`` (nepali.marc passes through
  untouched), so it only needs help when the leader is blank but wrong.
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from shelfnet.marc import DecodedMarc, iter_marc
from tests.peers import SHARED_MARC_DIR

YAZ_MARCDUMP = shutil.which("yaz-marcdump")

pytestmark = [
    pytest.mark.interop,
    pytest.mark.skipif(YAZ_MARCDUMP is None, reason="install Debian package yaz (make peers)"),
]


def marc_file(name: str) -> Path:
    path = SHARED_MARC_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is missing: the shared MARC test data belongs in ../shared")
    return path


def yaz_records(path: Path, from_charset: str) -> list[list[str]]:
    """yaz-marcdump's line output, one list of lines per record."""
    assert YAZ_MARCDUMP is not None
    command = [YAZ_MARCDUMP, "-f", from_charset, "-t", "UTF-8", "-o", "line", str(path)]
    output = subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")
    return [block.split("\n") for block in output.rstrip("\n").split("\n\n")]


def shelfnet_records(path: Path) -> list[DecodedMarc]:
    items = list(iter_marc(path.read_bytes()))
    assert all(isinstance(item, DecodedMarc) for item in items), "every record should decode"
    return [item for item in items if isinstance(item, DecodedMarc)]


def yaz_lines(decoded: DecodedMarc) -> list[str]:
    """The record as yaz-marcdump -o line prints it."""
    lines = [decoded.raw[:24].decode("ascii")]
    for field in decoded.record.fields:
        if field.control_field:
            lines.append(f"{field.tag} {field.data}")
        else:
            subfields = "".join(f" ${s.code} {s.value}" for s in field.subfields)
            lines.append(f"{field.tag} {field.indicator1}{field.indicator2}{subfields}")
    return lines


def nfd(lines: list[str]) -> list[str]:
    return [unicodedata.normalize("NFD", line) for line in lines]


def mismatches(ours: list[list[str]], theirs: list[list[str]]) -> list[str]:
    """Every differing field, as 'record N: ours != yaz'."""
    found = []
    for number, (mine, yaz) in enumerate(zip(ours, theirs, strict=True), start=1):
        if len(mine) != len(yaz):
            found.append(f"record {number}: {len(mine)} lines, yaz printed {len(yaz)}")
        found += [
            f"record {number}: {a!r} != yaz {b!r}"
            for a, b in zip(mine, yaz, strict=False)
            if a != b
        ]
    return found


@pytest.mark.parametrize(("name", "count"), [("jazz_1k.mrc", 1000), ("hebrew.marc", 20)])
def test_marc8_records_decode_to_the_text_yaz_prints(name: str, count: int) -> None:
    path = marc_file(name)
    decoded = shelfnet_records(path)
    assert len(decoded) == count
    assert {d.encoding for d in decoded} == {"marc-8"}
    theirs = yaz_records(path, "MARC-8")
    problems = mismatches([nfd(yaz_lines(d)) for d in decoded], theirs)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("name", ["jazz_1k.mrc", "hebrew.marc"])
def test_yaz_prints_marc8_text_decomposed(name: str) -> None:
    for lines in yaz_records(marc_file(name), "MARC-8"):
        assert nfd(lines) == lines


def test_fsl_is_utf8_behind_a_marc8_leader_and_decodes_as_yaz_reads_it_as_utf8() -> None:
    path = marc_file("FSL.marc")
    decoded = shelfnet_records(path)
    assert len(decoded) == 52
    assert all(d.raw[9:10] == b" " and d.encoding == "utf-8" for d in decoded)
    assert all(any("leader/09 says MARC-8" in w for w in d.warnings) for d in decoded)
    problems = mismatches([yaz_lines(d) for d in decoded], yaz_records(path, "UTF-8"))
    assert not problems, "\n".join(problems[:10])


def test_yaz_told_marc8_garbles_fsl_where_shelfnet_does_not() -> None:
    path = marc_file("FSL.marc")
    decoded = shelfnet_records(path)
    garbled = yaz_records(path, "MARC-8")
    for record, yaz in zip(decoded, garbled, strict=True):
        ours = yaz_lines(record)
        assert ours[0] == yaz[0]  # the leader, printed as found
        assert ours != yaz
    assert decoded[0].record["100"]["a"] == "Вершигора, Петр Петрович"
    assert "Вершигора" not in "\n".join(garbled[0])


def test_yaz_told_marc8_keeps_records_whose_leader_says_unicode() -> None:
    path = marc_file("nepali.marc")
    decoded = shelfnet_records(path)
    assert {d.encoding for d in decoded} == {"utf-8"}
    problems = mismatches([yaz_lines(d) for d in decoded], yaz_records(path, "MARC-8"))
    assert not problems, "\n".join(problems[:10])
