"""The ISO 18626 messages as frozen values, and the protocol's closed code lists.

One set of dataclasses serves both versions shelfnet speaks: 1.2 (the 2017 minor revision,
``ISO-18626-v1_2.xsd``) and 2021 (``ISO-18626-2021-2.xsd``). Both use the namespace
``http://illtransactions.org/2013/iso18626``; what differs is the shape of a few elements.
Fields only one version has are marked; the writer leaves out what the other version has no
place for. Text fields are ``""`` when absent, optional structures ``None``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

NAMESPACE = "http://illtransactions.org/2013/iso18626"


class Version(enum.Enum):
    """The version attribute shelfnet writes. The 2021 schema leaves the attribute free;
    ``parser.version_of`` also takes 1.0, 1.1, 1.3, 2021-1 and 2021-2."""

    V1_2 = "1.2"
    V2021 = "2021"


class MessageStatus(enum.Enum):
    OK = "OK"
    ERROR = "ERROR"


class ErrorType(enum.Enum):
    """``type_errorType``: the same five codes in 1.2 and 2021."""

    UNSUPPORTED_ACTION_TYPE = "UnsupportedActionType"
    UNSUPPORTED_REASON_FOR_MESSAGE_TYPE = "UnsupportedReasonForMessageType"
    UNRECOGNISED_DATA_ELEMENT = "UnrecognisedDataElement"
    UNRECOGNISED_DATA_VALUE = "UnrecognisedDataValue"
    BADLY_FORMED_MESSAGE = "BadlyFormedMessage"


class ReasonForMessage(enum.Enum):
    REQUEST_RESPONSE = "RequestResponse"
    STATUS_REQUEST_RESPONSE = "StatusRequestResponse"
    RENEW_RESPONSE = "RenewResponse"
    CANCEL_RESPONSE = "CancelResponse"
    STATUS_CHANGE = "StatusChange"
    NOTIFICATION = "Notification"


class SupplyStatus(enum.Enum):
    """``type_status``: where the supplying agency says the request is."""

    REQUEST_RECEIVED = "RequestReceived"
    EXPECT_TO_SUPPLY = "ExpectToSupply"
    WILL_SUPPLY = "WillSupply"
    LOANED = "Loaned"
    OVERDUE = "Overdue"
    RECALLED = "Recalled"
    RETRY_POSSIBLE = "RetryPossible"
    UNFILLED = "Unfilled"
    HOLD_RETURN = "HoldReturn"
    """2021 only."""
    RELEASE_HOLD_RETURN = "ReleaseHoldReturn"
    """2021 only."""
    COPY_COMPLETED = "CopyCompleted"
    LOAN_COMPLETED = "LoanCompleted"
    COMPLETED_WITHOUT_RETURN = "CompletedWithoutReturn"
    CANCELLED = "Cancelled"


class RequestingAction(enum.Enum):
    """``type_action``: what the requesting agency tells the supplier."""

    STATUS_REQUEST = "StatusRequest"
    RECEIVED = "Received"
    CANCEL = "Cancel"
    RENEW = "Renew"
    HOLD_RETURN = "HoldReturn"
    """2021 only."""
    SHIPPED_RETURN = "ShippedReturn"
    SHIPPED_FORWARD = "ShippedForward"
    NOTIFICATION = "Notification"
    LOST = "Lost"
    """2021 only."""


class ServiceType(enum.Enum):
    COPY = "Copy"
    LOAN = "Loan"
    COPY_OR_LOAN = "CopyOrLoan"


class RequestType(enum.Enum):
    NEW = "New"
    RETRY = "Retry"
    REMINDER = "Reminder"


class RequestSubType(enum.Enum):
    BOOKING_REQUEST = "BookingRequest"
    MULTIPLE_ITEM_REQUEST = "MultipleItemRequest"
    PATRON_REQUEST = "PatronRequest"
    TRANSFER_REQUEST = "TransferRequest"
    SUPPLYING_LIBRARYS_CHOICE = "SupplyingLibrarysChoice"


class PreferredEdition(enum.Enum):
    """2021 only."""

    MOST_RECENT_EDITION = "MostRecentEdition"
    THIS_EDITION = "ThisEdition"
    ANY_EDITION = "AnyEdition"


ONLY_2021: frozenset[enum.Enum] = frozenset(
    {
        SupplyStatus.HOLD_RETURN,
        SupplyStatus.RELEASE_HOLD_RETURN,
        RequestingAction.HOLD_RETURN,
        RequestingAction.LOST,
    }
)
"""Codes version 1.2 does not have."""


# Building blocks


@dataclass(frozen=True)
class SchemeValue:
    """``type_schemeValuePair``: a code and, optionally, the URI of its code list."""

    value: str
    scheme: str = ""


@dataclass(frozen=True)
class AgencyId:
    """``type_agencyId``: e.g. type ``ISIL`` and value ``US-CST``, or ``OCLC`` and ``CSt``."""

    type: str
    value: str
    type_scheme: str = ""

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass(frozen=True)
class Costs:
    """``type_costs``: an ISO 4217 currency code and an amount."""

    currency_code: str
    monetary_value: Decimal


@dataclass(frozen=True)
class Authentication:
    """``requestingAgencyAuthentication``: the account and shared secret the supplier gave."""

    account_id: str = ""
    security_code: str = ""


@dataclass(frozen=True)
class ElectronicAddress:
    type: SchemeValue
    data: str


@dataclass(frozen=True)
class PhysicalAddress:
    line1: str = ""
    line2: str = ""
    locality: str = ""
    postal_code: str = ""
    region: str = ""
    """A scheme/value pair (no scheme written) in 1.2, plain text in 2021."""
    country: SchemeValue | None = None


Address = ElectronicAddress | PhysicalAddress


@dataclass(frozen=True)
class Header:
    """The message header. 1.2 has one header for all three messages; 2021 has one per
    message type, and leaves out what that message does not need (the writer does too)."""

    requesting_agency_id: AgencyId
    requesting_agency_request_id: str
    timestamp: datetime
    supplying_agency_id: AgencyId | None = None
    """Required in 1.2 and in 2021's supplying and requesting agency messages."""
    multiple_item_request_id: str = ""
    """Written (empty) in every 1.2 header; in 2021 only in a request."""
    supplying_agency_request_id: str = ""
    """Not in a request (2021)."""
    authentication: Authentication | None = None
    """Not in a supplying agency message (2021)."""
    consortial_id: AgencyId | None = None
    """2021 only; not in a supplying agency message."""


