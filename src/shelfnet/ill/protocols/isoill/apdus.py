"""ISO ILL APDUs as frozen values, and their conversion to and from asn1tools values.

Every APDU has the standard's common header (protocol version, transaction id, service
date-time, requester and responder ids). The fields shelfnet acts on are typed attributes;
the rest of an APDU (extensions, EXTERNALs, electronic-delivery details, ...) rides along
untouched in ``other`` (ASN.1 field name -> asn1tools value), so nothing a peer sent is lost
and what we send back can carry anything the standard allows.

Each class lists its typed fields in ``_FIELDS``: ``(attribute, ASN.1 name, converter)``.
Dates and times are the standard's strings (``YYYYMMDD``, ``HHMMSS``); enumerations are
Python enums whose values are the ASN.1 identifiers.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Self

from shelfnet.ill.protocols.isoill.codec import Value

# --- enumerations --------------------------------------------------------------------------


class ApduType(enum.Enum):
    """The twenty APDUs: value = the ILL-APDU alternative name."""

    ILL_REQUEST = "ill-Request"
    FORWARD_NOTIFICATION = "forward-Notification"
    SHIPPED = "shipped"
    ILL_ANSWER = "ill-Answer"
    CONDITIONAL_REPLY = "conditional-Reply"
    CANCEL = "cancel"
    CANCEL_REPLY = "cancel-Reply"
    RECEIVED = "received"
    RECALL = "recall"
    RETURNED = "returned"
    CHECKED_IN = "checked-In"
    OVERDUE = "overdue"
    RENEW = "renew"
    RENEW_ANSWER = "renew-Answer"
    LOST = "lost"
    DAMAGED = "damaged"
    MESSAGE = "message"
    STATUS_QUERY = "status-Query"
    STATUS_OR_ERROR_REPORT = "status-Or-Error-Report"
    EXPIRED = "expired"

    @property
    def identifier(self) -> str:
        """The ILL-APDU-Type identifier (``iLL-REQUEST``, ``sHIPPED``, ...)."""
        upper = self.value.upper()
        return upper[0].lower() + upper[1:]


class ServiceType(enum.Enum):
    LOAN = "loan"
    COPY_NON_RETURNABLE = "copy-non-returnable"
    LOCATIONS = "locations"
    ESTIMATE = "estimate"
    RESPONDER_SPECIFIC = "responder-specific"


class TransactionType(enum.Enum):
    SIMPLE = "simple"
    CHAINED = "chained"
    PARTITIONED = "partitioned"


class ItemType(enum.Enum):
    MONOGRAPH = "monograph"
    SERIAL = "serial"
    OTHER = "other"


class PlaceOnHold(enum.Enum):
    YES = "yes"
    NO = "no"
    ACCORDING_TO_RESPONDER_POLICY = "according-to-responder-policy"


class MessageWish(enum.Enum):
    """Whether a party requires, desires or needs neither of an optional APDU."""

    REQUIRES = "requires"
    DESIRES = "desires"
    NEITHER = "neither"


class ExpiryFlag(enum.Enum):
    NEED_BEFORE_DATE = "need-Before-Date"
    OTHER_DATE = "other-Date"
    NO_EXPIRY = "no-Expiry"


class SupplyMediumType(enum.Enum):
    PRINTED = "printed"
    PHOTOCOPY = "photocopy"
    MICROFORM = "microform"
    FILM_OR_VIDEO_RECORDING = "film-or-video-recording"
    AUDIO_RECORDING = "audio-recording"
    MACHINE_READABLE = "machine-readable"
    OTHER = "other"


class TransactionResults(enum.Enum):
    CONDITIONAL = "conditional"
    RETRY = "retry"
    UNFILLED = "unfilled"
    LOCATIONS_PROVIDED = "locations-provided"
    WILL_SUPPLY = "will-supply"
    HOLD_PLACED = "hold-placed"
    ESTIMATE = "estimate"


class CurrentState(enum.Enum):
    """Current-State of the standard, as a Status-Report or an error report carries it."""

    NOT_SUPPLIED = "not-supplied"
    PENDING = "pending"
    IN_PROCESS = "in-process"
    FORWARD = "forward"
    CONDITIONAL = "conditional"
    CANCEL_PENDING = "cancel-pending"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"
    RECEIVED = "received"
    RENEW_PENDING = "renew-pending"
    NOT_RECEIVED_OVERDUE = "not-received-overdue"
    RENEW_OVERDUE = "renew-overdue"
    OVERDUE = "overdue"
    RETURNED = "returned"
    CHECKED_IN = "checked-in"
    RECALL = "recall"
    LOST = "lost"
    UNKNOWN = "unknown"


class ReasonNoReport(enum.Enum):
    TEMPORARY = "temporary"
    PERMANENT = "permanent"


class ReportSource(enum.Enum):
    USER = "user"
    PROVIDER = "provider"


class GeneralProblem(enum.Enum):
    """Provider-Error-Report general-problem codes."""

    UNRECOGNIZED_APDU = "unrecognized-APDU"
    INVALID_APDU = "invalid-APDU"
    BADLY_STRUCTURED_APDU = "badly-structured-APDU"
    PROTOCOL_VERSION_NOT_SUPPORTED = "protocol-version-not-supported"
    OTHER = "other"


class TransactionIdProblem(enum.Enum):
    DUPLICATE_TRANSACTION_ID = "duplicate-transaction-id"
    INVALID_TRANSACTION_ID = "invalid-transaction-id"
    UNKNOWN_TRANSACTION_ID = "unknown-transaction-id"


class UnableToPerform(enum.Enum):
    """User-Error-Report unable-to-perform codes."""

    NOT_AVAILABLE = "not-available"
    RESOURCE_LIMITATION = "resource-limitation"
    OTHER = "other"


# --- converters ----------------------------------------------------------------------------


class Converter:
    """Turns one field's Python value into its asn1tools value and back."""

    def __init__(self, out: Callable[[Any], Value], back: Callable[[Value], Any]) -> None:
        self.out = out
        self.back = back


