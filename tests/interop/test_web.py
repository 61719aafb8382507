"""The federated-search web page against real targets (zebrasrv, yaz-ztest, a dead port),
driven in-process: what the page lists is what the targets sent, and downloads hold it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pymarc
import pytest
from fastapi.testclient import TestClient

from shelfnet.marc import from_mnemonic, parse_marcxml
from shelfnet.search.engine import SearchLimits
from shelfnet.search.targets import TargetList, TargetSpec
from shelfnet.web.app import create_app
from tests.peers import LOOPBACK, Target, free_port, zoomsh_hits
from tests.unit.web.pages import cluster_rows, download, finished_page, squash, start_search

QUERY = "ti=blue"
TARGETS = ("zebra jazz", "zebra mixed", "ztest", "dead")


@pytest.fixture(scope="module")
def targets(zebra_target: Target, zebra_mixed_target: Target, ztest_target: Target) -> TargetList:
    specs = [
        TargetSpec("zebra jazz", zebra_target.zurl),
        TargetSpec("zebra mixed", zebra_mixed_target.zurl),
        TargetSpec("ztest", ztest_target.zurl),
        TargetSpec("dead", f"{LOOPBACK}:{free_port()}/Default"),
    ]
    return TargetList({spec.name: spec for spec in specs}, {"zebra": ("zebra jazz", "zebra mixed")})


@pytest.fixture(scope="module")
def client(targets: TargetList) -> Iterator[TestClient]:
    app = create_app(targets, SearchLimits(max_records=10, timeout=10), new_id=lambda: "blue")
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def page(client: TestClient) -> str:
    return start_search(client, QUERY, TARGETS)


@pytest.fixture(scope="module")
def html(client: TestClient, page: str) -> str:
    return finished_page(client, page)


def _status(html: str, target: str) -> dict[str, str]:
    row = re.search(rf'<tr class="phase-\w+" data-target="{target}">(.*?)</tr>', html, re.S)
    assert row is not None, target
    cells = re.findall(r'<td class="(\w+)">(.*?)</td>', row[1], re.S)
    return {name: squash(value) for name, value in cells}


def test_every_target_ends_with_its_own_status(html: str, zebra_target: Target) -> None:
    jazz = _status(html, "zebra jazz")
    assert jazz["phase"] == "done"
    assert int(jazz["hits"]) == zoomsh_hits(zebra_target, "@attr 1=4 blue")
    assert jazz["records"] == "10"
    assert (_status(html, "zebra mixed")["phase"], _status(html, "zebra mixed")["hits"]) == (
        "done",
        "0",
    )
    assert _status(html, "ztest")["phase"] == "done"
    dead = _status(html, "dead")
    assert dead["phase"] == "failed" and "refused" in dead["message"].lower()
    assert 'data-finished="yes"' in html and "Finished: 4 of 4 targets answered" in squash(html)


def test_the_cluster_list_holds_every_record_the_targets_sent(html: str) -> None:
    rows = cluster_rows(html)
    listed = re.findall(r"<td class=\"holders\">(\d+) from", html)
    assert sum(int(count) for count in listed) == 20  # 10 from jazz, 10 from ztest
    assert len(rows) == len(listed) and all(control for _, control in rows)


def test_a_record_view_shows_the_record_the_target_sent(client: TestClient, html: str) -> None:
    link = re.search(r'<a class="record" href="[^"]*(/search/blue/records/0/\d+)">', html)
    assert link is not None
    view = client.get(link[1]).text
    title = re.search(r"<dt>Title</dt>\s*<dd>([^<]*)</dd>", view)
    assert title is not None and "blue" in title[1].lower()
    assert "=LDR  " in view and "Quality score:" in view


def test_the_cluster_view_compares_the_duplicates_ztest_sent(client: TestClient, html: str) -> None:
    both = re.search(
        r'data-cluster="(\d+)"[^>]*>(?:(?!</tr>).)*?<td class="holders">2 from', html, re.S
    )
    assert both is not None
    view = client.get(f"/search/blue/clusters/{both[1]}").text
    assert re.findall(r"<th><a href=[^>]*>(ztest #\d+)</a>", view).__len__() == 2


def _parse(fmt: str, body: bytes) -> list[pymarc.Record]:
    if fmt in ("marc", "marc8"):
        reader = pymarc.MARCReader(io.BytesIO(body), to_unicode=True, force_utf8=fmt == "marc")
        return [record for record in reader if record is not None]
    if fmt == "marcxml":
        return parse_marcxml(body)
    return [from_mnemonic(chunk) for chunk in body.decode("utf-8").split("\n\n")]


@pytest.mark.parametrize("fmt", ["marc", "marc8", "marcxml", "mrk"])
def test_downloads_hold_the_best_record_of_each_ticked_cluster(
    client: TestClient, page: str, html: str, fmt: str
) -> None:
    ticked = cluster_rows(html)[::3]
    body, _headers = download(client, page, [number for number, _ in ticked], fmt)
    records = _parse(fmt, body)
    assert [(r["001"].data or "").strip() for r in records] == [control for _, control in ticked]