@dataclass(frozen=True)
class BibliographicItemId:
    """An identifier of the item, e.g. code ``ISBN``, ``ISSN``, ``DOI``, ``PMID``."""

    code: SchemeValue
    identifier: str


@dataclass(frozen=True)
class BibliographicRecordId:
    """A record number in a catalogue, e.g. code ``OCLC``, ``LCCN``."""

    code: SchemeValue
    identifier: str


# The request


@dataclass(frozen=True)
class BibliographicInfo:
    supplier_unique_record_id: str = ""
    title: str = ""
    author: str = ""
    author_id: str = ""
    """2021 only (an ISNI)."""
    subtitle: str = ""
    series_title: str = ""
    edition: str = ""
    title_of_component: str = ""
    author_of_component: str = ""
    volume: str = ""
    """Repeatable in 2021: the parser joins several with "; "."""
    issue: str = ""
    pages_requested: str = ""
    estimated_no_pages: str = ""
    item_ids: tuple[BibliographicItemId, ...] = ()
    sponsor: str = ""
    information_source: str = ""
    record_ids: tuple[BibliographicRecordId, ...] = ()


@dataclass(frozen=True)
class PublicationInfo:
    publisher: str = ""
    publisher_id: str = ""
    """2021 only."""
    publication_type: SchemeValue | None = None
    publication_date: str = ""
    place_of_publication: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    service_type: ServiceType
    request_type: RequestType | None = None
    request_sub_types: tuple[RequestSubType, ...] = ()
    """At most three in 1.2."""
    requesting_agency_previous_request_id: str = ""
    service_level: SchemeValue | None = None
    preferred_format: SchemeValue | None = None
    """``preferredFormat`` in 1.2, ``itemFormat`` in 2021."""
    need_before_date: datetime | None = None
    copyright_compliance: SchemeValue | None = None
    any_edition: bool | None = None
    preferred_edition: PreferredEdition | None = None
    """2021 only."""
    loan_conditions: tuple[SchemeValue, ...] = ()
    """2021 only."""
    start_date: datetime | None = None
    end_date: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class SupplierInfo:
    sort_order: int | None = None
    supplier_code: AgencyId | None = None
    supplier_description: str = ""
    record_id: BibliographicRecordId | None = None
    call_number: str = ""
    summary_holdings: str = ""
    availability_note: str = ""