def text(value: Value) -> str:
    """The text of an ILL-String: GeneralString as UTF-8 (Latin-1 when it is not),
    EDIFACTString as ASCII."""
    _kind, octets = value
    raw = bytes(octets)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def ill_string(value: str) -> Value:
    return ("generalstring", value.encode("utf-8"))


STRING = Converter(ill_string, text)
PLAIN = Converter(lambda v: v, lambda v: v)


def enum_of(kind: type[enum.Enum]) -> Converter:
    return Converter(lambda v: v.value, kind)


def struct_of(kind: type[Struct]) -> Converter:
    return Converter(lambda v: v.to_value(), kind.from_value)


def tuple_of(item: Converter) -> Converter:
    return Converter(
        lambda vs: [item.out(v) for v in vs], lambda vs: tuple(item.back(v) for v in vs)
    )


# --- structures ----------------------------------------------------------------------------

Fields = tuple[tuple[str, str, Converter], ...]
"""``(attribute, ASN.1 field name, converter)`` for each typed field of a structure."""


@dataclass(frozen=True, kw_only=True)
class Struct:
    """A SEQUENCE: typed fields listed in ``_FIELDS``, everything else kept in ``other``."""

    _FIELDS: ClassVar[Fields] = ()

    other: Mapping[str, Value] = field(default_factory=dict)

    def to_value(self) -> dict[str, Value]:
        value = dict(self.other)
        for attribute, name, converter in self._FIELDS:
            item = getattr(self, attribute)
            if item is not None:
                value[name] = converter.out(item)
        return value

    @classmethod
    def from_value(cls, value: Mapping[str, Value]) -> Self:
        known = {name for _attribute, name, _converter in cls._FIELDS}
        kwargs: dict[str, Any] = {
            attribute: converter.back(value[name])
            for attribute, name, converter in cls._FIELDS
            if name in value
        }
        kwargs["other"] = {name: item for name, item in value.items() if name not in known}
        return cls(**kwargs)


@dataclass(frozen=True)
class SystemId:
    """A library or person: its symbol (e.g. an ISIL or OCLC symbol) and/or its name."""

    symbol: str | None = None
    name: str | None = None
    symbol_is_person: bool = False
    name_is_person: bool = False

    def to_value(self) -> dict[str, Value]:
        value: dict[str, Value] = {}
        if self.symbol is not None:
            kind = "person-symbol" if self.symbol_is_person else "institution-symbol"
            value["person-or-institution-symbol"] = (kind, ill_string(self.symbol))
        if self.name is not None:
            kind = "name-of-person" if self.name_is_person else "name-of-institution"
            value["name-of-person-or-institution"] = (kind, ill_string(self.name))
        return value

    @classmethod
    def from_value(cls, value: Mapping[str, Value]) -> SystemId:
        symbol = name = None
        symbol_is_person = name_is_person = False
        if "person-or-institution-symbol" in value:
            kind, string = value["person-or-institution-symbol"]
            symbol, symbol_is_person = text(string), kind == "person-symbol"
        if "name-of-person-or-institution" in value:
            kind, string = value["name-of-person-or-institution"]
            name, name_is_person = text(string), kind == "name-of-person"
        return cls(symbol, name, symbol_is_person, name_is_person)

    def __str__(self) -> str:
        return self.symbol or self.name or ""


