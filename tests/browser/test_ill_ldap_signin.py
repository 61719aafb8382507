"""A patron signs in to the ILL pages in headless Chromium with their campus directory
password (a real slapd the suite starts), becomes a shelfnet patron on the way, and sees only
their own requests."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shelfnet.ill.model import (
    Citation,
    DocumentType,
    Patron,
    PatronStatus,
    ProcessType,
    RequestType,
    TransactionDraft,
)
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from shelfnet.web.ill_access import IllWeb
from tests.ldapserver import (
    PASSWORDS,
    PEOPLE,
    Directory,
    MissingSlapd,
    require_slapd,
    start_directory,
)
from tests.unit.directory.syncpeers import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

JANES_BOOK = "Kind of Blue: the making of a masterpiece"
SOMEONE_ELSES = "A Love Supreme: the story of an album"


@pytest.fixture(scope="module")
def directory() -> Iterator[Directory]:
    try:
        require_slapd()
    except MissingSlapd as missing:
        pytest.skip(str(missing))
    with (
        tempfile.TemporaryDirectory(prefix="shelfnet-slapd-") as root,
        start_directory(Path(root) / "slapd") as running,
    ):
        yield running


@pytest.fixture
def site(directory: Directory, tmp_path: Path) -> Iterator[tuple[str, IllStore]]:
    auth = (
        {
            "kind": "ldap",
            "url": directory.url,
            "bind_dn": f"uid={{username}},{PEOPLE}",
            "allowed_base": PEOPLE,
            "locked_filter": "(shelfnetLocked=TRUE)",
            "mapping": {
                "status": [{"attribute": "employeeType", "value": "faculty", "status": "faculty"}]
            },
        },
    )
    with open_ill_store(tmp_path / "ill.sqlite") as store:
        other = store.create_patron(Patron("someone", "Some", "One", status=PatronStatus.STAFF))
        store.create_transaction(_loan(SOMEONE_ELSES, other.id), by="someone")
        app = create_app(TargetList(), ill=IllWeb(store, auth=auth, min_failure_seconds=0))
        with serving(app) as url:  # type: ignore[arg-type]
            yield url, store


def _loan(title: str, patron_id: int) -> TransactionDraft:
    return TransactionDraft(
        ProcessType.BORROWING,
        RequestType.LOAN,
        DocumentType.BOOK,
        Citation(title=title, author="Kahn, Ashley"),
        patron_id=patron_id,
    )


def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/ill/signin")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="Sign in").click()


def test_a_patron_signs_in_through_ldap_and_sees_only_their_requests(
    chromium: Browser, site: tuple[str, IllStore]
) -> None:
    base, store = site
    assert store.find_patron("jane") is None
    page = chromium.new_context().new_page()
    _sign_in(page, base, "jane", "not jane's password")
    assert "The username or password is not right." in page.locator("main").inner_text()
    _sign_in(page, base, "jane", PASSWORDS["jane"])
    page.wait_for_url(f"{base}/ill/")
    page.goto(f"{base}/ill/request/loan")
    page.fill("input[name=title]", JANES_BOOK)
    page.fill("input[name=author]", "Kahn, Ashley")
    page.get_by_role("button", name="Send the request").click()
    page.wait_for_url("**/ill/requests/*")
    page.goto(f"{base}/ill/")
    listed = page.locator("main table").inner_text()
    assert JANES_BOOK in listed
    assert SOMEONE_ELSES not in listed
    jane = store.find_patron("jane")
    assert jane is not None, "the first sign-in made jane a patron"
    assert jane.status is PatronStatus.FACULTY, "mapped from the directory's employeeType"
    assert jane.email == "jane@example.org" and jane.password_hash is None


def test_locked_and_outside_accounts_are_refused_alike(
    chromium: Browser, site: tuple[str, IllStore]
) -> None:
    base, _store = site
    page = chromium.new_context().new_page()
    _sign_in(page, base, "eve", PASSWORDS["eve"])  # a real account outside ou=people
    refused = page.locator("#signin-error").inner_text()
    _sign_in(page, base, "nobody", "whatever")
    assert page.locator("#signin-error").inner_text() == refused
    _sign_in(page, base, "locked", PASSWORDS["locked"])
    assert "blocked" in page.locator("#signin-error").inner_text()
