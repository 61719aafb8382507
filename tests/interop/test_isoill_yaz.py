"""shelfnet's ISO ILL listener against YAZ's ILL client (yaz-illclient).

yaz-illclient builds one ILL-Request from ``-D name=value`` pairs (names are the ASN.1 field
path, comma-separated, under ``ill``), sends it, reads one APDU back, prints both, and exits
0 ("Ok") only when the answer is a Status-Or-Error-Report without an error report. It writes
the request it sent to ``req.apdu`` in its working directory, so it runs in a tmp dir.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shelfnet.ill.model import (
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    TransactionDraft,
)
from shelfnet.ill.protocols.isoill import apdus as a
from shelfnet.ill.protocols.isoill import codec
from shelfnet.ill.protocols.isoill.lending import store_requests
from shelfnet.ill.protocols.isoill.server import IsoIllServer, ServerLimits
from shelfnet.ill.store import IllStore, open_ill_store
from tests.peers import LOOPBACK, MissingProgram, find_program

FIELDS = {
    "ill,protocol-version-num": "2",
    "ill,transaction-id,initial-requester-id,person-or-institution-symbol,institution": "US-REQ",
    "ill,transaction-id,transaction-group-qualifier": "GRP7",
    "ill,transaction-id,transaction-qualifier": "TQ-1001",
    "ill,transaction-id,sub-transaction-qualifier": "S1",
    "ill,service-date-time,this,date": "20240315",
    "ill,service-date-time,this,time": "101112",
    "ill,requester-id,person-or-institution-symbol,institution": "US-REQ",
    "ill,requester-id,name-of-person-or-institution,name-of-institution": "Requesting U",
    "ill,responder-id,person-or-institution-symbol,institution": "US-SHELF",
    "ill,transaction-type": "1",
    "ill,delivery-address,postal-address,name-of-person-or-institution,name-of-institution": (
        "Requesting U Library"
    ),
    "ill,delivery-address,postal-address,street-and-number": "1 Main St",
    "ill,delivery-address,postal-address,city": "Springfield",
    "ill,delivery-address,postal-address,postal-code": "12345",
    "ill,delivery-address,postal-address,country": "US",
    "ill,delivery-address,electronic-address,telecom-service-identifier": "email",
    "ill,ill-service-type": "1",
    "ill,requester-optional-messages,can-send-RECEIVED": "1",
    "ill,requester-optional-messages,can-send-RETURNED": "1",
    "ill,requester-optional-messages,requester-SHIPPED": "2",
    "ill,requester-optional-messages,requester-CHECKED-IN": "3",
    "ill,search-type,level-of-service": "A",
    "ill,search-type,need-before-date": "20240430",
    "ill,search-type,expiry-flag": "1",
    "ill,place-on-hold": "2",
    "ill,client-id,client-name": "Pat Ron",
    "ill,client-id,client-status": "faculty",
    "ill,client-id,client-identifier": "P-77",
    "ill,item-id,item-type": "1",
    "ill,item-id,call-number": "ML419.D39",
    "ill,item-id,author": "Davis, Miles",
    "ill,item-id,title": "Kind of Blue",
    "ill,item-id,sub-title": "the making of a masterpiece",
    "ill,item-id,sponsoring-body": "Jazz Society",
    "ill,item-id,place-of-publication": "New York",
    "ill,item-id,publisher": "Da Capo",
    "ill,item-id,series-title-number": "Jazz series 3",
    "ill,item-id,volume-issue": "v. 2",
    "ill,item-id,edition": "2nd ed.",
    "ill,item-id,publication-date": "2001",
    "ill,item-id,ISBN": "0306810670",
    "ill,item-id,ISSN": "1234-5678",
    "ill,item-id,additional-no-letters": "OCLC 45505373",
    "ill,item-id,verification-reference-source": "WorldCat",
    "ill,copyright-complicance": "US:CCL",
    "ill,requester-note": "Please send by mail",
    "ill,forward-note": "do not forward",
}


def yaz_illclient() -> str:
    try:
        return find_program("yaz-illclient")
    except MissingProgram:
        pytest.skip("yaz-illclient not found: install Debian package yaz-illclient")


def run_illclient(
    port: int, fields: dict[str, str], workdir: Path
) -> subprocess.CompletedProcess[str]:
    argv = [yaz_illclient()]
    for name, value in fields.items():
        argv += ["-D", f"{name}={value}"]
    argv.append(f"tcp:{LOOPBACK}:{port}")
    return subprocess.run(
        argv, cwd=workdir, capture_output=True, text=True, timeout=30, check=False
    )


class Listener:
    """shelfnet's listener on a loopback port, in a thread of its own event loop."""

    def __init__(self, store: IllStore) -> None:
        self.store = store
        self.drafts: list[TransactionDraft] = []
        self.numbers: list[int] = []
        self.loop = asyncio.new_event_loop()
        self.server: IsoIllServer | None = None

    def start(self) -> int:
        import threading

        on_store = store_requests(self.store)

        def on_request(draft: TransactionDraft, request: a.IllRequest) -> int:
            self.drafts.append(draft)
            self.numbers.append(on_store(draft, request))
            return self.numbers[-1]

        self.server = IsoIllServer(
            on_request,
            our_id=a.SystemId("US-SHELF"),
            limits=ServerLimits(max_message_size=4096, idle_timeout=5),
        )
        self.loop.run_until_complete(self.server.start(LOOPBACK, 0))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        return self.server.addresses[0][1]

    def stop(self) -> None:
        assert self.server is not None
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IllStore]:
    with open_ill_store(tmp_path / "ill.db") as opened:
        yield opened