SYSTEM_ID = Converter(lambda v: v.to_value(), SystemId.from_value)


@dataclass(frozen=True, kw_only=True)
class TransactionId(Struct):
    """Identifies a transaction for both parties: the initial requester's qualifiers."""

    group_qualifier: str = ""
    qualifier: str = ""
    initial_requester: SystemId | None = None
    sub_qualifier: str | None = None

    _FIELDS = (
        ("initial_requester", "initial-requester-id", SYSTEM_ID),
        ("group_qualifier", "transaction-group-qualifier", STRING),
        ("qualifier", "transaction-qualifier", STRING),
        ("sub_qualifier", "sub-transaction-qualifier", STRING),
    )

    @property
    def external_id(self) -> str:
        """The requester's number for the transaction, as shelfnet stores it:
        ``group/qualifier/sub`` with the empty parts left out."""
        parts = (self.group_qualifier, self.qualifier, self.sub_qualifier or "")
        return "/".join(part for part in parts if part)


@dataclass(frozen=True)
class ServiceDateTime:
    """When this service (APDU) was initiated, and when the original one was."""

    date: str
    time: str | None = None
    original_date: str | None = None
    original_time: str | None = None

    def to_value(self) -> dict[str, Value]:
        this: dict[str, Value] = {"date": self.date}
        if self.time is not None:
            this["time"] = self.time
        value: dict[str, Value] = {"date-time-of-this-service": this}
        if self.original_date is not None:
            original: dict[str, Value] = {"date": self.original_date}
            if self.original_time is not None:
                original["time"] = self.original_time
            value["date-time-of-original-service"] = original
        return value

    @classmethod
    def from_value(cls, value: Mapping[str, Value]) -> ServiceDateTime:
        this = value["date-time-of-this-service"]
        original = value.get("date-time-of-original-service") or {}
        return cls(this["date"], this.get("time"), original.get("date"), original.get("time"))


SERVICE_DATE_TIME = Converter(lambda v: v.to_value(), ServiceDateTime.from_value)


@dataclass(frozen=True, kw_only=True)
class PostalAddress(Struct):
    name: SystemId | None = None
    """Only the name part is used: ``SystemId.name`` and ``name_is_person``."""
    extended_address: str | None = None
    street_and_number: str | None = None
    post_office_box: str | None = None
    city: str | None = None
    region: str | None = None
    country: str | None = None
    postal_code: str | None = None

    _FIELDS = (
        (
            "name",
            "name-of-person-or-institution",
            Converter(
                lambda v: v.to_value()["name-of-person-or-institution"],
                lambda v: SystemId.from_value({"name-of-person-or-institution": v}),
            ),
        ),
        ("extended_address", "extended-postal-delivery-address", STRING),
        ("street_and_number", "street-and-number", STRING),
        ("post_office_box", "post-office-box", STRING),
        ("city", "city", STRING),
        ("region", "region", STRING),
        ("country", "country", STRING),
        ("postal_code", "postal-code", STRING),
    )

    def lines(self) -> tuple[str, ...]:
        """The address as lines for a label."""
        place = " ".join(p for p in (self.postal_code, self.city) if p)
        parts = (
            self.name.name if self.name else None,
            self.extended_address,
            self.street_and_number,
            f"PO Box {self.post_office_box}" if self.post_office_box else None,
            place,
            self.region,
            self.country,
        )
        return tuple(p for p in parts if p)


@dataclass(frozen=True, kw_only=True)
class SystemAddress(Struct):
    """An electronic address: the service (e.g. ``email``) and the address in it."""

    telecom_service_identifier: str | None = None
    telecom_service_address: str | None = None

    _FIELDS = (
        ("telecom_service_identifier", "telecom-service-identifier", STRING),
        ("telecom_service_address", "telecom-service-address", STRING),
    )


@dataclass(frozen=True, kw_only=True)
class DeliveryAddress(Struct):
    postal: PostalAddress | None = None
    electronic: SystemAddress | None = None

    _FIELDS = (
        ("postal", "postal-address", struct_of(PostalAddress)),
        ("electronic", "electronic-address", struct_of(SystemAddress)),
    )


