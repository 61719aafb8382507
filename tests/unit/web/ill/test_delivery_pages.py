"""Document delivery pages: the patron's downloads, the staff queues, sending documents and
password links for partners."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fpdf import FPDF
from httpx import Response
from pypdf import PdfReader
from sqlalchemy import update

from shelfnet.ill.delivery.documents import Document, Documents, DocumentState
from shelfnet.ill.delivery.links import LinkSettings
from shelfnet.ill.delivery.routing import Received, RoutingSettings, route
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.store import IllStore
from shelfnet.ill.tables import DocumentLinkRow
from shelfnet.ill.workflow import Action, Status
from shelfnet.web.delivery_routes import DeliveryWeb, configure
from tests.unit.web.ill.conftest import PASSWORD
from tests.unit.web.ill.pages import csrf_token, post_form, sign_in


@pytest.fixture
def settings(tmp_path: Path) -> RoutingSettings:
    return RoutingSettings(tmp_path / "delivery", LinkSettings(days=7, views=2))


@pytest.fixture
def delivery_app(app: FastAPI, settings: RoutingSettings) -> FastAPI:
    # Until the integrator includes the router in ``app._add_ill``.
    from shelfnet.web.delivery_routes import router

    if not any(getattr(r, "name", "") == "patron_file" for r in app.router.routes):
        app.include_router(router)
    configure(app, DeliveryWeb(settings, LinkSettings(days=5, views=2, max_failures=3)))
    return app


@pytest.fixture
def documents(ill_store: IllStore) -> Documents:
    return Documents(ill_store.engine)


def pdf_bytes(pages: int = 2) -> bytes:
    document = FPDF()
    for number in range(pages):
        document.add_page()
        document.set_font("helvetica", size=12)
        document.cell(0, 10, f"Article page {number + 1}")
    return bytes(document.output())


def copy_request(store: IllStore, username: str = "mjones", lender: str = "US-CST") -> int:
    patron = store.find_patron(username)
    assert patron is not None
    draft = TransactionDraft(
        ProcessType.BORROWING,
        RequestType.COPY,
        DocumentType.ARTICLE,
        Citation(journal_title="Nature", article_title="A new catalyst"),
        patron_id=patron.id,
        lender_string=(lender,),
    )
    number = store.create_transaction(draft, by="admin").id
    store.apply_action(number, Action.SEND_REQUEST, "admin")
    return number


def arrive(
    store: IllStore,
    documents: Documents,
    settings: RoutingSettings,
    tmp_path: Path,
    sender: str,
    number: str,
) -> Document:
    path = tmp_path / f"spool-{number}-{sender}.pdf"
    path.write_bytes(pdf_bytes())
    received = Received(sender, "TEST", number, "", "application/pdf", path, "0" * 64, 1)
    return route(store, documents, received, settings).document


@pytest.fixture
def delivered(
    ill_store: IllStore, documents: Documents, settings: RoutingSettings, tmp_path: Path
) -> tuple[int, Document]:
    number = copy_request(ill_store)
    document = arrive(ill_store, documents, settings, tmp_path, "US-CST", str(number))
    assert document.state is DocumentState.DELIVERED
    return number, document


@pytest.fixture
def patron(delivery_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(delivery_app, follow_redirects=False) as client:
        sign_in(client, "/ill/signin", "mjones", PASSWORD)
        yield client


@pytest.fixture
def staff(delivery_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(delivery_app, follow_redirects=False) as client:
        sign_in(client, "/staff/signin", "admin", PASSWORD)
        yield client


def download_url(page: str) -> str:
    found = re.search(r'href="(/ill/requests/\d+/files/\d+)"', page)
    assert found, "no download on the page"
    return found[1]


# The patron's downloads


def test_the_request_page_offers_the_download_and_it_is_the_pdf_with_its_cover(
    patron: TestClient, delivered: tuple[int, Document]
) -> None:
    number, _document = delivered
    page = patron.get(f"/ill/requests/{number}")
    assert page.status_code == 200
    assert "2 downloads left" in page.text
    answer = patron.get(download_url(page.text))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    reader = PdfReader(io.BytesIO(answer.content))
    assert len(reader.pages) == 3 and str(number) in reader.pages[0].extract_text()


def test_views_are_counted_and_the_last_one_ends_the_download(
    patron: TestClient, delivered: tuple[int, Document]
) -> None:
    number, document = delivered
    url = f"/ill/requests/{number}/files/{document.id}"
    assert [patron.get(url).status_code for _ in range(2)] == [200, 200]
    gone = patron.get(url)
    assert gone.status_code == 410
    assert "expired" in gone.text and "deleted" in gone.text
    assert document.pdf_path is not None and not document.pdf_path.exists()
    assert not document.original_path.exists()
    assert "expired: please contact ILL staff" in patron.get(f"/ill/requests/{number}").text


def test_the_download_ends_after_its_days(
    patron: TestClient, delivered: tuple[int, Document], ill_store: IllStore
) -> None:
    number, document = delivered
    with ill_store.engine.begin() as connection:
        connection.execute(
            update(DocumentLinkRow)
            .where(DocumentLinkRow.document_id == document.id)
            .values(expires=Documents(ill_store.engine).now() - timedelta(seconds=1))
        )
    assert patron.get(f"/ill/requests/{number}/files/{document.id}").status_code == 410
    assert document.pdf_path is not None and not document.pdf_path.exists()


def test_another_patron_gets_not_found(
    delivery_app: FastAPI, delivered: tuple[int, Document]
) -> None:
    number, document = delivered
    with TestClient(delivery_app, follow_redirects=False) as other:
        sign_in(other, "/ill/signin", "tnguyen", PASSWORD)
        assert other.get(f"/ill/requests/{number}/files/{document.id}").status_code == 404
        assert other.get(f"/ill/requests/{number}/files/99999").status_code == 404
    assert document.pdf_path is not None and document.pdf_path.exists()


def test_signing_in_is_needed(delivery_app: FastAPI, delivered: tuple[int, Document]) -> None:
    number, document = delivered
    with TestClient(delivery_app, follow_redirects=False) as anonymous:
        answer = anonymous.get(f"/ill/requests/{number}/files/{document.id}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/ill/signin")


# Staff queues


def test_staff_assign_an_unmatched_document(
    staff: TestClient,
    ill_store: IllStore,
    documents: Documents,
    settings: RoutingSettings,
    tmp_path: Path,
) -> None:
    number = copy_request(ill_store)
    document = arrive(ill_store, documents, settings, tmp_path, "US-CST", "no-such-number")
    page = staff.get("/staff/delivery/unmatched")
    assert page.status_code == 200 and f'data-document="{document.id}"' in page.text
    action = f"/staff/delivery/unmatched/{document.id}/assign"
    assert staff.post(action, data={"transaction_id": str(number)}).status_code == 403
    refused = post_form(staff, "/staff/delivery/unmatched", action, {"transaction_id": "424242"})
    assert refused.status_code == 409 and "no request 424242" in refused.text
    answer = post_form(staff, "/staff/delivery/unmatched", action, {"transaction_id": str(number)})
    assert answer.status_code == 303
    assert ill_store.get_transaction(number).status is Status.DELIVERED_TO_WEB
    assert documents.get(document.id).state is DocumentState.DELIVERED


def test_staff_release_a_document_from_an_untrusted_sender(
    staff: TestClient,
    ill_store: IllStore,
    documents: Documents,
    settings: RoutingSettings,
    tmp_path: Path,
) -> None:
    number = copy_request(ill_store, lender="US-MH")
    document = arrive(ill_store, documents, settings, tmp_path, "US-MH", str(number))
    assert document.state is DocumentState.AWAITING_REVIEW
    page = staff.get("/staff/delivery/review")
    assert "not a trusted sender" in page.text
    look = staff.get(f"/staff/delivery/documents/{document.id}/file")
    assert look.status_code == 200 and look.content.startswith(b"%PDF")
    action = f"/staff/delivery/review/{document.id}/release"
    assert staff.post(action).status_code == 403
    assert post_form(staff, "/staff/delivery/review", action, {}).status_code == 303
    assert ill_store.get_transaction(number).status is Status.DELIVERED_TO_WEB


def test_read_only_staff_look_but_do_not_release(
    delivery_app: FastAPI,
    ill_store: IllStore,
    documents: Documents,
    settings: RoutingSettings,
    tmp_path: Path,
) -> None:
    number = copy_request(ill_store, lender="US-MH")
    document = arrive(ill_store, documents, settings, tmp_path, "US-MH", str(number))
    with TestClient(delivery_app, follow_redirects=False) as reader:
        sign_in(reader, "/staff/signin", "reader", PASSWORD)
        page = reader.get("/staff/delivery/review")
        assert page.status_code == 200 and "Release to patron" not in page.text
        token = csrf_token(reader.get("/staff/delivery/unmatched").text)
        answer = reader.post(
            f"/staff/delivery/review/{document.id}/release", data={"csrf_token": token}
        )
    assert answer.status_code == 403
    assert documents.get(document.id).state is DocumentState.AWAITING_REVIEW


# Sending, and password links


def lending_request(store: IllStore) -> int:
    return store.queue(Status.AWAITING_LENDING_REQUEST_PROCESSING, ProcessType.LENDING)[0].id


def send(staff: TestClient, data: dict[str, str], content: bytes) -> Response:
    token = csrf_token(staff.get("/staff/delivery/send").text)
    answer: Response = staff.post(
        "/staff/delivery/send",
        data={**data, "csrf_token": token},
        files={"file": ("article.pdf", content, "application/pdf")},
    )
    return answer


def test_staff_queue_a_document_for_the_wire(staff: TestClient, ill_store: IllStore) -> None:
    number = lending_request(ill_store)
    answer = send(staff, {"transaction_id": str(number), "method": "wire"}, pdf_bytes())
    assert answer.status_code == 303
    sent = staff.get("/staff/delivery/sent")
    assert "Queued for Sending" in sent.text and f">{number}</a>" in sent.text


def test_staff_cannot_send_other_files(staff: TestClient, ill_store: IllStore) -> None:
    number = lending_request(ill_store)
    answer = send(staff, {"transaction_id": str(number), "method": "wire"}, b"GIF89a...")
    assert answer.status_code == 409
    assert "Only PDF and TIFF" in answer.text


def make_link(staff: TestClient, ill_store: IllStore, views: int = 2) -> str:
    number = lending_request(ill_store)
    answer = send(
        staff,
        {
            "transaction_id": str(number),
            "method": "link",
            "password": "open sesame",
            "days": "5",
            "views": str(views),
        },
        pdf_bytes(),
    )
    text = answer.text
    assert answer.status_code == 200, text
    found = re.search(r'value="http://testserver(/delivery/[^"]+)"', text)
    assert found, text
    return found[1]


def link_post(client: TestClient, url: str, password: str) -> Response:
    form = client.get(url)
    assert form.status_code == 200
    answer: Response = client.post(
        url, data={"password": password, "csrf_token": csrf_token(form.text)}
    )
    return answer


def test_a_password_link_downloads_with_the_right_password_only(
    staff: TestClient, ill_store: IllStore, delivery_app: FastAPI
) -> None:
    url = make_link(staff, ill_store)
    with TestClient(delivery_app, follow_redirects=False) as partner:
        wrong = link_post(partner, url, "guess")
        assert wrong.status_code == 403
        assert "not the password" in wrong.text
        right = link_post(partner, url, "open sesame")
        assert right.status_code == 200
        assert right.content.startswith(b"%PDF")
        assert partner.post(url, data={"password": "open sesame"}).status_code == 403  # no CSRF


def test_a_password_link_blocks_after_wrong_guesses(
    staff: TestClient, ill_store: IllStore, delivery_app: FastAPI
) -> None:
    url = make_link(staff, ill_store)
    with TestClient(delivery_app, follow_redirects=False) as partner:
        codes = [link_post(partner, url, "guess").status_code for _ in range(3)]
        assert codes == [403, 403, 429]
        assert link_post(partner, url, "open sesame").status_code == 429


def test_a_password_link_ends_after_its_views(
    staff: TestClient, ill_store: IllStore, delivery_app: FastAPI, documents: Documents
) -> None:
    url = make_link(staff, ill_store, views=1)
    with TestClient(delivery_app, follow_redirects=False) as partner:
        assert link_post(partner, url, "open sesame").status_code == 200
        gone = partner.get(url)
        assert gone.status_code == 410 and "expired" in gone.text
        assert partner.get("/delivery/" + "x" * 43).status_code == 404
    (document,) = documents.in_state(DocumentState.PURGED)
    assert not document.original_path.exists()
