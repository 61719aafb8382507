"""Acceptance by structure: real PDFs and TIFFs pass, everything dressed up as one is refused.

Every file is made here: PDFs with fpdf2, multi-page TIFFs and JPEGs with Pillow; polyglots,
truncations and broken IFDs by hand. The makers are shared with the interop tests.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from shelfnet.ill.delivery.checks import (
    Accepted,
    CheckOptions,
    Rejected,
    check_document,
    sniff,
    zip_evidence,
)
from shelfnet.ill.delivery.protocol import PDF, TIFF, RefusalCode


def make_pdf(pages: int = 2) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Journal of Interlibrary Loan, page {number}")
    return bytes(pdf.output())


def write_padded_pdf(path: Path, size: int, seed: int = 7968) -> None:
    """A valid one-page PDF of about ``size`` bytes, written in 1 MiB pieces: the bulk is an
    unreferenced stream object of random bytes, so the file is quick to make and pypdf still
    parses it (the cross-reference table gives every object's offset)."""
    block = random.Random(seed).randbytes(1024 * 1024)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length 18 >>\nstream\n0 0 m 612 792 l S\nendstream",
    ]
    padding = max(0, size - 1024)
    offsets = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        for number, body in enumerate(objects, start=1):
            offsets.append(out.tell())
            out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        offsets.append(out.tell())
        out.write(b"5 0 obj\n<< /Length %d >>\nstream\n" % padding)
        left = padding
        while left:
            piece = block[: min(left, len(block))]
            out.write(piece)
            left -= len(piece)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 6\n0000000000 65535 f \n")
        out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
        out.write(b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


def make_tiff(pages: int = 3, size: tuple[int, int] = (200, 120)) -> bytes:
    frames = [Image.new("L", size, color=40 * n) for n in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


def make_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color=(200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def make_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


HTML = b"<!DOCTYPE html>\n<html><head><title>Article</title></head><body>Login</body></html>\n"


def verdict(
    tmp_path: Path, data: bytes, media_type: str, strict_pdf: bool = False
) -> Accepted | Rejected:
    path = tmp_path / "document.bin"
    path.write_bytes(data)
    return check_document(path, media_type, CheckOptions(strict_pdf=strict_pdf))


def refused(tmp_path: Path, data: bytes, media_type: str) -> RefusalCode:
    result = verdict(tmp_path, data, media_type)
    assert isinstance(result, Rejected), result
    assert result.reason
    return result.code


def test_a_real_pdf_is_accepted_with_its_page_count(tmp_path: Path) -> None:
    assert verdict(tmp_path, make_pdf(3), PDF) == Accepted(PDF, 3)


def test_a_padded_pdf_is_valid_even_in_strict_mode(tmp_path: Path) -> None:
    path = tmp_path / "padded.pdf"
    write_padded_pdf(path, 3 * 1024 * 1024)
    assert abs(path.stat().st_size - 3 * 1024 * 1024) < 2048
    assert check_document(path, PDF, CheckOptions(strict_pdf=True)) == Accepted(PDF, 1)


def test_a_real_pdf_passes_pypdf_strict_mode(tmp_path: Path) -> None:
    assert verdict(tmp_path, make_pdf(1), PDF, strict_pdf=True) == Accepted(PDF, 1)


def test_a_pdf_after_a_short_prefix_is_still_a_pdf(tmp_path: Path) -> None:
    assert verdict(tmp_path, b"\n" * 200 + make_pdf(1), PDF) == Accepted(PDF, 1)


def test_a_multi_page_tiff_is_accepted_with_every_frame(tmp_path: Path) -> None:
    assert verdict(tmp_path, make_tiff(4), TIFF) == Accepted(TIFF, 4)


def test_a_big_endian_tiff_is_accepted(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("1", (300, 300), color=1).save(out, format="TIFF", compression="group4")
    data = out.getvalue()
    assert data[:4] in (b"II*\x00", b"MM\x00*")
    assert verdict(tmp_path, data, TIFF) == Accepted(TIFF, 1)


@pytest.mark.parametrize("media_type", [PDF, TIFF])
def test_a_renamed_jpeg_is_refused(tmp_path: Path, media_type: str) -> None:
    result = verdict(tmp_path, make_jpeg(), media_type)
    assert result == Rejected(RefusalCode.NOT_PDF_OR_TIFF, "the file is a JPEG image")


def test_an_html_page_named_pdf_is_refused(tmp_path: Path) -> None:
    result = verdict(tmp_path, HTML, PDF)
    assert result == Rejected(RefusalCode.NOT_PDF_OR_TIFF, "the file is an HTML page")


def test_a_pdf_declared_as_tiff_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, make_pdf(), TIFF) is RefusalCode.MEDIA_TYPE_MISMATCH


def test_a_pdf_cut_before_its_end_is_refused(tmp_path: Path) -> None:
    data = make_pdf(3)
    assert refused(tmp_path, data[: len(data) * 2 // 3], PDF) is RefusalCode.TRUNCATED


def test_a_pdf_signature_with_nothing_behind_it_is_damaged(tmp_path: Path) -> None:
    data = b"%PDF-1.7\n" + b"this is not a PDF body\n" * 20 + b"%%EOF\n"
    assert refused(tmp_path, data, PDF) is RefusalCode.DAMAGED


def test_a_pdf_with_a_zip_appended_is_a_polyglot(tmp_path: Path) -> None:
    assert refused(tmp_path, make_pdf() + make_zip(), PDF) is RefusalCode.POLYGLOT


def test_a_zip_with_a_pdf_behind_it_is_a_polyglot(tmp_path: Path) -> None:
    # %PDF- within the first 1024 bytes: PDF readers open it, unzip opens it too
    data = make_zip() + make_pdf()
    assert sniff(data[:1024]) == PDF
    assert refused(tmp_path, data, PDF) is RefusalCode.POLYGLOT


def test_a_zip_local_header_hidden_inside_a_pdf_is_a_polyglot(tmp_path: Path) -> None:
    pdf = make_pdf()
    record = make_zip()
    local = record[: record.index(b"PK\x01\x02")]  # just the local header and its data
    cut = pdf.index(b"\n", 20) + 1
    data = pdf[:cut] + b"%" + local + b"\n" + pdf[cut:]
    assert refused(tmp_path, data, PDF) is RefusalCode.POLYGLOT


def test_a_tiff_with_a_zip_appended_is_a_polyglot(tmp_path: Path) -> None:
    assert refused(tmp_path, make_tiff(2) + make_zip(), TIFF) is RefusalCode.POLYGLOT


def test_pk_bytes_that_are_no_zip_record_are_not_a_polyglot(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(b"xx PK\x03\x04" + b"\xff" * 40 + b"PK\x01\x02" + b"\xff" * 60)
    assert zip_evidence(path) is None


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_tiff_whose_ifd_points_outside_the_file_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_tiff(2))
    order = "<" if data[:2] == b"II" else ">"
    struct.pack_into(f"{order}I", data, 4, len(data) + 4096)
    assert refused(tmp_path, bytes(data), TIFF) is RefusalCode.DAMAGED


def test_a_tiff_whose_ifd_entries_are_garbage_is_refused(tmp_path: Path) -> None:
    data = bytearray(make_tiff(2))
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(f"{order}I", data, 4)
    data[ifd + 2 : ifd + 2 + 60] = b"\xa5" * 60  # the first five 12-byte entries
    assert refused(tmp_path, bytes(data), TIFF) is RefusalCode.DAMAGED


def test_a_tiff_cut_in_half_is_refused(tmp_path: Path) -> None:
    data = make_tiff(3)
    assert refused(tmp_path, data[: len(data) // 2], TIFF) is RefusalCode.DAMAGED


def test_a_tiff_page_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "big.tif"
    path.write_bytes(make_tiff(1, (400, 400)))
    result = check_document(path, TIFF, CheckOptions(max_pixels=100_000))
    assert isinstance(result, Rejected) and result.code is RefusalCode.TOO_LARGE


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    assert refused(tmp_path, b"", PDF) is RefusalCode.NOT_PDF_OR_TIFF


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"%PDF-1.4", PDF), (b"II*\x00", TIFF), (b"MM\x00*", TIFF), (b"\xff\xd8\xff", None)],
)
def test_sniff_reads_the_signature(head: bytes, expected: str | None) -> None:
    assert sniff(head + b"\0" * 16) == expected


def test_a_zip_record_split_between_two_received_blocks_is_found() -> None:
    from shelfnet.ill.delivery.checks import ZipScan

    record = b"PK\x03\x04" + bytes([20, 0, 0, 0, 8, 0]) + bytes(16) + b"\x05\x00\x00\x00"
    document = b"%PDF-1.7\n" + bytes(5000) + record + b"x.txt" + bytes(100)
    cut = document.index(b"PK\x03\x04") + 3
    scan = ZipScan()
    for block in (document[:cut], document[cut:]):
        scan.feed(block)
    assert scan.evidence == f"a ZIP local file header at byte {cut - 3}"
    clean = ZipScan()
    clean.feed(b"%PDF-1.7\n" + bytes(5000))
    assert clean.evidence is None


@given(st.binary(max_size=300), st.binary(max_size=300), st.lists(st.integers(1, 64), max_size=20))
def test_a_zip_scan_finds_the_same_record_however_the_bytes_are_cut(
    before: bytes, after: bytes, cuts: list[int]
) -> None:
    from shelfnet.ill.delivery.checks import ZipScan

    record = b"PK\x01\x02" + bytes([20, 0, 20, 0, 0, 0, 8, 0]) + bytes(16) + b"\x05\x00"
    data = before + record + bytes(30) + after
    whole = ZipScan()
    whole.feed(data)
    pieces = ZipScan()
    at = 0
    for cut in [*cuts, len(data)]:
        pieces.feed(data[at : at + cut])
        at += cut
    pieces.feed(data[at:])
    assert whole.evidence is not None
    assert pieces.evidence == whole.evidence