@dataclass(frozen=True, kw_only=True)
class RequesterOptionalMessages(Struct):
    can_send_received: bool = False
    can_send_returned: bool = False
    requester_shipped: MessageWish = MessageWish.REQUIRES
    requester_checked_in: MessageWish = MessageWish.REQUIRES

    _FIELDS = (
        ("can_send_received", "can-send-RECEIVED", PLAIN),
        ("can_send_returned", "can-send-RETURNED", PLAIN),
        ("requester_shipped", "requester-SHIPPED", enum_of(MessageWish)),
        ("requester_checked_in", "requester-CHECKED-IN", enum_of(MessageWish)),
    )


@dataclass(frozen=True, kw_only=True)
class ResponderOptionalMessages(Struct):
    can_send_shipped: bool = True
    can_send_checked_in: bool = True
    responder_received: MessageWish = MessageWish.DESIRES
    responder_returned: MessageWish = MessageWish.DESIRES

    _FIELDS = (
        ("can_send_shipped", "can-send-SHIPPED", PLAIN),
        ("can_send_checked_in", "can-send-CHECKED-IN", PLAIN),
        ("responder_received", "responder-RECEIVED", enum_of(MessageWish)),
        ("responder_returned", "responder-RETURNED", enum_of(MessageWish)),
    )


@dataclass(frozen=True, kw_only=True)
class SearchType(Struct):
    level_of_service: str | None = None
    need_before_date: str | None = None
    expiry_flag: ExpiryFlag = ExpiryFlag.NO_EXPIRY
    expiry_date: str | None = None

    _FIELDS = (
        ("level_of_service", "level-of-service", STRING),
        ("need_before_date", "need-before-date", PLAIN),
        ("expiry_flag", "expiry-flag", enum_of(ExpiryFlag)),
        ("expiry_date", "expiry-date", PLAIN),
    )


@dataclass(frozen=True, kw_only=True)
class SupplyMediumInfo(Struct):
    medium: SupplyMediumType
    characteristics: str | None = None

    _FIELDS = (
        ("medium", "supply-medium-type", enum_of(SupplyMediumType)),
        ("characteristics", "medium-characteristics", STRING),
    )


@dataclass(frozen=True, kw_only=True)
class ClientId(Struct):
    """The requester's patron (the standard's "client")."""

    name: str | None = None
    status: str | None = None
    identifier: str | None = None

    _FIELDS = (
        ("name", "client-name", STRING),
        ("status", "client-status", STRING),
        ("identifier", "client-identifier", STRING),
    )


@dataclass(frozen=True, kw_only=True)
class ItemId(Struct):
    """What is wanted, as the requester cited it."""

    item_type: ItemType | None = None
    call_number: str | None = None
    author: str | None = None
    title: str | None = None
    sub_title: str | None = None
    sponsoring_body: str | None = None
    place_of_publication: str | None = None
    publisher: str | None = None
    series_title_number: str | None = None
    volume_issue: str | None = None
    edition: str | None = None
    publication_date: str | None = None
    publication_date_of_component: str | None = None
    author_of_article: str | None = None
    title_of_article: str | None = None
    pagination: str | None = None
    isbn: str | None = None
    issn: str | None = None
    additional_no_letters: str | None = None
    verification_reference_source: str | None = None

    _FIELDS = (
        ("item_type", "item-type", enum_of(ItemType)),
        ("call_number", "call-number", STRING),
        ("author", "author", STRING),
        ("title", "title", STRING),
        ("sub_title", "sub-title", STRING),
        ("sponsoring_body", "sponsoring-body", STRING),
        ("place_of_publication", "place-of-publication", STRING),
        ("publisher", "publisher", STRING),
        ("series_title_number", "series-title-number", STRING),
        ("volume_issue", "volume-issue", STRING),
        ("edition", "edition", STRING),
        ("publication_date", "publication-date", STRING),
        ("publication_date_of_component", "publication-date-of-component", STRING),
        ("author_of_article", "author-of-article", STRING),
        ("title_of_article", "title-of-article", STRING),
        ("pagination", "pagination", STRING),
        ("isbn", "iSBN", STRING),
        ("issn", "iSSN", STRING),
        ("additional_no_letters", "additional-no-letters", STRING),
        ("verification_reference_source", "verification-reference-source", STRING),
    )


@dataclass(frozen=True, kw_only=True)
class Amount(Struct):
    monetary_value: str
    currency_code: str | None = None

    _FIELDS = (
        ("currency_code", "currency-code", PLAIN),
        ("monetary_value", "monetary-value", PLAIN),
    )


