"""Fixtures for browser tests: headless Chromium driven by Playwright, and the interop peers.

    chromium            Playwright's Chromium on the Debian ``chromium`` binary; skips, saying
                        what to install, when the binary or the playwright package is missing
    zebra_target, zebra_mixed_target, ztest_target
                        the real peers of tests/interop/conftest.py

Playwright never downloads a browser here: it drives the system's /usr/bin/chromium.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.interop.conftest import (  # noqa: F401  (fixtures, found by pytest by name)
    zebra_address,
    zebra_build,
    zebra_mixed_target,
    zebra_target,
    ztest_target,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests talk to real peers too: `-m "not interop"` leaves them out.
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.interop)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    # Not shared beyond one test: Playwright's sync API keeps an event loop running in this
    # thread while it is open, and every asyncio.run() of later tests would then fail.
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: install Debian package chromium (make peers)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("playwright not installed: .venv/bin/pip install -e '.[dev]'")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
