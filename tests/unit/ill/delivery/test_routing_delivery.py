"""Routing received documents: to the patron, to staff review, or to the unmatched queue."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader

from shelfnet.ill.delivery.documents import Direction, Documents, DocumentState, LinkKind
from shelfnet.ill.delivery.links import LinkSettings, purge
from shelfnet.ill.delivery.routing import (
    NotDeliverable,
    Outcome,
    Received,
    RoutingSettings,
    assign,
    discard,
    on_document,
    outgoing,
    outgoing_link,
    release,
    route,
)
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Action, Status
from tests.unit.ill.conftest import Clock

B, L = ProcessType.BORROWING, ProcessType.LENDING


def pdf_bytes(pages: int = 2) -> bytes:
    document = FPDF()
    for number in range(pages):
        document.add_page()
        document.set_font("helvetica", size=12)
        document.cell(0, 10, f"Article page {number + 1}")
    return bytes(document.output())


def tiff_bytes(pages: int = 2) -> bytes:
    frames = [Image.new("L", (100, 140), 255 - 40 * n) for n in range(pages)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    return out.getvalue()


@pytest.fixture
def ill(store: IllStore) -> IllStore:
    fill_sample(store)
    return store


@pytest.fixture
def documents(ill: IllStore, clock: Clock) -> Documents:
    return Documents(ill.engine, clock=clock)


@pytest.fixture
def settings(tmp_path: Path) -> RoutingSettings:
    return RoutingSettings(tmp_path / "delivery", LinkSettings(days=7, views=3), library="Test")


@pytest.fixture
def spool(tmp_path: Path) -> Path:
    folder = tmp_path / "spool"
    folder.mkdir()
    return folder


def copy_request(store: IllStore, lender: str = "US-CST", *, send: bool = True) -> int:
    patron = store.find_patron("rokafor")
    assert patron is not None
    draft = TransactionDraft(
        B,
        RequestType.COPY,
        DocumentType.ARTICLE,
        Citation(journal_title="Nature", article_title="A new catalyst", volume="12"),
        patron_id=patron.id,
        lender_string=(lender,),
    )
    transaction = store.create_transaction(draft, by="admin")
    if send:
        store.apply_action(transaction.id, Action.SEND_REQUEST, "admin")
    return transaction.id


def received(
    spool: Path,
    sender: str,
    number: str,
    data: bytes | None = None,
    media_type: str = "application/pdf",
) -> Received:
    data = pdf_bytes() if data is None else data
    path = spool / f"{len(list(spool.iterdir()))}.bin"
    path.write_bytes(data)
    return Received(sender, "SHELFNET", number, "", media_type, path, "0" * 64, len(data))


def test_a_trusted_lenders_document_goes_straight_to_the_patron(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path, clock: Clock
) -> None:
    number = copy_request(ill)
    routed = route(ill, documents, received(spool, "US-CST", str(number)), settings)
    assert routed.outcome is Outcome.DELIVERED
    transaction = ill.get_transaction(number)
    assert transaction.status is Status.DELIVERED_TO_WEB
    statuses = [change.to_status for change in transaction.history]
    assert statuses[-2:] == [Status.AWAITING_POST_RECEIPT_PROCESSING, Status.DELIVERED_TO_WEB]
    document = documents.get(routed.document.id)
    assert document.state is DocumentState.DELIVERED and document.transaction_id == number
    assert document.pdf_path is not None
    pages = PdfReader(document.pdf_path).pages
    assert len(pages) == 3 and str(number) in pages[0].extract_text()
    assert "Ruth Okafor" in pages[0].extract_text()
    (link,) = documents.links(document.id, LinkKind.PATRON)
    assert link.max_views == 3 and link.expires == clock.now + timedelta(days=7)


def test_a_tiff_is_converted_for_the_patron(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill)
    sent = received(spool, "US-CST", str(number), tiff_bytes(3), "image/tiff")
    routed = route(ill, documents, sent, settings)
    assert routed.outcome is Outcome.DELIVERED
    assert routed.document.pdf_path is not None
    assert len(PdfReader(routed.document.pdf_path).pages) == 4


def test_the_received_file_is_kept_apart_from_the_spool(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    sent = received(spool, "US-CST", "999999")
    routed = route(ill, documents, sent, settings)
    data = sent.path.read_bytes()
    sent.path.unlink()
    assert routed.document.original_path.read_bytes() == data
    assert routed.document.original_path.is_relative_to(settings.folder)


def test_an_untrusted_senders_document_waits_for_review_then_is_released(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill, lender="US-MH")
    routed = route(ill, documents, received(spool, "US-MH", str(number)), settings)
    assert routed.outcome is Outcome.AWAITING_REVIEW
    assert "not a trusted sender" in routed.reason
    assert ill.get_transaction(number).status is Status.REQUEST_SENT
    assert documents.links(routed.document.id) == []
    released = release(ill, documents, routed.document.id, settings, "admin")
    assert released.outcome is Outcome.DELIVERED
    assert ill.get_transaction(number).status is Status.DELIVERED_TO_WEB
    assert ill.get_transaction(number).history[-1].by == "admin"


def test_a_trusted_partner_sending_for_another_lenders_request_is_reviewed(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill, lender="US-MH")
    routed = route(ill, documents, received(spool, "US-CST", str(number)), settings)
    assert routed.outcome is Outcome.AWAITING_REVIEW
    assert "went to US-MH" in routed.reason


@pytest.mark.parametrize("sender", ["US-CST", "XX-UNKNOWN"])
def test_no_matching_request_puts_the_document_in_the_unmatched_queue(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path, sender: str
) -> None:
    routed = route(ill, documents, received(spool, sender, "987654"), settings)
    assert routed.outcome is Outcome.UNMATCHED
    assert '"987654"' in routed.reason
    assert [d.id for d in documents.in_state(DocumentState.UNMATCHED)] == [routed.document.id]


def test_requests_not_awaiting_a_copy_do_not_take_documents(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    unsent = copy_request(ill, send=False)
    loan = ill.create_transaction(
        TransactionDraft(
            B,
            RequestType.LOAN,
            DocumentType.BOOK,
            Citation(title="Emma"),
            lender_string=("US-CST",),
        ),
        by="admin",
    )
    ill.apply_action(loan.id, Action.SEND_REQUEST, "admin")
    lending = ill.queue(Status.AWAITING_LENDING_REQUEST_PROCESSING, L)[0]
    reasons = [
        route(ill, documents, received(spool, "US-CST", str(number)), settings).reason
        for number in (unsent, loan.id, lending.id)
    ]
    assert "not awaiting a delivery" in reasons[0]
    assert "is a loan" in reasons[1]
    assert "not a borrowing request" in reasons[2]


def test_the_lenders_number_finds_the_request_sent_to_that_lender(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill)
    transaction = ill.get_transaction(number)
    ill.update_transaction(replace(transaction, external_id="CST-778"), "admin")
    routed = route(ill, documents, received(spool, "US-CST", "CST-778"), settings)
    assert routed.outcome is Outcome.DELIVERED and routed.document.transaction_id == number
    other = route(ill, documents, received(spool, "US-MH", "CST-778"), settings)
    assert other.outcome is Outcome.UNMATCHED


def test_staff_assign_an_unmatched_document_to_its_request(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill, lender="US-NIC")
    routed = route(ill, documents, received(spool, "US-NIC", "wrong"), settings)
    with pytest.raises(NotDeliverable, match="no request 424242"):
        assign(ill, documents, routed.document.id, 424242, settings, "admin")
    assigned = assign(ill, documents, routed.document.id, number, settings, "admin")
    assert assigned.outcome is Outcome.DELIVERED
    assert ill.get_transaction(number).status is Status.DELIVERED_TO_WEB
    with pytest.raises(NotDeliverable, match="not in the unmatched queue"):
        assign(ill, documents, routed.document.id, number, settings, "admin")


def test_an_unreadable_document_stays_with_staff(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill)
    routed = route(
        ill, documents, received(spool, "US-CST", str(number), b"%PDF-1.4 junk"), settings
    )
    assert routed.outcome is Outcome.AWAITING_REVIEW
    assert "Could not be delivered" in routed.reason
    assert ill.get_transaction(number).status is Status.REQUEST_SENT
    assert list((settings.folder / "delivered").glob("*.pdf")) == []


def test_staff_discard_junk_and_its_file_goes(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    routed = route(ill, documents, received(spool, "US-CST", "nothing"), settings)
    gone = discard(documents, routed.document.id, "admin")
    assert gone.state is DocumentState.PURGED and not gone.original_path.exists()


def test_purge_deletes_the_files_of_ended_downloads_and_keeps_the_record(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path, clock: Clock
) -> None:
    number = copy_request(ill)
    routed = route(ill, documents, received(spool, "US-CST", str(number)), settings)
    assert purge(documents) == []
    clock.tick(7 * 24 * 3600)
    (purged,) = purge(documents)
    assert purged.id == routed.document.id and purged.state is DocumentState.PURGED
    assert routed.document.pdf_path is not None and not routed.document.pdf_path.exists()
    assert not routed.document.original_path.exists()


@dataclass(frozen=True)
class Header:
    """As the wire server's ``DocumentHeader`` names its fields."""

    sender: str
    receiver: str
    ill_number: str
    media_type: str
    transaction: str = ""
    notes: str = ""
    filename: str = ""