@dataclass(frozen=True, kw_only=True)
class CostInfo(Struct):
    account_number: str | None = None
    maximum_cost: Amount | None = None
    reciprocal_agreement: bool = False
    will_pay_fee: bool = False
    payment_provided: bool = False

    _FIELDS = (
        ("account_number", "account-number", STRING),
        ("maximum_cost", "maximum-cost", struct_of(Amount)),
        ("reciprocal_agreement", "reciprocal-agreement", PLAIN),
        ("will_pay_fee", "will-pay-fee", PLAIN),
        ("payment_provided", "payment-provided", PLAIN),
    )


@dataclass(frozen=True, kw_only=True)
class DateDue(Struct):
    date: str
    renewable: bool = True

    _FIELDS = (("date", "date-due-field", PLAIN), ("renewable", "renewable", PLAIN))


@dataclass(frozen=True, kw_only=True)
class SupplyDetails(Struct):
    date_shipped: str | None = None
    date_due: DateDue | None = None
    chargeable_units: int | None = None
    cost: Amount | None = None

    _FIELDS = (
        ("date_shipped", "date-shipped", PLAIN),
        ("date_due", "date-due", struct_of(DateDue)),
        ("chargeable_units", "chargeable-units", PLAIN),
        ("cost", "cost", struct_of(Amount)),
    )


@dataclass(frozen=True, kw_only=True)
class HistoryReport(Struct):
    """The user part of a Status-Report: what happened last, and when."""

    date_of_last_transition: str
    most_recent_service: str
    """An ILL-APDU-Type identifier such as ``iLL-REQUEST`` (or ``fORWARD``)."""
    date_of_most_recent_service: str
    initiator_of_most_recent_service: SystemId
    date_requested: str | None = None
    author: str | None = None
    title: str | None = None
    author_of_article: str | None = None
    title_of_article: str | None = None
    shipped_service_type: ServiceType | None = None
    transaction_results: TransactionResults | None = None
    most_recent_service_note: str | None = None

    _FIELDS = (
        ("date_requested", "date-requested", PLAIN),
        ("author", "author", STRING),
        ("title", "title", STRING),
        ("author_of_article", "author-of-article", STRING),
        ("title_of_article", "title-of-article", STRING),
        ("date_of_last_transition", "date-of-last-transition", PLAIN),
        ("most_recent_service", "most-recent-service", PLAIN),
        ("date_of_most_recent_service", "date-of-most-recent-service", PLAIN),
        ("initiator_of_most_recent_service", "initiator-of-most-recent-service", SYSTEM_ID),
        ("shipped_service_type", "shipped-service-type", enum_of(ServiceType)),
        ("transaction_results", "transaction-results", enum_of(TransactionResults)),
        ("most_recent_service_note", "most-recent-service-note", STRING),
    )


@dataclass(frozen=True, kw_only=True)
class StatusReport(Struct):
    history: HistoryReport
    current_state: CurrentState

    _FIELDS = (
        ("history", "user-status-report", struct_of(HistoryReport)),
        ("current_state", "provider-status-report", enum_of(CurrentState)),
    )


@dataclass(frozen=True)
class StateTransitionProhibited:
    apdu_type: ApduType
    current_state: CurrentState


_BY_IDENTIFIER = {kind.identifier: kind for kind in ApduType}


