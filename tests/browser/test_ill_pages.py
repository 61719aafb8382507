"""The ILL pages in headless Chromium, end to end: a patron arrives from a discovery system's
OpenURL, signs in and asks for an article; staff take it through the queues to delivery;
the patron's feed shows every change; another patron can neither see nor change it, by page
or by API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.ill.workflow import Status
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from shelfnet.web.ill_access import IllWeb
from tests.unit.directory.syncpeers import serving
from tests.unit.web.ill.conftest import FAST_HASHER, PASSWORD, _set_staff_password

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ATOM = "{http://www.w3.org/2005/Atom}"
ARTICLE = "Modal harmony in <script>alert(1)</script> jazz"
OPENURL = urlencode(
    {
        "url_ver": "Z39.88-2004",
        "rft_val_fmt": "info:ofi/fmt:kev:mtx:journal",
        "rfr_id": "info:sid/discovery.example.edu",
        "rft.genre": "article",
        "rft.atitle": ARTICLE,
        "rft.jtitle": "Notes",
        "rft.issn": "0027-4380",
        "rft.date": "2019-03",
        "rft.volume": "75",
        "rft.issue": "3",
        "rft.spage": "401",
        "rft.epage": "420",
    }
)
STAFF_STEPS = ("send_request", "mark_received", "deliver_to_web")
"""What staff press after opening the request (Start processing too, when offered)."""


@dataclass
class Site:
    base: str
    store: IllStore


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    store = open_ill_store(tmp_path / "ill.sqlite")
    fill_sample(store)
    hashed = FAST_HASHER.hash(PASSWORD)
    for patron in store.patrons():
        store.update_patron(replace(patron, password_hash=hashed))
    _set_staff_password(store, "admin", hashed)
    app = create_app(TargetList(), ill=IllWeb(store, min_failure_seconds=0))
    with serving(app) as base:  # type: ignore[arg-type]
        yield Site(base, store)
    store.close()


def _sign_in(page: Page, username: str) -> None:
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _no_dialogs(page: Page) -> list[str]:
    seen: list[str] = []

    def on_dialog(dialog: object) -> None:
        seen.append(getattr(dialog, "message", ""))
        getattr(dialog, "dismiss")()  # noqa: B009

    page.on("dialog", on_dialog)
    return seen


def test_openurl_request_through_the_queues_to_delivery(chromium: Browser, site: Site) -> None:
    # The patron follows a link from the discovery system and is asked to sign in first.
    patron = chromium.new_context().new_page()
    dialogs = _no_dialogs(patron)
    patron.goto(f"{site.base}/ill/openurl?{OPENURL}")
    patron.wait_for_url("**/ill/signin?next=*")
    _sign_in(patron, "mjones")
    patron.wait_for_url("**/ill/openurl?*")
    assert patron.input_value("input[name=article_title]") == ARTICLE
    assert patron.input_value("input[name=journal_title]") == "Notes"
    assert patron.input_value("input[name=pages]") == "401-420"
    patron.check("input[name=copyright_ok]")
    patron.get_by_role("button", name="Send the request").click()
    patron.wait_for_url("**/ill/requests/*")
    number = int(patron.url.split("?")[0].rstrip("/").rsplit("/", 1)[1])
    assert ARTICLE in patron.locator("main").inner_text()
    patron.goto(f"{site.base}/ill/")
    assert patron.locator(f"a[href='/ill/requests/{number}']").count() >= 1
    assert patron.locator("main script").count() == 0

    # Staff find it in its queue and take it to delivery.
    staff = chromium.new_context().new_page()
    staff.goto(f"{site.base}/staff/signin")
    _sign_in(staff, "admin")
    staff.wait_for_url("**/staff/")
    status = site.store.get_transaction(number).status
    staff.locator(f"a[href='/staff/queue/borrowing/{status.value}']").click()
    staff.locator(f"a[href='/staff/transactions/{number}']").first.click()
    staff.wait_for_url(f"**/staff/transactions/{number}")
    if staff.locator("button[value=start_processing]").count():
        staff.click("button[value=start_processing]")
        staff.goto(f"{site.base}/staff/transactions/{number}")
    for action in STAFF_STEPS:
        staff.click(f"button[value={action}]")
        staff.wait_for_load_state()
        staff.goto(f"{site.base}/staff/transactions/{number}")
    assert site.store.get_transaction(number).status is Status.DELIVERED_TO_WEB

    # The patron's page and feed follow every change.
    patron.goto(f"{site.base}/ill/requests/{number}")
    assert "Delivered to Web" in patron.locator("main").inner_text()
    patron.goto(f"{site.base}/ill/")
    feed_url = patron.locator("section.feed a").first.get_attribute("href")
    assert feed_url
    answer = patron.request.get(feed_url if feed_url.startswith("http") else site.base + feed_url)
    assert answer.ok
    feed = ElementTree.fromstring(answer.body())
    titles = " | ".join(e.findtext(f"{ATOM}title") or "" for e in feed.iter(f"{ATOM}entry"))
    for shown in ("Request Sent", "Awaiting Post Receipt Processing", "Delivered to Web"):
        assert shown in titles, titles
    assert dialogs == [], "no script from a title ever ran"


def test_another_patron_can_neither_see_nor_change_the_request(
    chromium: Browser, site: Site
) -> None:
    owner = site.store.find_patron("mjones")
    assert owner is not None
    [mine, *_] = site.store.transactions_for_patron(owner.id)
    before = site.store.get_transaction(mine.id)
    other = chromium.new_context().new_page()
    other.goto(f"{site.base}/ill/signin")
    _sign_in(other, "tnguyen")
    other.wait_for_url("**/ill/")
    assert other.locator(f"a[href='/ill/requests/{mine.id}']").count() == 0

    page = other.goto(f"{site.base}/ill/requests/{mine.id}")
    assert page is not None and page.status == 404
    api = other.request.get(f"{site.base}/api/v1/me/requests/{mine.id}")
    assert api.status == 404
    me = other.request.get(f"{site.base}/api/v1/me")
    token = me.headers.get("x-csrf-token", "")
    assert token, "the API hands a signed-in browser its CSRF token"
    for path in (f"/ill/requests/{mine.id}/cancel", f"/ill/requests/{mine.id}/renew"):
        posted = other.request.post(
            site.base + path,
            form={"csrf_token": token, "expected_version": str(before.version)},
        )
        assert posted.status == 404, path
    cancelled = other.request.post(
        f"{site.base}/api/v1/me/requests/{mine.id}/cancel",
        headers={"X-CSRF-Token": token},
        data={"expected_version": before.version},
    )
    assert cancelled.status == 404
    after = site.store.get_transaction(mine.id)
    assert (after.status, after.version) == (before.status, before.version)
