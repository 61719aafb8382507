"""Two shelfnet instances started as ``shelfnet serve`` starts them: the lender queues a scanned
article for a lending request, its sender delivers it over the delivery protocol to the
borrower's listener, the borrower files it with the patron's request (cover sheet first, a
TIFF converted page for page), and the patron downloads it from the web pages."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from shelfnet.config import (
    DataSettings,
    DeliveryConfig,
    IllSettings,
    IsoIllSettings,
    Settings,
    WebSettings,
    only_services,
)
from shelfnet.ill.delivery.documents import Documents, DocumentState
from shelfnet.ill.delivery.routing import RoutingSettings, outgoing
from shelfnet.ill.delivery.sender import send_queued
from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Partner,
    Patron,
    ProcessType,
    RequestType,
    TransactionDraft,
)
from shelfnet.ill.workflow import Action, Status
from shelfnet.serve import Running, start
from tests.unit.ill.delivery.test_convert import frames, pdf, tiff
from tests.unit.web.ill.conftest import FAST_HASHER, PASSWORD

BORROWER, LENDER = "US-BOR", "US-LEN"


def _settings(root: Path, symbol: str) -> Settings:
    return replace(
        only_services(Settings(), ["web", "delivery"]),
        data=DataSettings(root),
        web=WebSettings(port=0),
        ill=IllSettings(sample=False, symbol=symbol),
        isoill=IsoIllSettings(enabled=False),
        delivery=DeliveryConfig(port=0),
    )


async def _exchange(tmp_path: Path, document: bytes) -> tuple[bytes, int]:
    """The lender sends ``document`` for the borrower's request; returns the PDF the patron
    downloads and how many pages the sent file had."""
    borrower = await start(_settings(tmp_path / "borrower", BORROWER), lambda _line: None)
    lender = await start(_settings(tmp_path / "lender", LENDER), lambda _line: None)
    try:
        return await _scenario(borrower, lender, tmp_path, document)
    finally:
        await lender.close()
        await borrower.close()


async def _scenario(
    borrower: Running, lender: Running, tmp_path: Path, document: bytes
) -> tuple[bytes, int]:
    assert borrower.ill and lender.ill and borrower.delivery and borrower.web
    b_store, l_store = borrower.ill.store, lender.ill.store
    host, port = borrower.delivery.addresses[0]
    # Each library knows the other; the borrower trusts the lender's documents.
    b_store.create_partner(Partner(LENDER, "Lender", trusted=True))
    l_store.create_partner(Partner(BORROWER, "Borrower", delivery_address=f"{host}:{port}"))
    patron = b_store.create_patron(
        Patron(
            "reader", "Rea", "Der", "reader@example.org", password_hash=FAST_HASHER.hash(PASSWORD)
        )
    )
    asked = b_store.create_transaction(
        TransactionDraft(
            ProcessType.BORROWING,
            RequestType.COPY,
            DocumentType.ARTICLE,
            Citation(article_title="Modal jazz", journal_title="Notes", pages="1-3"),
            patron_id=patron.id,
            lender_string=(LENDER,),
        ),
        by="reader",
    )
    for action in (Action.START_PROCESSING, Action.SEND_REQUEST):
        b_store.apply_action(asked.id, action, "staff")
    lending = l_store.create_transaction(
        TransactionDraft(
            ProcessType.LENDING,
            RequestType.COPY,
            DocumentType.ARTICLE,
            Citation(article_title="Modal jazz", journal_title="Notes"),
            partner=BORROWER,
            external_id=str(asked.id),
        ),
        by="isoill",
    )
    documents = Documents(l_store.write_engine)
    settings = RoutingSettings(tmp_path / "lender" / "delivery")
    outgoing(l_store, documents, lending.id, document, settings, "staff", symbol=LENDER)

    report = await send_queued(l_store, documents, symbol=LENDER)
    assert report.sent and not report.refused and not report.waiting
    assert [d.state for d in documents.in_state(DocumentState.SENT)] == [DocumentState.SENT]
    assert b_store.get_transaction(asked.id).status is Status.DELIVERED_TO_WEB

    base = f"http://127.0.0.1:{borrower.web.addresses[0][1]}"
    async with httpx.AsyncClient(base_url=base) as patron_client:
        form = await patron_client.get("/ill/signin")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed = await patron_client.post(
            "/ill/signin",
            data={"username": "reader", "password": PASSWORD, "csrf_token": token},
        )
        assert signed.status_code == 303
        page = await patron_client.get(f"/ill/requests/{asked.id}")
        link = page.text.split(f'href="/ill/requests/{asked.id}/files/')[1].split('"')[0]
        download = await patron_client.get(f"/ill/requests/{asked.id}/files/{link}")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/pdf"
    return download.content, _pages(document)


def _pages(document: bytes) -> int:
    if document.startswith(b"%PDF"):
        return len(PdfReader(io.BytesIO(document)).pages)
    from PIL import Image, ImageSequence

    with Image.open(io.BytesIO(document)) as image:
        return sum(1 for _ in ImageSequence.Iterator(image))


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_a_scanned_article_travels_from_lender_to_patron(tmp_path: Path, kind: str) -> None:
    sent = pdf(3) if kind == "pdf" else tiff(frames())
    downloaded, pages = asyncio.run(_exchange(tmp_path, sent))
    reader = PdfReader(io.BytesIO(downloaded))
    assert len(reader.pages) == pages + 1, "the cover sheet, then every page sent"
    cover = reader.pages[0].extract_text()
    assert "Modal jazz" in cover
    if kind == "pdf":
        assert "Original page 1" in reader.pages[1].extract_text()
        assert "Original page 3" in reader.pages[3].extract_text()
    else:
        originals = frames()
        for number, page in enumerate(reader.pages[1:]):
            [image] = page.images
            assert image.image is not None
            assert image.image.size == originals[number].size
            assert image.image.convert("RGB").tobytes() == originals[number].tobytes()


def test_a_partner_that_is_down_keeps_the_document_queued(tmp_path: Path) -> None:
    from tests.peers import free_port

    async def scenario() -> tuple[list[int], list[int], DocumentState]:
        lender = await start(_settings(tmp_path / "lender", LENDER), lambda _line: None)
        try:
            assert lender.ill is not None
            store = lender.ill.store
            store.create_partner(Partner(BORROWER, delivery_address=f"127.0.0.1:{free_port()}"))
            store.create_partner(Partner("US-MAIL", delivery_address="ill@example.org"))
            documents = Documents(store.write_engine)
            settings = RoutingSettings(tmp_path / "lender" / "delivery")
            made = []
            for partner in (BORROWER, "US-MAIL"):
                lending = store.create_transaction(
                    TransactionDraft(
                        ProcessType.LENDING,
                        RequestType.COPY,
                        DocumentType.ARTICLE,
                        partner=partner,
                        external_id="77",
                    ),
                    by="isoill",
                )
                made.append(
                    outgoing(store, documents, lending.id, pdf(1), settings, "staff", symbol=LENDER)
                )
            report = await send_queued(store, documents, symbol=LENDER)
            return report.waiting, report.refused, documents.get(made[1].id).state
        finally:
            await lender.close()

    waiting, refused, mailed = asyncio.run(scenario())
    assert len(waiting) == 1, "the partner that is down gets it next round"
    assert len(refused) == 1 and mailed is DocumentState.AWAITING_REVIEW