@dataclass(frozen=True)
class ErrorReport:
    """Why an APDU was refused: a provider error (the protocol machine's) or a user error
    (the application's), with the refused APDU's identity in ``correlation_information``."""

    correlation_information: str
    report_source: ReportSource
    general_problem: GeneralProblem | None = None
    transaction_id_problem: TransactionIdProblem | None = None
    state_transition_prohibited: StateTransitionProhibited | None = None
    unable_to_perform: UnableToPerform | None = None
    user_error: tuple[str, Value] | None = None
    """Any other User-Error-Report alternative, as asn1tools gives it."""

    def to_value(self) -> dict[str, Value]:
        value: dict[str, Value] = {
            "correlation-information": ill_string(self.correlation_information),
            "report-source": self.report_source.value,
        }
        if self.unable_to_perform is not None:
            value["user-error-report"] = ("unable-to-perform", self.unable_to_perform.value)
        elif self.user_error is not None:
            value["user-error-report"] = self.user_error
        if self.general_problem is not None:
            value["provider-error-report"] = ("general-problem", self.general_problem.value)
        elif self.transaction_id_problem is not None:
            problem = self.transaction_id_problem.value
            value["provider-error-report"] = ("transaction-id-problem", problem)
        elif self.state_transition_prohibited is not None:
            prohibited = self.state_transition_prohibited
            value["provider-error-report"] = (
                "state-transition-prohibited",
                {
                    "aPDU-type": prohibited.apdu_type.identifier,
                    "current-state": prohibited.current_state.value,
                },
            )
        return value

    @classmethod
    def from_value(cls, value: Mapping[str, Value]) -> ErrorReport:
        report = cls(text(value["correlation-information"]), ReportSource(value["report-source"]))
        if "user-error-report" in value:
            kind, detail = value["user-error-report"]
            if kind == "unable-to-perform":
                report = replace(report, unable_to_perform=UnableToPerform(detail))
            else:
                report = replace(report, user_error=(kind, detail))
        if "provider-error-report" in value:
            kind, detail = value["provider-error-report"]
            if kind == "general-problem":
                report = replace(report, general_problem=GeneralProblem(detail))
            elif kind == "transaction-id-problem":
                report = replace(report, transaction_id_problem=TransactionIdProblem(detail))
            else:
                prohibited = StateTransitionProhibited(
                    _BY_IDENTIFIER[detail["aPDU-type"]], CurrentState(detail["current-state"])
                )
                report = replace(report, state_transition_prohibited=prohibited)
        return report


ERROR_REPORT = Converter(lambda v: v.to_value(), ErrorReport.from_value)


# --- APDUs ---------------------------------------------------------------------------------

_HEADER: Fields = (
    ("protocol_version", "protocol-version-num", PLAIN),
    ("transaction_id", "transaction-id", struct_of(TransactionId)),
    ("service_date_time", "service-date-time", SERVICE_DATE_TIME),
    ("requester_id", "requester-id", SYSTEM_ID),
    ("responder_id", "responder-id", SYSTEM_ID),
)


@dataclass(frozen=True, kw_only=True)
class Apdu(Struct):
    """The header every ILL APDU starts with."""

    TYPE: ClassVar[ApduType]

    transaction_id: TransactionId
    service_date_time: ServiceDateTime
    requester_id: SystemId | None = None
    responder_id: SystemId | None = None
    protocol_version: int = 2

    _FIELDS = _HEADER

    def encode_value(self) -> tuple[str, dict[str, Value]]:
        """The ILL-APDU CHOICE value: ``(alternative name, fields)``."""
        return self.TYPE.value, self.to_value()


def _note(name: str) -> tuple[str, str, Converter]:
    return ("note", name, STRING)


@dataclass(frozen=True, kw_only=True)
class IllRequest(Apdu):
    TYPE = ApduType.ILL_REQUEST

    item_id: ItemId = field(default_factory=ItemId)
    service_types: tuple[ServiceType, ...] = (ServiceType.LOAN,)
    """In order of preference."""
    requester_optional_messages: RequesterOptionalMessages = field(
        default_factory=RequesterOptionalMessages
    )
    transaction_type: TransactionType = TransactionType.SIMPLE
    delivery_address: DeliveryAddress | None = None
    delivery_service: str | None = None
    """The physical delivery service (transportation mode), e.g. ``mail``."""
    billing_address: DeliveryAddress | None = None
    search_type: SearchType | None = None
    supply_medium_info: tuple[SupplyMediumInfo, ...] | None = None
    place_on_hold: PlaceOnHold = PlaceOnHold.ACCORDING_TO_RESPONDER_POLICY
    client_id: ClientId | None = None
    cost_info: CostInfo | None = None
    copyright_compliance: str | None = None
    retry_flag: bool = False
    forward_flag: bool = False
    note: str | None = None
    """The requester-note."""
    forward_note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("transaction_type", "transaction-type", enum_of(TransactionType)),
        ("delivery_address", "delivery-address", struct_of(DeliveryAddress)),
        (
            "delivery_service",
            "delivery-service",
            Converter(lambda v: ("physical-delivery", ill_string(v)), lambda v: text(v[1])),
        ),
        ("billing_address", "billing-address", struct_of(DeliveryAddress)),
        ("service_types", "iLL-service-type", tuple_of(enum_of(ServiceType))),
        (
            "requester_optional_messages",
            "requester-optional-messages",
            struct_of(RequesterOptionalMessages),
        ),
        ("search_type", "search-type", struct_of(SearchType)),
        ("supply_medium_info", "supply-medium-info-type", tuple_of(struct_of(SupplyMediumInfo))),
        ("place_on_hold", "place-on-hold", enum_of(PlaceOnHold)),
        ("client_id", "client-id", struct_of(ClientId)),
        ("item_id", "item-id", struct_of(ItemId)),
        ("cost_info", "cost-info-type", struct_of(CostInfo)),
        ("copyright_compliance", "copyright-compliance", STRING),
        ("retry_flag", "retry-flag", PLAIN),
        ("forward_flag", "forward-flag", PLAIN),
        _note("requester-note"),
        ("forward_note", "forward-note", STRING),
    )

    @classmethod
    def from_value(cls, value: Mapping[str, Value]) -> Self:
        # An electronic delivery service is a list of services, not a transportation
        # mode: it rides in ``other`` untouched.
        service = value.get("delivery-service")
        if service is None or service[0] == "physical-delivery":
            return super().from_value(value)
        rest = {name: item for name, item in value.items() if name != "delivery-service"}
        request = super().from_value(rest)
        return replace(request, other={**request.other, "delivery-service": service})


