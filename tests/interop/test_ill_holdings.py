"""Holdings look-up on the staff request form, against real catalogues: Zebra serving the
jazz records as "our catalogue", yaz-ztest as a partner, and a port where nobody answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.holdings import HoldingsLookup, install
from shelfnet.ill.model import Citation, DocumentType, ProcessType, RequestType, TransactionDraft
from shelfnet.ill.sample import fill_sample
from shelfnet.ill.store import IllStore, open_ill_store
from shelfnet.search.engine import SearchLimits
from shelfnet.search.targets import TargetList, TargetSpec
from shelfnet.web.app import create_app
from shelfnet.web.ill_access import IllWeb
from tests.peers import LOOPBACK, Target, free_port
from tests.unit.web.ill.conftest import FAST_HASHER, PASSWORD, _set_staff_password
from tests.unit.web.ill.pages import sign_in

OWNED_ISBN = "0863693180"
"""In jazz_1k.mrc: Mister Jelly Roll."""


@pytest.fixture
def store(tmp_path: object) -> Iterator[IllStore]:
    from pathlib import Path

    ill = open_ill_store(Path(str(tmp_path)) / "ill.sqlite")
    fill_sample(ill)
    _set_staff_password(ill, "admin", FAST_HASHER.hash(PASSWORD))
    yield ill
    ill.close()


def _app(store: IllStore, lookup: HoldingsLookup | None) -> FastAPI:
    app = create_app(TargetList(), ill=IllWeb(store, min_failure_seconds=0))
    if lookup is not None:
        install(app, lookup)
    return app


@pytest.fixture
def lookup(zebra_target: Target, ztest_target: Target) -> HoldingsLookup:
    partners = [
        TargetSpec("ztest", ztest_target.zurl),
        TargetSpec("gone", f"{LOOPBACK}:{free_port()}/Default"),
    ]
    limits = SearchLimits(connect_timeout=3, timeout=5, max_records=3, chunk=3)
    return HoldingsLookup(TargetSpec("our catalogue", zebra_target.zurl), partners, limits)


def _request(store: IllStore, citation: Citation) -> int:
    draft = TransactionDraft(ProcessType.BORROWING, RequestType.LOAN, DocumentType.BOOK, citation)
    return store.create_transaction(draft, by="admin").id


def _holdings(app: FastAPI, number: int, *, fragment: bool = True) -> str:
    with TestClient(app, follow_redirects=False) as client:
        sign_in(client, "/staff/signin", "admin", PASSWORD)
        suffix = "?fragment=1" if fragment else ""
        answer = client.get(f"/staff/transactions/{number}/holdings{suffix}")
        assert answer.status_code == 200, answer.text
        return answer.text


def test_an_isbn_our_catalogue_has_says_we_own_it(store: IllStore, lookup: HoldingsLookup) -> None:
    number = _request(store, Citation(title="Mister Jelly Roll", isbn=OWNED_ISBN))
    html = _holdings(_app(store, lookup), number)
    assert "We already own this." in html
    assert f"Searched by ISBN {OWNED_ISBN} or 9780863693182." in html
    assert 'data-target="our catalogue">' in html
    assert "Mister Jelly Roll" in html.split("<table", 1)[1], "the record found is listed"
    assert "<html" not in html, "the fragment is only the table"


def test_an_isbn_nobody_has_is_not_owned(store: IllStore, lookup: HoldingsLookup) -> None:
    number = _request(store, Citation(title="Not in the jazz file", isbn="9780000000002"))
    html = _holdings(_app(store, lookup), number, fragment=False)
    assert "We already own this." not in html
    own = html.split('data-target="our catalogue">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="hits">0</td>' in own
    assert "<html" in html, "without the script the look-up is a page of its own"


def test_a_title_and_author_search_finds_the_record(
    store: IllStore, lookup: HoldingsLookup
) -> None:
    number = _request(
        store, Citation(title="Histoire du jazz / Robert Goffin", author="Goffin, Robert")
    )
    html = _holdings(_app(store, lookup), number)
    assert "title words “Histoire du jazz” and author “Goffin”" in html
    assert "We already own this." in html


def test_every_partner_answers_or_says_why_not(store: IllStore, lookup: HoldingsLookup) -> None:
    number = _request(store, Citation(title="Mister Jelly Roll", isbn=OWNED_ISBN))
    html = _holdings(_app(store, lookup), number)
    ztest = html.split('data-target="ztest">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="hits"><span class="error">' not in ztest, "yaz-ztest answers with a count"
    gone = html.split('data-target="gone">', 1)[1].split("</tr>", 1)[0]
    assert '<span class="error">' in gone


def test_without_a_lookup_the_page_says_it_is_not_set_up(store: IllStore) -> None:
    number = _request(store, Citation(title="Mister Jelly Roll", isbn=OWNED_ISBN))
    html = _holdings(_app(store, None), number)
    assert "Holdings look-up is not set up" in html
