"""Partner management and the routing-rule editor: administrators only, every field
checked, a refused form shown again with what was typed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shelfnet.ill.model import PartnerProtocol, ProcessType, StaffRole, StaffUser
from shelfnet.ill.store import IllStore
from shelfnet.ill.workflow import Status
from tests.unit.web.ill.conftest import FAST_HASHER, PASSWORD
from tests.unit.web.ill.pages import csrf_token, post_form, sign_in

PARTNER = {
    "symbol": "US-NYU",
    "name": "New York University",
    "address": "70 Washington Square South\nNew York",
    "email": "ill@nyu.example",
    "protocol": "iso18626",
    "endpoint": "https://ill.nyu.example/iso18626",
    "delivery_address": "docs@nyu.example",
    "trusted": "on",
    "active": "on",
}


@pytest.fixture
def staff_only_client(app: FastAPI, ill_store: IllStore) -> Iterator[TestClient]:
    ill_store.create_staff(StaffUser("clerk", "", "", StaffRole.STAFF, FAST_HASHER.hash(PASSWORD)))
    with TestClient(app, follow_redirects=False) as clerk:
        sign_in(clerk, "/staff/signin", "clerk", PASSWORD)
        yield clerk


def test_partners_are_listed(staff_client: TestClient) -> None:
    html = staff_client.get("/staff/partners").text
    for symbol in ("US-CST", "US-MH", "US-NIC", "GB-UkOxU"):
        assert f'data-symbol="{symbol}"' in html
    assert "Stanford University Libraries" in html
    assert 'href="/staff/partners/new"' in html


def test_an_administrator_adds_a_partner(staff_client: TestClient, ill_store: IllStore) -> None:
    answer = post_form(staff_client, "/staff/partners/new", "/staff/partners/new", PARTNER)
    assert answer.status_code == 303
    partner = ill_store.get_partner("US-NYU")
    assert partner is not None
    assert partner.address == ("70 Washington Square South", "New York")
    assert partner.protocol is PartnerProtocol.ISO18626
    assert partner.trusted and partner.active
    assert "The partner was saved." in staff_client.get(answer.headers["location"]).text


def test_a_wrong_partner_form_is_shown_again_with_messages(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    wrong = {
        **PARTNER,
        "symbol": "not a symbol!",
        "name": "",
        "email": "nobody",
        "protocol": "isoill",
        "endpoint": "<b>nowhere</b>",
        "delivery_address": "ftp:x",
    }
    answer = post_form(staff_client, "/staff/partners/new", "/staff/partners/new", wrong)
    assert answer.status_code == 400
    for message in (
        "A symbol is letters, digits",
        "Give the library&#39;s name",
        "Not an e-mail address.",
        "ISO ILL needs host:port",
        "Give an e-mail address or an http(s) URL.",
    ):
        assert message in answer.text
    assert 'value="not a symbol!"' in answer.text
    assert 'value="&lt;b&gt;nowhere&lt;/b&gt;"' in answer.text
    assert ill_store.get_partner("not a symbol!") is None


def test_a_partner_symbol_is_taken_once(staff_client: TestClient) -> None:
    answer = post_form(
        staff_client, "/staff/partners/new", "/staff/partners/new", {**PARTNER, "symbol": "US-MH"}
    )
    assert answer.status_code == 400
    assert "There is a partner US-MH already." in answer.text


def test_an_administrator_edits_a_partner(staff_client: TestClient, ill_store: IllStore) -> None:
    page = "/staff/partners/US-NIC/edit"
    shown = staff_client.get(page).text
    assert 'value="ill@cornell.example"' in shown
    answer = post_form(
        staff_client,
        page,
        page,
        {
            "name": "Cornell",
            "protocol": "isoill",
            "endpoint": "ill.cornell.example:1611",
            "email": "ill@cornell.example",
        },
    )
    assert answer.status_code == 303
    partner = ill_store.get_partner("US-NIC")
    assert partner is not None
    assert (partner.name, partner.protocol, partner.active) == (
        "Cornell",
        PartnerProtocol.ISOILL,
        False,
    )
    email = post_form(
        staff_client, page, page, {"name": "Cornell", "protocol": "email", "email": ""}
    )
    assert email.status_code == 400 and "Requests go by e-mail: give the address." in email.text
    assert staff_client.get("/staff/partners/NOPE/edit").status_code == 404


def test_only_administrators_manage_partners_and_rules(
    staff_only_client: TestClient, ill_store: IllStore
) -> None:
    listed = staff_only_client.get("/staff/partners")
    assert listed.status_code == 200 and 'href="/staff/partners/new"' not in listed.text
    assert staff_only_client.get("/staff/partners/new").status_code == 403
    assert staff_only_client.get("/staff/routing/10/edit").status_code == 403
    token = csrf_token(listed.text)
    assert (
        staff_only_client.post(
            "/staff/partners/new", data={**PARTNER, "csrf_token": token}
        ).status_code
        == 403
    )
    assert (
        staff_only_client.post("/staff/routing/10/delete", data={"csrf_token": token}).status_code
        == 403
    )
    assert ill_store.get_partner("US-NYU") is None
    assert [rule.number for rule in ill_store.routing_rules()] == [10, 20]


RULE = {
    "number": "30",
    "status": "awaiting_request_processing",
    "field_1": "patron_status",
    "operator_1": "equals",
    "value_1": "faculty",
    "field_2": "request_type",
    "operator_2": "equals",
    "value_2": "copy",
    "new_status": "request_in_processing",
    "new_process_type": "",
    "description": "Faculty copies first",
    "active": "on",
}


def test_rules_are_listed_in_order(staff_client: TestClient) -> None:
    html = staff_client.get("/staff/routing").text
    assert html.index('data-rule="10"') < html.index('data-rule="20"')
    assert "cleared equals “new”" in html


def test_an_administrator_adds_a_rule(staff_client: TestClient, ill_store: IllStore) -> None:
    answer = post_form(staff_client, "/staff/routing/new", "/staff/routing/new", RULE)
    assert answer.status_code == 303
    rule = ill_store.routing_rules()[-1]
    assert rule.number == 30 and len(rule.conditions) == 2
    assert rule.new_status is Status.REQUEST_IN_PROCESSING
    assert "The routing rule was saved." in staff_client.get(answer.headers["location"]).text


def test_a_rule_naming_a_status_the_process_does_not_have_is_refused(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    wrong = {**RULE, "new_process_type": "lending", "new_status": "request_sent"}
    answer = post_form(staff_client, "/staff/routing/new", "/staff/routing/new", wrong)
    assert answer.status_code == 400
    assert "“Request Sent” is not a status of lending requests." in answer.text
    assert 'value="Faculty copies first"' in answer.text
    impossible = {**RULE, "new_status": "request_finished"}
    answer = post_form(staff_client, "/staff/routing/new", "/staff/routing/new", impossible)
    assert answer.status_code == 400
    assert "The workflow does not allow this move" in answer.text
    assert [rule.number for rule in ill_store.routing_rules()] == [10, 20]


def test_a_wrong_rule_form_marks_each_field(staff_client: TestClient) -> None:
    wrong = {"number": "10", "status": "", "field_1": "patron_status", "operator_1": "equals",
             "value_1": "", "field_2": "isbn", "operator_2": "", "new_status": ""}  # fmt: skip
    answer = post_form(staff_client, "/staff/routing/new", "/staff/routing/new", wrong)
    assert answer.status_code == 400
    for message in (
        "There is a rule 10 already.",
        "Choose a status.",
        "Give the value to compare with.",
        "Choose a comparison.",
        "Choose a new status, a new process, or both.",
    ):
        assert message in answer.text


def test_an_administrator_edits_and_deletes_a_rule(
    staff_client: TestClient, ill_store: IllStore
) -> None:
    page = "/staff/routing/20/edit"
    assert 'value="shelfnet quarterly"' in staff_client.get(page).text
    edited = {
        "number": "25",
        "status": "awaiting_request_processing",
        "field_1": "journal_title",
        "operator_1": "contains",
        "value_1": "shelfnet",
        "new_process_type": "document_delivery",
        "new_status": "awaiting_document_delivery_processing",
        "description": "Ours",
    }
    assert post_form(staff_client, page, page, edited).status_code == 303
    rules = {rule.number: rule for rule in ill_store.routing_rules()}
    assert sorted(rules) == [10, 25]
    assert rules[25].new_process_type is ProcessType.DOCUMENT_DELIVERY and not rules[25].active
    deleted = post_form(staff_client, "/staff/routing", "/staff/routing/25/delete", {})
    assert deleted.status_code == 303
    assert [rule.number for rule in ill_store.routing_rules()] == [10]
    assert staff_client.get("/staff/routing/25/edit").status_code == 404