@dataclass(frozen=True, kw_only=True)
class ForwardNotification(Apdu):
    TYPE = ApduType.FORWARD_NOTIFICATION

    intermediary_id: SystemId = field(default_factory=SystemId)
    responder_address: SystemAddress | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("responder_address", "responder-address", struct_of(SystemAddress)),
        ("intermediary_id", "intermediary-id", SYSTEM_ID),
        _note("notification-note"),
    )


@dataclass(frozen=True, kw_only=True)
class Shipped(Apdu):
    TYPE = ApduType.SHIPPED

    shipped_service_type: ServiceType = ServiceType.LOAN
    supply_details: SupplyDetails = field(default_factory=SupplyDetails)
    supplier_id: SystemId | None = None
    client_id: ClientId | None = None
    transaction_type: TransactionType = TransactionType.SIMPLE
    responder_optional_messages: ResponderOptionalMessages | None = None
    return_to_address: PostalAddress | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("supplier_id", "supplier-id", SYSTEM_ID),
        ("client_id", "client-id", struct_of(ClientId)),
        ("transaction_type", "transaction-type", enum_of(TransactionType)),
        ("shipped_service_type", "shipped-service-type", enum_of(ServiceType)),
        (
            "responder_optional_messages",
            "responder-optional-messages",
            struct_of(ResponderOptionalMessages),
        ),
        ("supply_details", "supply-details", struct_of(SupplyDetails)),
        ("return_to_address", "return-to-address", struct_of(PostalAddress)),
        _note("responder-note"),
    )


@dataclass(frozen=True, kw_only=True)
class IllAnswer(Apdu):
    TYPE = ApduType.ILL_ANSWER

    transaction_results: TransactionResults = TransactionResults.WILL_SUPPLY
    results_explanation: tuple[str, Value] | None = None
    """The results-explanation CHOICE as asn1tools gives it, e.g.
    ``("unfilled-results", {"reason-unfilled": "not-owned"})``."""
    responder_optional_messages: ResponderOptionalMessages | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("transaction_results", "transaction-results", enum_of(TransactionResults)),
        ("results_explanation", "results-explanation", PLAIN),
        (
            "responder_optional_messages",
            "responder-optional-messages",
            struct_of(ResponderOptionalMessages),
        ),
        _note("responder-note"),
    )


@dataclass(frozen=True, kw_only=True)
class ConditionalReply(Apdu):
    TYPE = ApduType.CONDITIONAL_REPLY

    answer: bool = True
    note: str | None = None

    _FIELDS = (*_HEADER, ("answer", "answer", PLAIN), _note("requester-note"))


@dataclass(frozen=True, kw_only=True)
class Cancel(Apdu):
    TYPE = ApduType.CANCEL

    note: str | None = None

    _FIELDS = (*_HEADER, _note("requester-note"))


@dataclass(frozen=True, kw_only=True)
class CancelReply(Apdu):
    TYPE = ApduType.CANCEL_REPLY

    answer: bool = True
    note: str | None = None

    _FIELDS = (*_HEADER, ("answer", "answer", PLAIN), _note("responder-note"))


@dataclass(frozen=True, kw_only=True)
class Received(Apdu):
    TYPE = ApduType.RECEIVED

    date_received: str = ""
    shipped_service_type: ServiceType = ServiceType.LOAN
    supplier_id: SystemId | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("supplier_id", "supplier-id", SYSTEM_ID),
        ("date_received", "date-received", PLAIN),
        ("shipped_service_type", "shipped-service-type", enum_of(ServiceType)),
        _note("requester-note"),
    )


