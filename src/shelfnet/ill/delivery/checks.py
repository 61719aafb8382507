"""Acceptance rules: is this file really a PDF or a TIFF, and only that?

Judged by structure, never by name: the signature in the first bytes, the end of the file, a
full parse (pypdf for PDF: open and count pages; Pillow for TIFF: every frame decoded), and a
scan for ZIP records that would make the file a second, hidden format (a polyglot). Every
check reads the file from disk in bounded pieces; ``check_document`` never raises for a bad
file, it returns ``Rejected`` with the refusal code and a sentence.

These are blocking calls (parsing a big PDF takes a while): the server runs them in a thread.
Pillow and pypdf may warn or log about damage they could repair; the verdict is what counts.
"""

from __future__ import annotations

import logging
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageSequence
from pypdf import PdfReader

from shelfnet.ill.delivery.protocol import PDF, TIFF, RefusalCode

log = logging.getLogger("shelfnet.ill.delivery.checks")

PDF_SIGNATURE = b"%PDF-"
PDF_SIGNATURE_WINDOW = 1024
"""%PDF- may follow up to this many bytes of prefix (as PDF readers allow)."""
PDF_EOF_WINDOW = 1024
"""%%EOF must appear in this many bytes at the end."""
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*")
SCAN_CHUNK = 1024 * 1024

ZIP_LOCAL = b"PK\x03\x04"
ZIP_CENTRAL = b"PK\x01\x02"
ZIP_METHODS = frozenset({0, 1, 6, 8, 9, 12, 14, 19, 93, 95, 98, 99})
"""Compression methods of the ZIP specification in actual use: a signature followed by one of
these, a plausible version and a plausible name length is a ZIP record, not chance."""

OTHER_FORMATS = (
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or Office document)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"II+\x00", "a BigTIFF (not accepted)"),
    (b"MM\x00+", "a BigTIFF (not accepted)"),
)


@dataclass(frozen=True)
class CheckOptions:
    strict_pdf: bool = False  # pypdf strict mode: refuse PDFs with repairable faults
    max_pixels: int = 100_000_000  # per TIFF frame, checked before the frame is decoded
    max_frames: int = 10_000


@dataclass(frozen=True)
class Accepted:
    media_type: str
    pages: int


@dataclass(frozen=True)
class Rejected:
    code: RefusalCode
    reason: str


Verdict = Accepted | Rejected


def sniff(head: bytes) -> str | None:
    """The media type the first bytes announce, or None."""
    if head[:4] in TIFF_SIGNATURES:
        return TIFF
    if PDF_SIGNATURE in head[:PDF_SIGNATURE_WINDOW]:
        return PDF
    return None


def describe(head: bytes) -> str:
    """A few words on what a refused file seems to be."""
    for signature, name in OTHER_FORMATS:
        if head.startswith(signature):
            return name
    text = head[:512].lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<head", b"<body")) or b"<html" in text:
        return "an HTML page"
    if text.startswith(b"<?xml"):
        return "an XML document"
    return "of an unknown type"


def check_document(
    path: Path,
    media_type: str,
    options: CheckOptions | None = None,
    scanned: ZipScan | None = None,
) -> Verdict:
    """Accept the file at ``path`` as ``media_type`` (PDF or TIFF), or say why not.
    ``scanned``: its bytes were fed to a `ZipScan` as they were written."""
    options = options or CheckOptions()
    try:
        return _check(path, media_type, options, scanned)
    except Exception as exc:  # a parser bug must refuse the file, never crash the server
        log.exception("checking %s failed", path)
        return Rejected(RefusalCode.DAMAGED, f"the file could not be checked: {exc}")


def _check(path: Path, media_type: str, options: CheckOptions, scanned: ZipScan | None) -> Verdict:
    with path.open("rb") as file:
        head = file.read(PDF_SIGNATURE_WINDOW + len(PDF_SIGNATURE))
    found = sniff(head)
    if found is None:
        return Rejected(RefusalCode.NOT_PDF_OR_TIFF, f"the file is {describe(head)}")
    if found != media_type:
        return Rejected(
            RefusalCode.MEDIA_TYPE_MISMATCH, f"declared {media_type} but the file is {found}"
        )
    evidence = zip_evidence(path, scanned)
    if evidence is not None:
        return Rejected(RefusalCode.POLYGLOT, f"the file is also a ZIP archive: {evidence}")
    if found == PDF:
        return check_pdf(path, options)
    return check_tiff(path, options)


