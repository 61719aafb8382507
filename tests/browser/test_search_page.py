"""The federated-search page in headless Chromium, served by ``shelfnet serve web`` as users
run it: results appear while a slow target still searches, records open, downloads hold the
best records of the ticked clusters."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pymarc
import pytest

from tests.peers import Target

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

SLOW = "ztest slow"
SEARCH_DELAY = 4
START_TIMEOUT = 30.0


@pytest.fixture(scope="module")
def web_url(
    tmp_path_factory: pytest.TempPathFactory,
    zebra_target: Target,
    zebra_mixed_target: Target,
    ztest_target: Target,
) -> Iterator[str]:
    """``shelfnet serve web`` in a child process, with a targets file of three targets."""
    folder = tmp_path_factory.mktemp("web")
    (folder / "targets.toml").write_text(
        f'[[target]]\nname = "zebra jazz"\naddress = "{zebra_target.zurl}"\n'
        f'[[target]]\nname = "zebra mixed"\naddress = "{zebra_mixed_target.zurl}"\n'
        f'[[target]]\nname = "{SLOW}"\n'
        f'address = "{ztest_target.zurl}?search-delay={SEARCH_DELAY}"\n',
        encoding="utf-8",
    )
    config = folder / "shelfnet.toml"
    config.write_text(
        '[web]\nport = 0\n[search]\ntargets = "targets.toml"\nmax_records = 10\ntimeout = 15\n',
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "shelfnet", "serve", "web", "--config", str(config)]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        yield _announced_url(process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _announced_url(process: subprocess.Popen[str]) -> str:
    """The URL from ``listening: web     http://...`` on the server's stderr."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.startswith("listening: web"):
            return line.split()[-1]
    raise RuntimeError(f"shelfnet serve web did not start:\n{''.join(seen)}")


def _phase(page: Page, target: str) -> str:
    return (page.text_content(f'tr[data-target="{target}"] td.phase') or "").strip()


def test_results_stream_in_records_open_and_downloads_hold_the_best_records(
    chromium: Browser, web_url: str, tmp_path: Path
) -> None:
    page = chromium.new_page(accept_downloads=True)
    page.goto(web_url)
    page.fill("#query", "ti=blue")
    started = time.monotonic()
    page.click("form.search button[type=submit]")

    # Records from the fast targets are on the page while the slow one still searches.
    page.wait_for_selector("tr.cluster", timeout=10_000)
    first_rows = time.monotonic() - started
    assert _phase(page, SLOW) == "searching"
    assert _phase(page, "zebra jazz") == "done"
    page.evaluate("window.sameDocument = true")
    page.locator("tr.cluster input[name=cluster]").first.check()
    early_rows = page.locator("tr.cluster").count()

    # Then the slow target answers; its records come in through the event stream.
    page.wait_for_selector('#results[data-finished="yes"]', timeout=30_000)
    finished = time.monotonic() - started
    assert _phase(page, SLOW) == "done"
    assert page.evaluate("window.sameDocument") is True  # no reload
    assert page.locator("tr.cluster").count() > early_rows
    assert page.locator("tr.cluster input[name=cluster]").first.is_checked()
    assert first_rows < SEARCH_DELAY <= finished

    # A record opens in its labelled form.
    first = page.locator("tr.cluster").first
    headline = (first.locator("td.title").text_content() or "").strip()
    first.locator("a.record").click()
    page.wait_for_selector("dl.labelled")
    title = page.locator("dl.labelled dt:text-is('Title') + dd").text_content() or ""
    assert title and headline.startswith(title.strip())
    page.go_back()

    # Tick clusters, download MARC: exactly the best records of those clusters.
    rows = page.locator("tr.cluster")
    picked = [0, 1, rows.count() - 1]
    for index in picked:
        rows.nth(index).locator("input[name=cluster]").check()
    expected = [rows.nth(i).get_attribute("data-control-number") for i in picked]
    page.select_option("#format", "marc")
    with page.expect_download() as download_info:
        page.click("#download")
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    assert saved.suffix == ".mrc"
    with saved.open("rb") as handle:
        records = [r for r in pymarc.MARCReader(handle, force_utf8=True) if r is not None]
    assert [r["001"].data.strip() for r in records] == expected
    print(f"first rows after {first_rows:.2f} s, finished after {finished:.2f} s")
