"""The directory pages in headless Chromium: whatever a ZeeRex record or a hand-added target
says is shown as text, and no script from the directory ever runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shelfnet.directory.importer import import_paths
from shelfnet.directory.model import Address, Target
from shelfnet.directory.store import open_store
from shelfnet.search.targets import TargetList
from shelfnet.web.app import create_app
from tests.unit.directory.records import zeerex
from tests.unit.directory.syncpeers import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog

IMPORTED_TITLE = "Maps < 1800 & atlases > 2 kg <3"
IMPORTED_DESCRIPTION = "Rare books: a < b & c > d, tags like &lt; stay text"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>'


@pytest.fixture
def directory_url(tmp_path: Path) -> Iterator[str]:
    record = tmp_path / "record.xml"
    record.write_bytes(zeerex(title=IMPORTED_TITLE, description=IMPORTED_DESCRIPTION))
    location = tmp_path / "directory.sqlite"
    with open_store(location) as store:
        report = import_paths([record], store)
        assert report.imported == 1, report
        # Straight into the store, past the importer's checks: the page must still cope.
        store.add(Target(Address("hostile.example.org", 210, ("db",)), name=HOSTILE))
    app = create_app(TargetList(), directory=location)
    with serving(app) as url:  # type: ignore[arg-type]
        yield url.rstrip("/")


def test_directory_texts_show_literally_and_run_no_script(
    chromium: Browser, directory_url: str
) -> None:
    page = chromium.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{directory_url}/directory")
    rows = page.locator("table.targets tbody tr")
    assert rows.count() == 2
    names = page.locator("table.targets tbody td:first-child a").all_inner_texts()
    assert IMPORTED_TITLE in names and HOSTILE in names
    page.get_by_text(IMPORTED_TITLE).click()
    page.wait_for_url("**/directory/targets/*")
    assert page.locator("h1.target-name").inner_text() == IMPORTED_TITLE
    assert page.locator("dd.description").inner_text() == IMPORTED_DESCRIPTION
    page.goto(f"{directory_url}/directory")
    page.get_by_text(HOSTILE).click()
    page.wait_for_url("**/directory/targets/*")
    assert page.locator("h1.target-name").inner_text() == HOSTILE
    page.wait_for_timeout(300)
    assert page.locator("main img, main script, main b").count() == 0
    assert dialogs == []
    page.goto(f"{directory_url}/directory?q=hostile")
    assert page.locator("main img, main script").count() == 0
    assert dialogs == []
    page.close()
