"""The mapping tables cover every code of both schemas, and requests become the lending
transactions staff expect."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from shelfnet.ill.model import (
    Citation,
    CopyrightCompliance,
    DocumentType,
    ProcessType,
    RequestType,
    SystemId,
    Transaction,
)
from shelfnet.ill.protocols.iso18626.mapping import (
    BORROWING_ACTION_MESSAGES,
    LENDING_ACTION_MESSAGES,
    REASON_HANDLING,
    REFUSED_ACTIONS,
    REQUESTING_ACTION_EFFECTS,
    SUPPLY_STATUS_EFFECTS,
    agency_for_symbol,
    borrowing_effect,
    draft_from_request,
    lending_effect,
    request_from_transaction,
    requesting_message_for,
    supplying_message_for,
)
from shelfnet.ill.protocols.iso18626.messages import (
    AgencyId,
    ErrorType,
    Header,
    MessageInfo,
    ReasonForMessage,
    RequestingAction,
    RequestingAgencyMessage,
    StatusInfo,
    SupplyingAgencyMessage,
    SupplyStatus,
    Version,
)
from shelfnet.ill.protocols.iso18626.parser import parse_message
from shelfnet.ill.protocols.iso18626.writer import write_message
from shelfnet.ill.workflow import ACTIONS, Action, Status
from tests.unit.ill.iso18626 import strategies
from tests.unit.ill.iso18626.test_writer import full_request

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
NYU = AgencyId("ISIL", "US-NYU")
CST = AgencyId("ISIL", "US-CST")
XS = "{http://www.w3.org/2001/XMLSchema}"


def enumeration(version: Version, type_name: str) -> set[str]:
    tree = etree.parse(str(strategies.schema_path(version)))
    found = tree.find(f"{XS}simpleType[@name='{type_name}']")
    assert found is not None, type_name
    return {e.get("value", "") for e in found.iter(f"{XS}enumeration")}


@pytest.mark.parametrize("version", list(Version))
def test_every_status_of_the_schema_has_an_effect(version: Version) -> None:
    codes = {status.value for status in SUPPLY_STATUS_EFFECTS}
    assert enumeration(version, "type_status") <= codes


@pytest.mark.parametrize("version", list(Version))
def test_every_action_of_the_schema_is_mapped_or_refused(version: Version) -> None:
    mapped = {a.value for a in REQUESTING_ACTION_EFFECTS}
    refused = {a.value for a in REFUSED_ACTIONS}
    assert not mapped & refused
    assert enumeration(version, "type_action") <= mapped | refused
    assert set(REFUSED_ACTIONS.values()) == {ErrorType.UNSUPPORTED_ACTION_TYPE}


@pytest.mark.parametrize("version", list(Version))
def test_every_reason_for_message_is_handled(version: Version) -> None:
    assert enumeration(version, "type_reasonForMessage") == {r.value for r in REASON_HANDLING}


@pytest.mark.parametrize(
    ("type_name", "kind"),
    [
        ("type_errorType", ErrorType),
        ("type_status", SupplyStatus),
        ("type_action", RequestingAction),
        ("type_reasonForMessage", ReasonForMessage),
    ],
)
def test_the_code_lists_are_the_schemas(type_name: str, kind: type[enum.Enum]) -> None:
    both = enumeration(Version.V1_2, type_name) | enumeration(Version.V2021, type_name)
    assert both == {code.value for code in kind}


def test_every_effect_is_an_action_the_workflow_has() -> None:
    effects = [*SUPPLY_STATUS_EFFECTS.values(), *REQUESTING_ACTION_EFFECTS.values()]
    for effect in effects:
        assert effect.action is None or effect.to_status is None
    for effect in SUPPLY_STATUS_EFFECTS.values():
        assert effect.action is None or (effect.action, ProcessType.BORROWING) in ACTIONS
    for effect in REQUESTING_ACTION_EFFECTS.values():
        assert effect.action is None or (effect.action, ProcessType.LENDING) in ACTIONS
    for action in LENDING_ACTION_MESSAGES:
        assert (action, ProcessType.LENDING) in ACTIONS
    for action in BORROWING_ACTION_MESSAGES:
        assert (action, ProcessType.BORROWING) in ACTIONS


def test_a_request_becomes_a_lending_draft_with_every_field() -> None:
    draft = draft_from_request(full_request())
    assert draft.process_type is ProcessType.LENDING
    assert draft.system_id is SystemId.ISO18626
    assert draft.partner == "US-NYU"
    assert draft.external_id == "NYU-42"
    assert draft.request_type is RequestType.COPY
    assert draft.document_type is DocumentType.ARTICLE
    assert draft.citation == Citation(
        journal_title="Journal of Things: A subtitle",
        author="Author, A.",
        article_title="On things",
        article_author="Writer, W.",
        volume="12",
        issue="3",
        year="2020",
        pages="10-20",
        edition="2nd",
        publisher="Pub",
        place="Oslo",
        issn="1234-5678",
        oclc_number="123456",
        call_number="QA1",
        cited_in="Google Scholar",
        not_wanted_after=date(2026, 11, 23),
        max_cost=Decimal("25.00"),
        accept_alternate_edition=True,
        copyright_compliance=CopyrightCompliance.CCG,
    )


def _supplying(
    status: SupplyStatus, reason: ReasonForMessage, answer: bool | None = None
) -> SupplyingAgencyMessage:
    return SupplyingAgencyMessage(
        Header(NYU, "5", NOW, CST), MessageInfo(reason, answer, "n"), StatusInfo(status, NOW)
    )


@pytest.mark.parametrize(
    ("status", "reason", "answer", "action", "to_status"),
    [
        (SupplyStatus.LOANED, ReasonForMessage.STATUS_CHANGE, None, None, None),
        (SupplyStatus.UNFILLED, ReasonForMessage.REQUEST_RESPONSE, None, Action.CANNOT_FILL, None),
        (
            SupplyStatus.COPY_COMPLETED,
            ReasonForMessage.STATUS_CHANGE,
            None,
            Action.MARK_RECEIVED,
            None,
        ),
        (
            SupplyStatus.RETRY_POSSIBLE,
            ReasonForMessage.REQUEST_RESPONSE,
            None,
            Action.CONDITIONALIZE,
            None,
        ),
        (
            SupplyStatus.CANCELLED,
            ReasonForMessage.CANCEL_RESPONSE,
            True,
            None,
            Status.CANCELLED_BY_ILL_STAFF,
        ),
        (SupplyStatus.LOANED, ReasonForMessage.CANCEL_RESPONSE, False, None, None),
        (SupplyStatus.LOANED, ReasonForMessage.RENEW_RESPONSE, True, Action.RENEW, None),
        (SupplyStatus.LOANED, ReasonForMessage.RENEW_RESPONSE, False, None, None),
        (SupplyStatus.UNFILLED, ReasonForMessage.NOTIFICATION, None, None, None),
        (
            SupplyStatus.LOAN_COMPLETED,
            ReasonForMessage.STATUS_CHANGE,
            None,
            None,
            Status.REQUEST_FINISHED,
        ),
    ],
)
def test_a_lenders_message_moves_the_borrowing_request(
    status: SupplyStatus,
    reason: ReasonForMessage,
    answer: bool | None,
    action: Action | None,
    to_status: Status | None,
) -> None:
    effect = borrowing_effect(_supplying(status, reason, answer))
    assert (effect.action, effect.to_status) == (action, to_status)
    assert effect.note.endswith("Note: n")


def test_a_borrowers_action_moves_the_lending_request() -> None:
    header = Header(NYU, "NYU-42", NOW, CST)
    cancel = lending_effect(RequestingAgencyMessage(header, RequestingAction.CANCEL))
    assert not isinstance(cancel, ErrorType)
    assert cancel.action is Action.CANCEL and cancel.reply is ReasonForMessage.CANCEL_RESPONSE
    forward = lending_effect(RequestingAgencyMessage(header, RequestingAction.SHIPPED_FORWARD))
    assert forward is ErrorType.UNSUPPORTED_ACTION_TYPE


def _transaction(process: ProcessType, request_type: RequestType = RequestType.LOAN) -> Transaction:
    return Transaction(
        id=5,
        process_type=process,
        request_type=request_type,
        document_type=DocumentType.BOOK,
        status=Status.REQUEST_SENT,
        citation=Citation(
            title="Moby Dick", author="Melville", isbn="9780142437247", oclc_number="1"
        ),
        patron_id=None,
        lender_string=("US-CST",),
        partner="US-CST",
        external_id="CST-9",
        due_date=date(2027, 1, 1),
        cost=None,
        fee=None,
        system_id=SystemId.WEB,
        copyright_cleared=False,
        created=NOW,
        updated=NOW,
        version=1,
    )


@pytest.mark.parametrize("version", list(Version))
def test_a_borrowing_transaction_becomes_a_request_and_back(version: Version) -> None:
    request = request_from_transaction(
        _transaction(ProcessType.BORROWING), requesting=NYU, supplying=CST, now=NOW
    )
    read = parse_message(write_message(request, version)).message
    draft = draft_from_request(read)  # type: ignore[arg-type]
    assert draft.external_id == "5"
    assert draft.citation.title == "Moby Dick"
    assert draft.citation.isbn == "9780142437247"
    assert draft.citation.oclc_number == "1"
    assert draft.document_type is DocumentType.BOOK


def test_lending_actions_send_supplying_messages() -> None:
    loan = _transaction(ProcessType.LENDING)
    filled = supplying_message_for(loan, Action.FILL, supplying=CST, requesting=NYU, now=NOW)
    assert filled is not None
    assert filled.status_info.status is SupplyStatus.LOANED
    assert filled.status_info.due_date == datetime(2027, 1, 1)
    assert filled.header.requesting_agency_request_id == "CST-9"
    assert filled.header.supplying_agency_request_id == "5"
    copy = _transaction(ProcessType.LENDING, RequestType.COPY)
    sent = supplying_message_for(copy, Action.FILL, supplying=CST, requesting=NYU, now=NOW)
    assert sent is not None and sent.status_info.status is SupplyStatus.COPY_COMPLETED
    unfilled = supplying_message_for(
        loan, Action.CANNOT_FILL, supplying=CST, requesting=NYU, now=NOW
    )
    assert unfilled is not None and unfilled.status_info.status is SupplyStatus.UNFILLED
    assert (
        supplying_message_for(
            loan, Action.CONDITIONS_ACCEPTED, supplying=CST, requesting=NYU, now=NOW
        )
        is None
    )


def test_borrowing_actions_send_requesting_messages() -> None:
    loan = _transaction(ProcessType.BORROWING)
    for action, code in [
        (Action.MARK_RECEIVED, RequestingAction.RECEIVED),
        (Action.RETURN_TO_LENDER, RequestingAction.SHIPPED_RETURN),
        (Action.CANCEL, RequestingAction.CANCEL),
        (Action.REQUEST_RENEWAL, RequestingAction.RENEW),
    ]:
        message = requesting_message_for(loan, action, requesting=NYU, supplying=CST, now=NOW)
        assert message is not None and message.action is code
        assert message.header.requesting_agency_request_id == "5"
        assert message.header.supplying_agency_request_id == "CST-9"
    assert (
        requesting_message_for(loan, Action.CHECK_OUT, requesting=NYU, supplying=CST, now=NOW)
        is None
    )


def test_partner_symbols_become_agency_ids() -> None:
    assert agency_for_symbol("US-CST") == AgencyId("ISIL", "US-CST")
    assert agency_for_symbol("CST") == AgencyId("OCLC", "CST")
    assert agency_for_symbol("RESHARE:ACME") == AgencyId("RESHARE", "ACME")