@dataclass(frozen=True, kw_only=True)
class Recall(Apdu):
    TYPE = ApduType.RECALL

    note: str | None = None

    _FIELDS = (*_HEADER, _note("responder-note"))


@dataclass(frozen=True, kw_only=True)
class Returned(Apdu):
    TYPE = ApduType.RETURNED

    date_returned: str = ""
    returned_via: str | None = None
    insured_for: Amount | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("date_returned", "date-returned", PLAIN),
        ("returned_via", "returned-via", STRING),
        ("insured_for", "insured-for", struct_of(Amount)),
        _note("requester-note"),
    )


@dataclass(frozen=True, kw_only=True)
class CheckedIn(Apdu):
    TYPE = ApduType.CHECKED_IN

    date_checked_in: str = ""
    note: str | None = None

    _FIELDS = (*_HEADER, ("date_checked_in", "date-checked-in", PLAIN), _note("responder-note"))


@dataclass(frozen=True, kw_only=True)
class Overdue(Apdu):
    TYPE = ApduType.OVERDUE

    date_due: DateDue = field(default_factory=lambda: DateDue(date=""))
    note: str | None = None

    _FIELDS = (*_HEADER, ("date_due", "date-due", struct_of(DateDue)), _note("responder-note"))


@dataclass(frozen=True, kw_only=True)
class Renew(Apdu):
    TYPE = ApduType.RENEW

    desired_due_date: str | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("desired_due_date", "desired-due-date", PLAIN),
        _note("requester-note"),
    )


@dataclass(frozen=True, kw_only=True)
class RenewAnswer(Apdu):
    TYPE = ApduType.RENEW_ANSWER

    answer: bool = True
    date_due: DateDue | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("answer", "answer", PLAIN),
        ("date_due", "date-due", struct_of(DateDue)),
        _note("responder-note"),
    )


@dataclass(frozen=True, kw_only=True)
class Lost(Apdu):
    TYPE = ApduType.LOST

    note: str | None = None

    _FIELDS = (*_HEADER, _note("note"))


@dataclass(frozen=True, kw_only=True)
class Damaged(Apdu):
    TYPE = ApduType.DAMAGED

    note: str | None = None

    _FIELDS = (*_HEADER, _note("note"))


@dataclass(frozen=True, kw_only=True)
class Message(Apdu):
    TYPE = ApduType.MESSAGE

    note: str = ""

    _FIELDS = (*_HEADER, _note("note"))


@dataclass(frozen=True, kw_only=True)
class StatusQuery(Apdu):
    TYPE = ApduType.STATUS_QUERY

    note: str | None = None

    _FIELDS = (*_HEADER, _note("note"))


@dataclass(frozen=True, kw_only=True)
class StatusOrErrorReport(Apdu):
    TYPE = ApduType.STATUS_OR_ERROR_REPORT

    reason_no_report: ReasonNoReport | None = None
    status_report: StatusReport | None = None
    error_report: ErrorReport | None = None
    note: str | None = None

    _FIELDS = (
        *_HEADER,
        ("reason_no_report", "reason-no-report", enum_of(ReasonNoReport)),
        ("status_report", "status-report", struct_of(StatusReport)),
        ("error_report", "error-report", ERROR_REPORT),
        _note("note"),
    )


@dataclass(frozen=True, kw_only=True)
class Expired(Apdu):
    TYPE = ApduType.EXPIRED


APDU_CLASSES: Mapping[ApduType, type[Apdu]] = {
    cls.TYPE: cls
    for cls in (
        IllRequest,
        ForwardNotification,
        Shipped,
        IllAnswer,
        ConditionalReply,
        Cancel,
        CancelReply,
        Received,
        Recall,
        Returned,
        CheckedIn,
        Overdue,
        Renew,
        RenewAnswer,
        Lost,
        Damaged,
        Message,
        StatusQuery,
        StatusOrErrorReport,
        Expired,
    )
}


def apdu_from_value(name: str, value: Mapping[str, Value]) -> Apdu:
    """The APDU for a decoded ILL-APDU alternative. KeyError/ValueError/TypeError when the
    value is not what the standard says (e.g. an enumeration value out of range)."""
    return APDU_CLASSES[ApduType(name)].from_value(value)


def typed_fields(cls: type[Struct]) -> list[str]:
    """The attribute names a class models (for tests and documentation)."""
    return [f.name for f in fields(cls) if f.name != "other"]