@pytest.fixture
def listener(store: IllStore) -> Iterator[tuple[Listener, int]]:
    yaz_illclient()
    running = Listener(store)
    port = running.start()
    yield running, port
    running.stop()


def test_yaz_illclient_request_becomes_a_lending_transaction(
    listener: tuple[Listener, int], store: IllStore, tmp_path: Path
) -> None:
    running, port = listener
    result = run_illclient(port, FIELDS, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("Ok")
    output = result.stdout + result.stderr  # yaz-illclient prints the APDUs on stderr
    assert "GeneralString 'shelfnet transaction 1'" in output
    assert "provider_status_report 3" in output  # in-process
    assert "error_report" not in output

    [draft] = running.drafts
    [number] = running.numbers
    transaction = store.get_transaction(number)
    assert transaction.process_type is ProcessType.LENDING
    assert transaction.system_id is SystemId.ISOILL
    assert transaction.partner == "US-REQ"
    assert transaction.external_id == "GRP7/TQ-1001/S1"
    assert transaction.request_type is RequestType.LOAN
    assert transaction.document_type is DocumentType.BOOK
    citation = transaction.citation
    assert citation == draft.citation
    assert citation.title == "Kind of Blue: the making of a masterpiece"
    assert citation.author == "Davis, Miles"
    assert citation.call_number == "ML419.D39"
    assert citation.publisher == "Da Capo"
    assert citation.place == "New York"
    assert citation.volume == "v. 2"
    assert citation.edition == "2nd ed."
    assert citation.year == "2001"
    assert citation.isbn == "0306810670"
    assert citation.issn == "1234-5678"
    assert citation.cited_in == "WorldCat"
    assert citation.copyright_compliance is CopyrightCompliance.CCL
    assert str(citation.not_wanted_after) == "2024-04-30"

    [note] = store.notes(transaction.id)
    for expected in (
        "Requester: US-REQ / Requesting U",
        "Initial requester: US-REQ",
        "Responder: US-SHELF",
        "Service date: 20240315 101112",
        "Transaction type: simple",
        "Service types: loan",
        "Sponsoring body: Jazz Society",
        "Series: Jazz series 3",
        "Additional numbers: OCLC 45505373",
        "Delivery address: Requesting U Library; 1 Main St; 12345 Springfield; US",
        "Client: Pat Ron / faculty / P-77",
        "Level of service: A",
        "Need before: 20240430",
        "Expiry: need-Before-Date",
        "Place on hold: no",
        "Optional messages: can send RECEIVED: yes, can send RETURNED: yes, "
        "SHIPPED: desires, CHECKED-IN: neither",
        "Copyright compliance: US:CCL",
        "Requester note: Please send by mail",
        "Forward note: do not forward",
        "Protocol version: 2",
    ):
        assert expected in note.text.splitlines(), (expected, note.text)


def test_a_repeated_transaction_id_gets_an_error_report(
    listener: tuple[Listener, int], tmp_path: Path
) -> None:
    _running, port = listener
    assert run_illclient(port, FIELDS, tmp_path).returncode == 0
    again = run_illclient(port, FIELDS, tmp_path)
    assert again.returncode == 7  # yaz-illclient: "Server returned an error"
    assert "Transaction Id Problem" in again.stdout


def _exchange(port: int, data: bytes) -> bytes:
    with socket.create_connection((LOOPBACK, port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        return received


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"\x61\x84\x7f\xff\xff\xff\x30", id="oversized-length"),
        pytest.param(b"\x61\x85\x00\x00", id="truncated-header"),
        pytest.param(b"\x61\x03\x02\x01\x01", id="not-an-ill-request"),
        pytest.param(b"\xff\xff\xff\xff\xff\xff", id="garbage"),
    ],
)
def test_bad_bytes_get_an_error_report_and_the_server_keeps_serving(
    listener: tuple[Listener, int], tmp_path: Path, garbage: bytes
) -> None:
    _running, port = listener
    answer = _exchange(port, garbage)
    name, value = codec.decode_apdu(answer)
    report = a.apdu_from_value(name, value)
    assert isinstance(report, a.StatusOrErrorReport)
    assert report.error_report is not None
    assert report.error_report.general_problem is not None
    assert run_illclient(port, FIELDS, tmp_path).returncode == 0


