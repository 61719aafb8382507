"""Driving the web app in-process: start a search, read its event stream, pick rows out of pages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from html import unescape

from fastapi.testclient import TestClient

_ROW = re.compile(
    r'<tr class="cluster" data-cluster="(?P<number>\d+)" data-control-number="(?P<control>[^"]*)"'
)


def start_search(
    client: TestClient,
    query: str,
    targets: Sequence[str] = (),
    *,
    language: str = "ccl",
    groups: Sequence[str] = (),
) -> str:
    """Submit the search form; the new search's page URL."""
    form = {"query": query, "language": language, "target": list(targets), "group": list(groups)}
    response = client.post("/search", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    location: str = response.headers["location"]
    return location


def events(client: TestClient, page: str) -> list[tuple[str, dict[str, object]]]:
    """Every message of the page's event stream (it ends when the search has finished)."""
    with client.stream("GET", f"{page}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    return list(parse_events(body))


def parse_events(body: str) -> Iterator[tuple[str, dict[str, object]]]:
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            fields[name] = value
        if "event" in fields:
            yield fields["event"], json.loads(fields["data"])


def finished_page(client: TestClient, page: str) -> str:
    """The search's page once every target has ended."""
    assert events(client, page)[-1][1]["finished"] is True
    response = client.get(page)
    assert response.status_code == 200
    text: str = response.text
    return text


def cluster_rows(html: str) -> list[tuple[int, str]]:
    """(cluster number, control number of its best record) of each row, in rank order."""
    return [(int(m["number"]), unescape(m["control"])) for m in _ROW.finditer(html)]


def download(
    client: TestClient, page: str, clusters: Sequence[int], fmt: str
) -> tuple[bytes, Mapping[str, str]]:
    response = client.get(f"{page}/download", params={"cluster": list(clusters), "format": fmt})
    assert response.status_code == 200, response.text
    return response.content, response.headers


def squash(html: str) -> str:
    """The HTML with every run of white space made one space (templates indent freely)."""
    return " ".join(html.split())
