"""The PDF a patron downloads: a cover sheet, then the document's pages.

A TIFF (one frame a page, as scanners and Ariel-era senders make them) becomes a PDF page
for page with img2pdf, which embeds the images without re-encoding them where it can. The
cover sheet is drawn with fpdf2: the request number, what was asked for, for whom, when, and
the copyright notice. pypdf puts the two together, cover first.

Everything here is CPU work on bytes and files, with no database: callers run it off the
event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fpdf import FPDF

PDF = "application/pdf"
TIFF = "image/tiff"
MEDIA_TYPES = frozenset({PDF, TIFF})

COPYRIGHT_NOTICE = (
    "NOTICE CONCERNING COPYRIGHT. The copyright law of the United States (Title 17, United "
    "States Code) governs the making of photocopies and other reproductions of material "
    "under copyright. Libraries and archives may supply a copy under conditions set out in "
    "section 108 of that law; one of them is that the copy is not to be used for any purpose "
    "other than private study, scholarship or research. If you use this copy, or a copy of "
    "it, for a purpose beyond fair use, you may be liable for copyright infringement. This "
    "library may refuse a copy order if, in its judgement, filling it would go against "
    "copyright law."
)
"""The notice printed on every cover sheet, unless the settings give another."""

_FONTS = Path("/usr/share/fonts/truetype/dejavu")


class ConversionError(Exception):
    """The file is not a readable document of its media type."""


@dataclass(frozen=True)
class Cover:
    """What the cover sheet says."""

    request_number: int
    title: str
    patron_name: str
    delivered: date
    library: str = ""
    source: str = ""
    """The journal or book, and where in it (volume, issue, pages)."""
    notice: str = COPYRIGHT_NOTICE


def tiff_to_pdf(tiff: bytes) -> bytes:
    """A PDF with one page per TIFF frame, each page the frame's size at its resolution."""
    import img2pdf  # type: ignore[import-untyped]

    try:
        converted = img2pdf.convert(tiff, rotation=img2pdf.Rotation.ifvalid)
    except Exception as exc:  # img2pdf raises many kinds for broken images
        raise ConversionError(f"not a readable TIFF: {exc}") from exc
    if converted is None:  # pragma: no cover - only when an output file is given
        raise ConversionError("img2pdf produced nothing")
    return bytes(converted)


def cover_sheet(cover: Cover) -> bytes:
    """A one-page PDF, US Letter."""
    from fpdf import FPDF

    pdf = FPDF(format="letter")
    pdf.set_title(f"Interlibrary loan request {cover.request_number}")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    family = _font_family(pdf)
    pdf.set_font(family, "B", size=18)
    heading = f"{cover.library}: interlibrary loan" if cover.library else "Interlibrary loan"
    pdf.multi_cell(0, 10, _text(family, heading), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ("Request number", str(cover.request_number)),
        ("Title", cover.title or "(no title given)"),
        ("Source", cover.source),
        ("Delivered to", cover.patron_name),
        ("Date", cover.delivered.isoformat()),
    ]
    for label, value in rows:
        if not value:
            continue
        pdf.set_font(family, "B", size=11)
        pdf.cell(40, 7, label)
        pdf.set_font(family, "", size=11)
        pdf.multi_cell(0, 7, _text(family, value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(family, "", size=9)
    pdf.multi_cell(0, 5, _text(family, cover.notice), border=1, padding=3)
    return bytes(pdf.output())


def _font_family(pdf: FPDF) -> str:
    """DejaVu (any script a patron's name is in) when installed, else the core Helvetica."""
    regular, bold = _FONTS / "DejaVuSans.ttf", _FONTS / "DejaVuSans-Bold.ttf"
    if regular.is_file() and bold.is_file():
        pdf.add_font("DejaVu", "", str(regular))
        pdf.add_font("DejaVu", "B", str(bold))
        return "DejaVu"
    return "helvetica"


def _text(family: str, value: str) -> str:
    # The core fonts know Latin-1 only: anything else becomes "?" rather than an error.
    if family == "helvetica":
        return value.encode("latin-1", "replace").decode("latin-1")
    return value


def with_cover(cover: Cover, document: bytes, media_type: str) -> bytes:
    """The cover sheet, then every page of the document (a PDF, or a TIFF converted)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    if media_type not in MEDIA_TYPES:
        raise ConversionError(f"{media_type} is not a document type shelfnet delivers")
    pages = tiff_to_pdf(document) if media_type == TIFF else document
    writer = PdfWriter()
    try:
        writer.append(PdfReader(io.BytesIO(cover_sheet(cover))))
        writer.append(PdfReader(io.BytesIO(pages)))
    except (PdfReadError, ValueError, KeyError) as exc:
        raise ConversionError(f"not a readable PDF: {exc}") from exc
    writer.add_metadata({"/Title": f"Interlibrary loan request {cover.request_number}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def write_delivered(cover: Cover, source: Path, media_type: str, target: Path) -> Path:
    """``with_cover`` from file to file; the target appears whole or not at all."""
    data = with_cover(cover, source.read_bytes(), media_type)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target
