"""The spool: streamed, hashed, fsync'd, renamed atomically to a name the server chose."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from shelfnet.ill.delivery.protocol import PDF, TIFF
from shelfnet.ill.delivery.spool import Spool


def spool(tmp_path: Path) -> Spool:
    result = Spool(tmp_path / "spool")
    result.prepare()
    return result


def test_chunks_are_written_hashed_and_counted(tmp_path: Path) -> None:
    file = spool(tmp_path).incoming()
    chunks = [bytes([n]) * 70_000 for n in range(10)]
    for chunk in chunks:
        file.write(chunk)
    file.finish()
    body = b"".join(chunks)
    assert file.size == len(body)
    assert file.sha256 == hashlib.sha256(body).hexdigest()
    assert file.path.read_bytes() == body


def test_a_committed_file_gets_a_server_chosen_name_by_media_type(tmp_path: Path) -> None:
    store = spool(tmp_path)
    pdf, tiff = store.incoming(), store.incoming()
    pdf.write(b"%PDF-")
    tiff.write(b"II*\0")
    pdf_path, tiff_path = pdf.commit(PDF), tiff.commit(TIFF)
    assert pdf_path.parent == tiff_path.parent == store.documents_dir
    assert pdf_path.suffix == ".pdf" and tiff_path.suffix == ".tif"
    assert len(pdf_path.stem) == 32 and pdf_path.stem != tiff_path.stem
    assert list(store.incoming_dir.iterdir()) == []


def test_incoming_files_are_private_to_the_server(tmp_path: Path) -> None:
    file = spool(tmp_path).incoming()
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert file.path.suffix == ".part"
    file.discard()


def test_a_discarded_file_is_gone(tmp_path: Path) -> None:
    store = spool(tmp_path)
    file = store.incoming()
    file.write(b"junk")
    file.discard()
    file.discard()  # twice is harmless
    assert list(store.incoming_dir.iterdir()) == []


def test_prepare_removes_what_a_crash_left_half_written(tmp_path: Path) -> None:
    store = spool(tmp_path)
    half = store.incoming()
    half.write(b"half")
    half.finish()  # on disk, never committed: the server died here
    kept = store.incoming()
    kept.write(b"%PDF-")
    kept.commit(PDF)
    assert store.prepare() == 1
    assert list(store.incoming_dir.iterdir()) == []
    assert len(list(store.documents_dir.iterdir())) == 1
