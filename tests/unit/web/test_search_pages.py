"""The federated-search pages, driven in-process with a scripted stand-in for the targets."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator

import pymarc
import pytest
from fastapi.testclient import TestClient

from shelfnet.config import Settings
from shelfnet.marc import from_mnemonic, parse_marcxml
from shelfnet.web.app import app_from_settings, configured_targets, create_app
from tests.unit.web.fakes import RECORDS, TARGETS, GatedSearch, scripted_search
from tests.unit.web.pages import (
    cluster_rows,
    download,
    events,
    finished_page,
    squash,
    start_search,
)

SOURCES = {record["001"].data: record for records in RECORDS.values() for record in records}


def counter() -> Iterator[str]:
    return (f"s{n}" for n in itertools.count(1))


@pytest.fixture
def client() -> Iterator[TestClient]:
    ids = counter()
    app = create_app(TARGETS, search=scripted_search, new_id=lambda: next(ids), stream_interval=0)
    with TestClient(app) as test_client:
        yield test_client


def test_the_search_page_offers_every_target_group_and_query_language(client: TestClient) -> None:
    page = squash(client.get("/").text)
    for name in ("alpha", "beta", "broken"):
        assert f'name="target" value="{name}" checked' in page
    assert 'name="group" value="good ones"' in page
    assert re.findall(r'name="language" value="(\w+)"', page) == ["ccl", "cql", "pqf"]
    assert 'value="ccl" checked' in page


def test_without_a_targets_file_the_local_catalogue_is_the_target() -> None:
    listed = configured_targets(Settings())
    assert [(t.name, t.address) for t in listed.targets.values()] == [
        ("local catalogue", "127.0.0.1:2100/Default")
    ]
    with TestClient(app_from_settings(Settings())) as local:
        assert 'value="local catalogue"' in local.get("/").text


def test_a_search_streams_statuses_and_ranked_clusters_until_every_target_ended(
    client: TestClient,
) -> None:
    page = start_search(client, "ti=blue", ["alpha", "beta", "broken"])
    assert page.endswith("/search/s1")
    messages = events(client, page)
    assert {name for name, _ in messages} == {"update"}
    assert [data["finished"] for _, data in messages][-1] is True
    assert all(data["finished"] is False for _, data in messages[:-1])
    last = messages[-1][1]
    status = str(last["status"])
    assert re.search(r'data-target="alpha">.*?class="phase">done<', status, re.S)
    assert re.search(r'data-target="broken">.*?class="phase">failed<', status, re.S)
    assert "Bib-1 109: Database unavailable (Books)" in status
    assert "1.2 s" in status  # elapsed: finished - started
    progress = squash(str(last["progress"]))
    assert "Finished: 3 of 3 targets answered, 4 records in 3 clusters" in progress


def test_the_results_page_ranks_clusters_with_the_best_record_first(client: TestClient) -> None:
    html = finished_page(client, start_search(client, "ti=blue", groups=["good ones"]))
    rows = cluster_rows(html)
    assert len(rows) == 3
    # Kind of blue, held by both targets: the full-level record beats the minimal one.
    assert "kob-1" in [control for _, control in rows]
    assert "kob-2" not in [control for _, control in rows]
    assert "2 from alpha, beta" in html
    assert 'data-target="broken"' not in html  # the group did not name it


def test_everything_a_target_sends_is_escaped(client: TestClient) -> None:
    html = finished_page(client, start_search(client, "blue", ["beta"]))
    assert "<script>alert" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;blue&#39;)&lt;/script&gt; &amp; co" in html


def test_the_record_view_labels_the_fields_and_explains_the_score(client: TestClient) -> None:
    html = finished_page(client, start_search(client, "ti=blue", ["alpha"]))
    link = re.search(r'href="[^"]*(/search/s1/records/0/1)"', html)
    assert link is not None
    record = client.get(link[1]).text
    assert re.search(r"<dt>Title</dt>\s*<dd>Kind of blue</dd>", record)
    assert re.search(r"<dt>ISBN</dt>\s*<dd>0-306-40615-2</dd>", record)
    assert "<dd>Jazz -- 1951-1960</dd>" in record
    assert re.search(r"<dt>Publisher</dt>\s*<dd>Columbia</dd>", record)
    assert "=245  10$aKind of blue /$cMiles Davis." in record
    assert "+20 full level" in record and "Quality score:" in record
    assert "Record syntax usmarc" in record


def test_the_cluster_view_sets_duplicate_records_side_by_side(client: TestClient) -> None:
    html = finished_page(client, start_search(client, "ti=blue", ["alpha", "beta"]))
    number = next(n for n, control in cluster_rows(html) if control == "kob-1")
    view = client.get(f"/search/s1/clusters/{number}").text
    headers = re.findall(r"<th><a href=[^>]*>([^<]*)</a>", view)
    assert headers == ["alpha #1", "beta #1"]
    assert re.search(r'<tr class="differs">\s*<th>001</th>\s*<td><div>kob-1</div></td>', view)
    assert re.search(r'<tr class="same">\s*<th>100</th>', view)


def _records(fmt: str, body: bytes) -> list[pymarc.Record]:
    if fmt in ("marc", "marc8"):
        reader = pymarc.MARCReader(io.BytesIO(body), to_unicode=True, force_utf8=fmt == "marc")
        return [record for record in reader if record is not None]
    if fmt == "marcxml":
        return parse_marcxml(body)
    return [from_mnemonic(chunk) for chunk in body.decode("utf-8").split("\n\n")]


@pytest.mark.parametrize(
    ("fmt", "suffix", "media_type"),
    [
        ("marc", ".mrc", "application/marc"),
        ("marc8", ".mrc", "application/marc"),
        ("marcxml", ".xml", "application/marcxml+xml"),
        ("mrk", ".mrk", "text/plain; charset=utf-8"),
    ],
)
def test_downloads_hold_the_best_record_of_each_ticked_cluster(
    client: TestClient, fmt: str, suffix: str, media_type: str
) -> None:
    page = start_search(client, "ti=blue", ["alpha", "beta"])
    rows = cluster_rows(finished_page(client, page))
    ticked = [rows[0], rows[2]]
    body, headers = download(client, page, [number for number, _ in ticked], fmt)
    assert headers["content-disposition"] == f'attachment; filename="shelfnet-s1{suffix}"'
    assert headers["content-type"] == media_type
    records = _records(fmt, body)
    assert [r["001"].data for r in records] == [control for _, control in ticked]
    for record in records:
        source = SOURCES[record["001"].data]
        assert [str(f) for f in record.fields] == [str(f) for f in source.fields]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"query": "  ", "target": ["alpha"]}, "Enter a query."),
        ({"query": "ti=(blue", "target": ["alpha"]}, "The CCL query does not parse:"),
        ({"query": "@and @attr 1=4", "language": "pqf", "target": ["alpha"]}, "PQF query"),
        ({"query": "blue", "language": "sql", "target": ["alpha"]}, "Unknown query language"),
        ({"query": "blue", "target": ["gamma"]}, "There is no target called &#39;gamma&#39;."),
        ({"query": "blue", "group": ["bad ones"]}, "There is no target group &#39;bad ones&#39;"),
        ({"query": "blue"}, "Choose at least one target or group."),
    ],
)
def test_bad_input_gets_the_form_again_with_the_reason(
    client: TestClient, form: dict[str, object], message: str
) -> None:
    response = client.post("/search", data=form)
    assert response.status_code == 400
    assert message in response.text
    assert 'name="query"' in response.text and "Traceback" not in response.text
    assert len(client.app.state.context.store) == 0  # type: ignore[attr-defined]


def test_a_refused_query_keeps_what_was_typed_and_ticked(client: TestClient) -> None:
    form = {"query": 'ti="<x>', "language": "cql", "target": ["beta"]}
    html = client.post("/search", data=form).text
    assert 'value="ti=&#34;&lt;x&gt;"' in html
    assert re.search(r'value="beta"\s+checked', html)
    assert not re.search(r'value="alpha"\s+checked', html)
    assert re.search(r'value="cql"\s+checked', html)


def test_bad_downloads_are_refused_on_the_results_page(client: TestClient) -> None:
    page = start_search(client, "ti=blue", ["alpha"])
    finished_page(client, page)
    for params, message in [
        ({"format": "marc"}, "Tick at least one cluster"),
        ({"cluster": "1", "format": "pdf"}, "Unknown download format &#39;pdf&#39;"),
        ({"cluster": "99"}, "This search has no cluster 99."),
    ]:
        response = client.get(f"{page}/download", params=params)
        assert response.status_code == 400
        assert message in response.text and 'id="clusters"' in response.text
    response = client.get(f"{page}/download", params={"cluster": "one"})
    assert response.status_code == 400 and "Bad request" in response.text


def test_unknown_searches_records_and_clusters_are_404_pages(client: TestClient) -> None:
    page = start_search(client, "ti=blue", ["alpha"])
    finished_page(client, page)
    for path in (
        "/search/nope",
        "/search/nope/events",
        f"{page}/records/0/99",
        f"{page}/records/7/1",
        f"{page}/clusters/99",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Back to the search page" in response.text


def test_only_the_latest_searches_are_kept() -> None:
    ids = counter()
    app = create_app(TARGETS, search=scripted_search, max_sessions=2, new_id=lambda: next(ids))
    with TestClient(app) as client:
        pages = [start_search(client, "blue", ["alpha"]) for _ in range(3)]
        assert client.get(pages[0]).status_code == 404
        assert "only the latest 2" in client.get(pages[0]).text
        assert [client.get(page).status_code for page in pages[1:]] == [200, 200]


def test_the_page_shows_targets_still_searching_before_they_answer() -> None:
    search = GatedSearch()
    app = create_app(TARGETS, search=search, new_id=lambda: "live")
    with TestClient(app) as client:
        page = start_search(client, "blue", ["alpha", "beta"])
        html = client.get(page).text
        assert re.search(r'data-target="alpha">.*?class="phase">searching<', html, re.S)
        assert 'data-finished="no"' in html and "No records yet." in html
        client.portal.call(search.release, "alpha")  # type: ignore[union-attr]
        client.portal.call(search.release, "beta")  # type: ignore[union-attr]
        html = finished_page(client, page)
        assert 'data-finished="yes"' in html
        assert search.searched == ["blue"]