def _serve_once() -> tuple[socket.socket, int]:
    listening = socket.create_server((LOOPBACK, 0))
    return listening, listening.getsockname()[1]


@pytest.mark.parametrize("kind", list(a.ApduType), ids=lambda kind: kind.value)
def test_yaz_decodes_every_apdu_shelfnet_encodes(kind: a.ApduType, tmp_path: Path) -> None:
    """yaz-illclient prints whatever APDU comes back; a decoding failure says "Error
    decoding". Each APDU is sent with its optional fields filled in."""
    import threading

    apdu = _rich(kind)
    data = codec.encode_apdu(*apdu.encode_value())
    listening, port = _serve_once()

    def answer() -> None:
        connection, _ = listening.accept()
        with connection:
            connection.settimeout(5)
            connection.recv(65536)
            connection.sendall(data)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    result = run_illclient(port, {"ill,item-id,title": "x"}, tmp_path)
    thread.join(10)
    listening.close()
    output = result.stdout + result.stderr
    assert "Error decoding" not in output, output
    if kind is a.ApduType.STATUS_OR_ERROR_REPORT:
        assert result.returncode == 7  # the sample carries an error report
    else:
        assert "wrong packet type" in output, output


def _rich(kind: a.ApduType) -> a.Apdu:
    who = a.SystemId("US-SHELF", "Shelfnet Library")
    header: dict[str, Any] = {
        "transaction_id": a.TransactionId(
            initial_requester=a.SystemId("US-REQ"),
            group_qualifier="G",
            qualifier="Q",
            sub_qualifier="S",
        ),
        "service_date_time": a.ServiceDateTime("20240102", "030405", "20240101", "010101"),
        "requester_id": a.SystemId("US-REQ", "Req", name_is_person=True),
        "responder_id": who,
    }
    due = a.DateDue(date="20240301", renewable=False)
    amount = a.Amount(monetary_value="12.50", currency_code="USD")
    samples: dict[a.ApduType, a.Apdu] = {
        a.ApduType.ILL_REQUEST: a.IllRequest(
            **header,
            item_id=a.ItemId(item_type=a.ItemType.SERIAL, title="T", title_of_article="A"),
            delivery_address=a.DeliveryAddress(
                postal=a.PostalAddress(city="C"),
                electronic=a.SystemAddress(telecom_service_address="x@y"),
            ),
            delivery_service="mail",
            search_type=a.SearchType(need_before_date="20240301"),
            supply_medium_info=(a.SupplyMediumInfo(medium=a.SupplyMediumType.PHOTOCOPY),),
            client_id=a.ClientId(name="P"),
            cost_info=a.CostInfo(account_number="1", maximum_cost=amount),
            copyright_compliance="CCG",
            note="n",
            forward_note="f",
        ),
        a.ApduType.FORWARD_NOTIFICATION: a.ForwardNotification(
            **header,
            intermediary_id=who,
            responder_address=a.SystemAddress(
                telecom_service_identifier="tcp", telecom_service_address="h:1611"
            ),
            note="n",
        ),
        a.ApduType.SHIPPED: a.Shipped(
            **header,
            supplier_id=who,
            client_id=a.ClientId(identifier="P"),
            responder_optional_messages=a.ResponderOptionalMessages(),
            supply_details=a.SupplyDetails(
                date_shipped="20240105", date_due=due, chargeable_units=3, cost=amount
            ),
            return_to_address=a.PostalAddress(street_and_number="1 Main"),
            note="n",
        ),
        a.ApduType.ILL_ANSWER: a.IllAnswer(
            **header,
            transaction_results=a.TransactionResults.UNFILLED,
            results_explanation=("unfilled-results", {"reason-unfilled": "not-owned"}),
            responder_optional_messages=a.ResponderOptionalMessages(),
            note="n",
        ),
        a.ApduType.CONDITIONAL_REPLY: a.ConditionalReply(**header, answer=False, note="n"),
        a.ApduType.CANCEL: a.Cancel(**header, note="n"),
        a.ApduType.CANCEL_REPLY: a.CancelReply(**header, answer=True, note="n"),
        a.ApduType.RECEIVED: a.Received(
            **header, supplier_id=who, date_received="20240106", note="n"
        ),
        a.ApduType.RECALL: a.Recall(**header, note="n"),
        a.ApduType.RETURNED: a.Returned(
            **header,
            date_returned="20240107",
            returned_via="post",
            insured_for=amount,
            note="n",
        ),
        a.ApduType.CHECKED_IN: a.CheckedIn(**header, date_checked_in="20240108", note="n"),
        a.ApduType.OVERDUE: a.Overdue(**header, date_due=due, note="n"),
        a.ApduType.RENEW: a.Renew(**header, desired_due_date="20240401", note="n"),
        a.ApduType.RENEW_ANSWER: a.RenewAnswer(**header, answer=True, date_due=due, note="n"),
        a.ApduType.LOST: a.Lost(**header, note="n"),
        a.ApduType.DAMAGED: a.Damaged(
            **header,
            note="n",
            other={"damaged-details": {"damaged-portion": ("specific-units", [1, 2])}},
        ),
        a.ApduType.MESSAGE: a.Message(**header, note="n"),
        a.ApduType.STATUS_QUERY: a.StatusQuery(**header, note="n"),
        a.ApduType.STATUS_OR_ERROR_REPORT: a.StatusOrErrorReport(
            **header,
            reason_no_report=a.ReasonNoReport.TEMPORARY,
            status_report=a.StatusReport(
                history=a.HistoryReport(
                    date_of_last_transition="20240102",
                    most_recent_service="sHIPPED",
                    date_of_most_recent_service="20240102",
                    initiator_of_most_recent_service=who,
                    date_requested="20240101",
                    title="T",
                    shipped_service_type=a.ServiceType.LOAN,
                    transaction_results=a.TransactionResults.WILL_SUPPLY,
                    most_recent_service_note="m",
                ),
                current_state=a.CurrentState.SHIPPED,
            ),
            error_report=a.ErrorReport(
                "c",
                a.ReportSource.PROVIDER,
                state_transition_prohibited=a.StateTransitionProhibited(
                    a.ApduType.RETURNED, a.CurrentState.PENDING
                ),
                unable_to_perform=a.UnableToPerform.OTHER,
            ),
            note="n",
        ),
        a.ApduType.EXPIRED: a.Expired(**header),
    }
    return samples[kind]


def test_fuzzed_bytes_never_stop_the_listener(
    listener: tuple[Listener, int], tmp_path: Path
) -> None:
    """Hundreds of random and mangled byte strings, each on its own connection: every one is
    answered or closed, and yaz-illclient's request is still filed afterwards."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    _running, port = listener
    tags = st.sampled_from([bytes([tag]) for tag in (0x30, *range(0x61, 0x75), 0xFF)])

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(st.binary(max_size=300), st.tuples(tags, st.binary(max_size=300))))
    def one(data: bytes | tuple[bytes, bytes]) -> None:
        if isinstance(data, tuple):
            tag, body = data
            data = tag + bytes([0x80 | 2]) + len(body).to_bytes(2, "big") + body
        _exchange(port, data)

    one()
    assert run_illclient(port, FIELDS, tmp_path).returncode == 0
