"""A delivered article in headless Chromium: the patron signs in, opens the request and
downloads the PDF, whose first page is the cover sheet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from argon2 import PasswordHasher
from fpdf import FPDF
from pypdf import PdfReader

from shelfnet.ill.delivery.documents import Documents, DocumentState
from shelfnet.ill.delivery.links import LinkSettings
from shelfnet.ill.delivery.routing import Received, RoutingSettings, route
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import open_ill_store
from shelfnet.ill.workflow import Action
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from shelfnet.web.delivery_routes import DeliveryWeb, configure
from shelfnet.web.delivery_routes import router as delivery_router
from shelfnet.web.ill_access import IllWeb
from tests.unit.directory.syncpeers import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PASSWORD = "correct horse battery"
ARTICLE = "Catalysis in flow, revisited"


@dataclass(frozen=True)
class Site:
    url: str
    request: int


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    store = open_ill_store(tmp_path / "ill.sqlite")
    fill_sample(store)
    patron = store.find_patron("mjones")
    assert patron is not None
    hashed = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1).hash(PASSWORD)
    store.update_patron(replace(patron, password_hash=hashed))
    draft = TransactionDraft(
        ProcessType.BORROWING,
        RequestType.COPY,
        DocumentType.ARTICLE,
        Citation(journal_title="Nature", article_title=ARTICLE, year="2024"),
        patron_id=patron.id,
        lender_string=("US-CST",),
    )
    number = store.create_transaction(draft, by="admin").id
    store.apply_action(number, Action.SEND_REQUEST, "admin")
    article = FPDF()
    for page in (1, 2):
        article.add_page()
        article.set_font("helvetica", size=14)
        article.cell(0, 10, f"Article text, page {page}")
    body = tmp_path / "body.pdf"
    body.write_bytes(bytes(article.output()))
    settings = RoutingSettings(tmp_path / "delivery", LinkSettings(days=7, views=3))
    received = Received("US-CST", "TEST", str(number), "", "application/pdf", body, "0" * 64, 1)
    routed = route(store, Documents(store.engine), received, settings)
    assert routed.document.state is DocumentState.DELIVERED
    app = create_app(TargetList(), ill=IllWeb(store, symbol="TEST", min_failure_seconds=0))
    if not any(getattr(r, "name", "") == "patron_file" for r in app.router.routes):
        app.include_router(delivery_router)
    configure(app, DeliveryWeb(settings))
    with serving(app) as url:
        yield Site(url.rstrip("/"), number)
    store.close()


def test_the_patron_downloads_the_delivered_article_with_its_cover(
    chromium: Browser, site: Site, tmp_path: Path
) -> None:
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(f"{site.url}/ill/signin")
    page.fill("input[name=username]", "mjones")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site.url}/ill/**")
    page.goto(f"{site.url}/ill/requests/{site.request}")
    assert ARTICLE in page.locator("h1").inner_text()
    link = page.locator("section.delivery a.download")
    assert link.count() == 1
    with page.expect_download() as started:
        link.click()
    download = started.value
    assert download.suggested_filename == f"ill-request-{site.request}.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    reader = PdfReader(saved)
    assert len(reader.pages) == 3
    cover = reader.pages[0].extract_text()
    assert str(site.request) in cover and ARTICLE in cover and "Title 17" in cover
    assert "Article text, page 1" in reader.pages[1].extract_text()
    context.close()