@dataclass(frozen=True)
class RequestedDeliveryInfo:
    sort_order: int | None = None
    address: Address | None = None
    delivery_method: SchemeValue | None = None
    """2021 only."""
    courier_name: SchemeValue | None = None
    """2021 only."""


@dataclass(frozen=True)
class RequestingAgencyInfo:
    name: str = ""
    contact_name: str = ""
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True)
class PatronInfo:
    patron_id: str = ""
    surname: str = ""
    given_name: str = ""
    patron_type: SchemeValue | None = None
    send_to_patron: bool | None = None
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True)
class BillingInfo:
    payment_method: SchemeValue | None = None
    maximum_costs: Costs | None = None
    billing_method: SchemeValue | None = None
    billing_name: str = ""
    address: Address | None = None


@dataclass(frozen=True)
class Request:
    header: Header
    bibliographic_info: BibliographicInfo = field(default_factory=BibliographicInfo)
    publication_info: PublicationInfo | None = None
    service_info: ServiceInfo | None = None
    """Required in 2021."""
    supplier_info: tuple[SupplierInfo, ...] = ()
    requested_delivery_info: tuple[RequestedDeliveryInfo, ...] = ()
    requesting_agency_info: RequestingAgencyInfo | None = None
    patron_info: PatronInfo | None = None
    billing_info: BillingInfo | None = None


# The supplying agency message


@dataclass(frozen=True)
class MessageInfo:
    reason_for_message: ReasonForMessage
    answer_yes_no: bool | None = None
    note: str = ""
    reason_unfilled: SchemeValue | None = None
    reason_retry: SchemeValue | None = None
    offered_costs: Costs | None = None
    """In ``messageInfo`` in 1.2, in ``retryInfo`` in 2021 (so are the two dates)."""
    retry_after: datetime | None = None
    retry_before: datetime | None = None


@dataclass(frozen=True)
class StatusInfo:
    status: SupplyStatus
    last_change: datetime
    expected_delivery_date: datetime | None = None
    due_date: datetime | None = None


@dataclass(frozen=True)
class DeliveryInfo:
    date_sent: datetime
    item_id: str = ""
    sent_via: SchemeValue | None = None
    """``sentVia`` in 1.2, ``deliveryMethod`` in 2021."""
    sent_to_patron: bool | None = None
    loan_condition: SchemeValue | None = None
    delivered_format: SchemeValue | None = None
    """``deliveredFormat`` in 1.2, ``itemFormat`` in 2021."""
    delivery_costs: Costs | None = None
    url: str = ""
    """2021 only."""


@dataclass(frozen=True)
class ReturnInfo:
    return_agency_id: AgencyId | None = None
    name: str = ""
    physical_address: PhysicalAddress | None = None


@dataclass(frozen=True)
class SupplyingAgencyMessage:
    header: Header
    message_info: MessageInfo
    status_info: StatusInfo
    delivery_info: DeliveryInfo | None = None
    return_info: ReturnInfo | None = None


# The requesting agency message


@dataclass(frozen=True)
class RequestingAgencyMessage:
    header: Header
    action: RequestingAction
    note: str = ""


# Confirmations


@dataclass(frozen=True)
class ErrorData:
    error_type: ErrorType
    error_value: str = ""


@dataclass(frozen=True)
class ConfirmationHeader:
    timestamp: datetime
    """The confirmed message's timestamp."""
    timestamp_received: datetime
    message_status: MessageStatus
    supplying_agency_id: AgencyId | None = None
    requesting_agency_id: AgencyId | None = None
    requesting_agency_request_id: str = ""
    multiple_item_request_id: str = ""
    """1.2 only."""


@dataclass(frozen=True)
class RequestConfirmation:
    header: ConfirmationHeader
    errors: tuple[ErrorData, ...] = ()
    """One at most in 1.2 (the writer keeps the first)."""


@dataclass(frozen=True)
class SupplyingAgencyMessageConfirmation:
    header: ConfirmationHeader
    reason_for_message: ReasonForMessage | None = None
    errors: tuple[ErrorData, ...] = ()


@dataclass(frozen=True)
class RequestingAgencyMessageConfirmation:
    header: ConfirmationHeader
    action: RequestingAction | None = None
    errors: tuple[ErrorData, ...] = ()


Confirmation = (
    RequestConfirmation | SupplyingAgencyMessageConfirmation | RequestingAgencyMessageConfirmation
)
Message = Request | SupplyingAgencyMessage | RequestingAgencyMessage | Confirmation


@dataclass(frozen=True)
class Envelope:
    """A message with the version it was (or is to be) written in."""

    version: Version
    message: Message
