"""Converting delivered documents: real TIFF and PDF files in, a PDF with a cover sheet out."""

from __future__ import annotations

import io
from datetime import date

import pytest
from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw
from pypdf import PdfReader

from shelfnet.ill.delivery.convert import (
    COPYRIGHT_NOTICE,
    PDF,
    TIFF,
    ConversionError,
    Cover,
    cover_sheet,
    tiff_to_pdf,
    with_cover,
)

COVER = Cover(
    request_number=4711,
    title="Flow synthesis of small rings",
    patron_name="Tran Nguyễn",
    delivered=date(2024, 5, 1),
    library="Example University Library",
    source="Journal of Organic Chemistry, vol. 12, 2023",
)
SIZES = [(240, 320), (300, 200), (160, 160)]
DPI = 200


def frames() -> list[Image.Image]:
    """Three pages a scanner might make: different sizes, different content."""
    pages = []
    for number, size in enumerate(SIZES):
        page = Image.new("RGB", size, (255, 255, 255))
        draw = ImageDraw.Draw(page)
        draw.rectangle((10, 10, 10 + 30 * (number + 1), 60), fill=(200, 40 * number, 0))
        draw.line((0, size[1] - 1, size[0] - 1, 0), fill=(0, 0, 255), width=3)
        pages.append(page)
    return pages


def tiff(pages: list[Image.Image]) -> bytes:
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=pages[1:],
        dpi=(DPI, DPI),
        compression="raw",
    )
    return out.getvalue()


def pdf(pages: int) -> bytes:
    document = FPDF()
    for number in range(pages):
        document.add_page()
        document.set_font("helvetica", size=12)
        document.cell(0, 10, f"Original page {number + 1}")
    return bytes(document.output())


def test_a_three_page_tiff_becomes_a_cover_and_three_pages_of_its_frames() -> None:
    pages = frames()
    result = PdfReader(io.BytesIO(with_cover(COVER, tiff(pages), TIFF)))
    assert len(result.pages) == 4
    assert "4711" in result.pages[0].extract_text()
    for page, (width, height) in zip(result.pages[1:], SIZES, strict=True):
        # img2pdf keeps each frame's physical size: pixels at its resolution, in points.
        assert float(page.mediabox.width) == pytest.approx(width * 72 / DPI, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(height * 72 / DPI, abs=0.01)
    for page, frame in zip(result.pages[1:], pages, strict=True):
        (embedded,) = page.images
        image = embedded.image
        assert image is not None
        assert image.size == frame.size
        assert ImageChops.difference(image.convert("RGB"), frame).getbbox() is None


def test_a_pdf_gets_the_cover_sheet_in_front_of_its_pages() -> None:
    result = PdfReader(io.BytesIO(with_cover(COVER, pdf(3), PDF)))
    assert len(result.pages) == 1 + 3
    assert "Original page 1" in result.pages[1].extract_text()
    assert "Original page 3" in result.pages[3].extract_text()


def test_the_cover_sheet_names_request_title_patron_date_and_copyright() -> None:
    text = PdfReader(io.BytesIO(cover_sheet(COVER))).pages[0].extract_text()
    for expected in (
        "4711",
        "Flow synthesis of small rings",
        "Tran Nguyễn",
        "2024-05-01",
        "Example University Library",
        "Title 17",
    ):
        assert expected in text
    assert "private study, scholarship or research" in COPYRIGHT_NOTICE


def test_a_configured_notice_replaces_the_built_in_one() -> None:
    cover = Cover(1, "A title", "A patron", date(2024, 1, 1), notice="Fair dealing only (CA).")
    text = PdfReader(io.BytesIO(cover_sheet(cover))).pages[0].extract_text()
    assert "Fair dealing only (CA)." in text
    assert "Title 17" not in text


def test_tiff_to_pdf_keeps_one_page_per_frame() -> None:
    assert len(PdfReader(io.BytesIO(tiff_to_pdf(tiff(frames())))).pages) == 3


@pytest.mark.parametrize(
    ("data", "media_type"),
    [(b"II*\x00 not really", TIFF), (b"%PDF-1.7 broken", PDF), (b"GIF89a", "image/gif")],
)
def test_unreadable_or_unknown_files_are_refused(data: bytes, media_type: str) -> None:
    with pytest.raises(ConversionError):
        with_cover(COVER, data, media_type)
