"""The record editor in headless Chromium: a found record opened from its page, checked as
it is typed, edited, run through a macro whose diff is shown, saved and downloaded.

The app searches the scripted stand-in targets of the unit tests (tests/unit/web/fakes.py)
and is served by uvicorn in a thread, so only the browser is real here."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pymarc
import pytest

from shelfnet.web.app import create_app
from shelfnet.web.editor_routes import install
from tests.unit.directory.syncpeers import serving
from tests.unit.web.fakes import TARGETS, scripted_search

if TYPE_CHECKING:
    from playwright.sync_api import Browser

MACRO = "add_049"


@pytest.fixture
def web_url() -> Iterator[str]:
    ids = (f"s{n}" for n in itertools.count(1))
    app = create_app(TARGETS, search=scripted_search, new_id=lambda: next(ids), stream_interval=0)
    install(app)
    with serving(app) as url:
        yield url


def test_a_found_record_is_edited_run_through_a_macro_saved_and_downloaded(
    chromium: Browser, web_url: str, tmp_path: Path
) -> None:
    page = chromium.new_page(accept_downloads=True)
    page.goto(web_url)
    page.fill("#query", "ti=blue")
    page.click("form.search button[type=submit]")
    page.wait_for_selector('#results[data-finished="yes"]', timeout=10_000)

    # From the record page, Edit opens the editor on that record.
    page.locator("tr.cluster a.record").first.click()
    page.wait_for_selector("dl.labelled")
    page.click("#edit-record")
    page.wait_for_selector('#editor[data-live="yes"]')
    assert (page.text_content("#flavour") or "").strip() == "MARC 21"
    text = page.input_value("#text")
    assert text.startswith("=LDR  ")

    # Typing checks the text: a bad indicator is marked on its line, then fixed.
    title_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith("=245"))
    page.fill("#text", re.sub(r"^=245  \d", "=245  9", text, flags=re.M))
    error = page.locator(f'#problems li.error[data-line="{title_line}"]')
    error.wait_for()
    assert "indicator 1" in (error.text_content() or "")
    assert page.locator("#gutter span.error").count() == 1
    edited = re.sub(r"^(=245  ..\$a)[^$]*", r"\1Edited in Chromium /", text, flags=re.M)
    page.fill("#text", edited)
    page.wait_for_selector("#problems li.error", state="detached")
    row = page.locator(f'#fields tr[data-line="{title_line}"] td.subfields')
    assert "Edited in Chromium /" in (row.text_content() or "")

    # A macro runs on the typed text; its diff shows before anything is applied.
    page.select_option("#macro", MACRO)
    page.click("#run-macro")
    page.wait_for_selector("#macro-diff")
    added = page.locator("#macro-diff span.add").all_text_contents()
    assert any(line.startswith("+=049") for line in added)
    assert page.input_value("#text") == edited
    page.click("#apply-macro")
    page.wait_for_selector("p.notice")
    assert "=049  " in page.input_value("#text")
    assert page.is_enabled("#undo")

    # The download is the saved record: the edit and the macro's change.
    page.select_option("#format", "marc")
    with page.expect_download() as download_info:
        page.click("#download")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.suffix == ".mrc"
    with saved.open("rb") as handle:
        records = [r for r in pymarc.MARCReader(handle, to_unicode=True) if r is not None]
    assert len(records) == 1
    assert records[0]["245"]["a"] == "Edited in Chromium /"
    assert records[0]["049"]["a"] == "XXXA"