def check_pdf(path: Path, options: CheckOptions) -> Verdict:
    size = path.stat().st_size
    with path.open("rb") as file:
        file.seek(max(0, size - PDF_EOF_WINDOW))
        tail = file.read()
    if b"%%EOF" not in tail:
        return Rejected(RefusalCode.TRUNCATED, "the PDF has no %%EOF at its end")
    try:
        with path.open("rb") as file:
            reader = PdfReader(file, strict=options.strict_pdf)
            if reader.is_encrypted and not reader.decrypt(""):
                return Rejected(RefusalCode.DAMAGED, "the PDF is password-protected")
            pages = len(reader.pages)
    except Exception as exc:  # pypdf raises many kinds for broken files
        return Rejected(RefusalCode.DAMAGED, f"the PDF does not parse: {exc}")
    if pages == 0:
        return Rejected(RefusalCode.DAMAGED, "the PDF has no pages")
    return Accepted(PDF, pages)


def check_tiff(path: Path, options: CheckOptions) -> Verdict:
    frames = 0
    try:
        with Image.open(path) as image:
            if image.format != "TIFF":
                return Rejected(RefusalCode.NOT_PDF_OR_TIFF, f"Pillow reads a {image.format}")
            for frame in ImageSequence.Iterator(image):
                frames += 1
                if frames > options.max_frames:
                    return Rejected(RefusalCode.TOO_LARGE, f"over {options.max_frames} pages")
                width, height = frame.size
                if width * height > options.max_pixels:
                    return Rejected(
                        RefusalCode.TOO_LARGE, f"page {frames} is {width}x{height} pixels"
                    )
                frame.load()
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, struct.error ...
        return Rejected(RefusalCode.DAMAGED, f"TIFF page {frames + 1} does not load: {exc}")
    if frames == 0:
        return Rejected(RefusalCode.DAMAGED, "the TIFF has no pages")
    return Accepted(TIFF, frames)


class ZipScan:
    """Looks for ZIP records in a file as its bytes go by, so a document received over the
    network is scanned while it arrives instead of being read again afterwards."""

    OVERLAP = 46
    """The longest fixed record part looked at: a record split between two blocks is found."""

    def __init__(self) -> None:
        self.offset = 0
        self.evidence: str | None = None
        self._carry = b""

    def feed(self, block: bytes) -> None:
        if self.evidence is not None or not block:
            return
        # The block itself, then the seam with the one before (a record cut in two there):
        # searching in place, never copying the block.
        found = _zip_record(block)
        if found is not None:
            self.evidence = f"a ZIP {found[1]} header at byte {self.offset + found[0]}"
        elif self._carry:
            seam = self._carry + block[: self.OVERLAP]
            found = _zip_record(seam)
            if found is not None:
                at = self.offset - len(self._carry) + found[0]
                self.evidence = f"a ZIP {found[1]} header at byte {at}"
        self._carry = (
            (self._carry + block)[-self.OVERLAP :]
            if len(block) < self.OVERLAP
            else (block[-self.OVERLAP :])
        )
        self.offset += len(block)


def zip_evidence(path: Path, scanned: ZipScan | None = None) -> str | None:
    """Why the file would also open as a ZIP archive, or None. ``scanned``: the file's bytes
    already went through a `ZipScan` (only its end is read again)."""
    if zipfile.is_zipfile(path):
        return "it has an end-of-central-directory record"
    if scanned is not None:
        return scanned.evidence
    scan = ZipScan()
    with path.open("rb") as file:
        while block := file.read(SCAN_CHUNK):
            scan.feed(block)
            if scan.evidence is not None:
                break
    return scan.evidence


_RECORDS = {
    ZIP_LOCAL[2:]: ("local file", (4, 8, 26)),
    ZIP_CENTRAL[2:]: ("central directory", (6, 10, 28)),
}
"""What follows ``PK`` in each record's signature: its name, and the offsets of its
version-needed, compression method and file name length."""


def _zip_record(data: bytes) -> tuple[int, str] | None:
    # One pass for both signatures: find their common "PK", then look at the next two bytes.
    at = data.find(b"PK")
    while at != -1:
        found = _RECORDS.get(data[at + 2 : at + 4])
        if found is not None and _plausible(data, at, *found[1]):
            return at, found[0]
        at = data.find(b"PK", at + 1)
    return None


def _plausible(data: bytes, at: int, version_at: int, method_at: int, names_at: int) -> bool:
    if at + names_at + 2 > len(data):
        return False
    version = data[at + version_at]
    (method,) = struct.unpack_from("<H", data, at + method_at)
    (name_length,) = struct.unpack_from("<H", data, at + names_at)
    return version <= 63 and method in ZIP_METHODS and 0 < name_length <= 1024