def test_the_wire_servers_callback_routes_by_our_transaction_number(
    ill: IllStore, documents: Documents, settings: RoutingSettings, spool: Path
) -> None:
    number = copy_request(ill)
    path = spool / "body"
    path.write_bytes(pdf_bytes())
    callback = on_document(ill, documents, settings)
    header = Header("US-CST", "SHELFNET", "OCLC-1", "application/pdf", str(number), "hi", "a.pdf")
    answer = callback(header, path, "1" * 64, path.stat().st_size)
    assert "delivered" in answer
    (document,) = documents.for_transaction(number)
    assert (document.notes, document.file_name, document.transaction_number) == (
        "hi",
        "a.pdf",
        str(number),
    )


def test_staff_send_a_document_for_a_lending_request(
    ill: IllStore, documents: Documents, settings: RoutingSettings
) -> None:
    lending = ill.queue(Status.AWAITING_LENDING_REQUEST_PROCESSING, L)[0]
    queued = outgoing(ill, documents, lending.id, pdf_bytes(), settings, "admin", symbol="US-XX")
    assert queued.state is DocumentState.QUEUED and queued.direction is Direction.OUTGOING
    assert (queued.sender, queued.receiver) == ("US-XX", lending.partner)
    with pytest.raises(NotDeliverable, match="Only PDF and TIFF"):
        outgoing(ill, documents, lending.id, b"GIF89a", settings, "admin", symbol="US-XX")
    borrowing = copy_request(ill)
    with pytest.raises(NotDeliverable, match="not a lending request"):
        outgoing(ill, documents, borrowing, pdf_bytes(), settings, "admin", symbol="US-XX")
    document, token = outgoing_link(
        ill,
        documents,
        lending.id,
        tiff_bytes(),
        settings,
        "admin",
        symbol="US-XX",
        password="s3cret-pass",
        days=5,
        views=2,
    )
    assert document.state is DocumentState.SENT and document.media_type == "image/tiff"
    found = documents.find_link(token)
    assert found is not None and found[0].kind is LinkKind.EXCHANGE and found[1] is not None
