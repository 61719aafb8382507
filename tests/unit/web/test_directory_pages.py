"""The directory pages: browse and search targets, a target's probe history, the ports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shelfnet.config import Settings
from shelfnet.directory.model import Address, Origin, ProbeResult, Target, TargetStatus
from shelfnet.directory.store import DirectoryStore, open_store
from shelfnet.search.targets import TargetList
from shelfnet.web.app import app_from_settings, create_app
from shelfnet.web.directory_routes import PAGE_SIZE

WHEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def location(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "directory.sqlite"
    with open_store(path) as store:
        fill(store)
    yield path


def fill(store: DirectoryStore) -> None:
    for number in range(PAGE_SIZE + 5):
        target = Target(
            Address(f"z{number}.example.org", 210 + number % 3, ("books",)),
            name=f"Library {number:03}",
            institution="Fjord University" if number == 7 else "",
            groups=("nordic",) if number < 3 else (),
            status=TargetStatus.RETIRED if number == 4 else TargetStatus.ACTIVE,
        )
        store.add(target, origin=Origin.IMPORTED)
    first = store.targets()[0].id
    store.record_probe(first, ProbeResult(WHEN, reachable=False))
    store.record_probe(first, ProbeResult(WHEN + timedelta(hours=1), True, True, True, hits=3))
    store.record_probe(first, ProbeResult(WHEN + timedelta(hours=2), True, source="Other lib"))


@pytest.fixture
def client(location: Path) -> Iterator[TestClient]:
    with TestClient(create_app(TargetList(), directory=location)) as client:
        yield client


def test_the_directory_lists_targets_a_page_at_a_time(client: TestClient) -> None:
    page = client.get("/directory")
    assert page.status_code == 200
    assert f"{PAGE_SIZE + 5} targets, page 1 of 2" in page.text
    assert "Library 000" in page.text and f"Library {PAGE_SIZE:03}" not in page.text
    second = client.get("/directory", params={"page": 2})
    assert f"Library {PAGE_SIZE:03}" in second.text


def test_text_search_and_filters_narrow_the_list(client: TestClient) -> None:
    assert "1 target." in client.get("/directory", params={"q": "fjord"}).text
    by_host = client.get("/directory", params={"q": "z12.example"}).text
    assert "Library 012" in by_host and "1 target." in by_host
    assert "3 targets." in client.get("/directory", params={"group": "nordic"}).text
    retired = client.get("/directory", params={"status": "retired"}).text
    assert "1 target." in retired and "Library 004" in retired
    assert client.get("/directory", params={"status": "gone"}).status_code == 400


def test_a_target_shows_its_probes_from_every_source_newest_first(client: TestClient) -> None:
    detail = client.get("/directory/targets/1")
    assert detail.status_code == 200
    text = detail.text
    assert "Library 000" in text
    newest, middle, oldest = (
        text.index("2026-11-23T11:00:00"),
        text.index("2026-11-23T10:00:00"),
        text.index("2026-11-23T09:00:00"),
    )
    assert newest < middle < oldest
    assert "Other lib" in text and "shelfnet" in text
    assert client.get("/directory/targets/9999").status_code == 404


def test_the_ports_table_counts_targets_per_port(client: TestClient) -> None:
    text = client.get("/directory/ports").text
    assert "<td>210</td><td>z3950</td><td>19</td>" in text


def test_without_a_directory_the_pages_say_so(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite"
    with TestClient(create_app(TargetList(), directory=missing)) as client:
        for path in ("/directory", "/directory/targets/1", "/directory/ports"):
            page = client.get(path)
            assert page.status_code == 200
            assert "There is no target directory yet" in page.text
    assert not missing.exists()


def test_directory_texts_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "directory.sqlite"
    with open_store(path) as store:
        store.add(Target(Address("x.example.org", 210, ("db",)), name="<b>bold</b> & <i>"))
    with TestClient(create_app(TargetList(), directory=path)) as client:
        for url in ("/directory", "/directory/targets/1"):
            text = client.get(url).text
            assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;" in text and "<b>bold" not in text


def test_the_search_page_links_the_directory(client: TestClient) -> None:
    text = client.get("/").text
    assert 'href="http://testserver/directory"' in text


def test_the_served_app_finds_the_directory_in_the_data_folder(location: Path) -> None:
    settings = Settings()
    settings = replace(settings, data=replace(settings.data, dir=location.parent))
    with TestClient(app_from_settings(settings)) as client:
        assert "Library 000" in client.get("/directory").text
