"""ISO 18626 XML -> messages, for both versions, with the protocol's own error types.

The XML parser is a safe one: no DTD, no entities, no network, no huge trees, and a
document over ``max_bytes`` is refused before it is parsed. Elements are read by name,
so the few places where 1.2 and 2021 order children differently do not matter; an
element neither schema has where it stands is ``UnrecognisedDataElement``. What cannot be
read raises ``ParseError`` carrying the errorType and errorValue to confirm with, the
version the peer used (1.2 when it cannot be told) and what of the header could be read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from lxml import etree

from shelfnet.ill.protocols.iso18626.messages import (
    NAMESPACE,
    ONLY_2021,
    Address,
    AgencyId,
    Authentication,
    BibliographicInfo,
    BibliographicItemId,
    BibliographicRecordId,
    BillingInfo,
    ConfirmationHeader,
    Costs,
    DeliveryInfo,
    ElectronicAddress,
    Envelope,
    ErrorData,
    ErrorType,
    Header,
    Message,
    MessageInfo,
    MessageStatus,
    PatronInfo,
    PhysicalAddress,
    PreferredEdition,
    PublicationInfo,
    ReasonForMessage,
    Request,
    RequestConfirmation,
    RequestedDeliveryInfo,
    RequestingAction,
    RequestingAgencyInfo,
    RequestingAgencyMessage,
    RequestingAgencyMessageConfirmation,
    RequestSubType,
    RequestType,
    ReturnInfo,
    SchemeValue,
    ServiceInfo,
    ServiceType,
    StatusInfo,
    SupplierInfo,
    SupplyingAgencyMessage,
    SupplyingAgencyMessageConfirmation,
    SupplyStatus,
    Version,
)

MAX_BYTES = 1024 * 1024
"""The largest message read: 1 MiB (real messages are a few kilobytes)."""

VERSIONS: dict[str, Version] = {
    "1.0": Version.V1_2,
    "1.1": Version.V1_2,
    "1.2": Version.V1_2,
    "1.3": Version.V2021,
    "2021": Version.V2021,
    "2021-1": Version.V2021,
    "2021-2": Version.V2021,
}
"""Version attribute values read, and the version they are answered in."""

MESSAGE_KINDS = (
    "request",
    "requestConfirmation",
    "supplyingAgencyMessage",
    "supplyingAgencyMessageConfirmation",
    "requestingAgencyMessage",
    "requestingAgencyMessageConfirmation",
)

E = TypeVar("E", bound=enum.Enum)


class ParseError(Exception):
    """A message that cannot be processed, with what to put in the error confirmation."""

    def __init__(
        self,
        error_type: ErrorType,
        error_value: str,
        sentence: str,
        *,
        version: Version = Version.V1_2,
        kind: str | None = None,
        header: Header | None = None,
    ) -> None:
        super().__init__(sentence)
        self.error_type = error_type
        self.error_value = error_value[:200]
        self.version = version
        self.kind = kind
        """The message element (``request``, ``supplyingAgencyMessage``...) when known."""
        self.header = header
        """What of the header could be read, for the confirmation's echo."""

    @property
    def error(self) -> ErrorData:
        return ErrorData(self.error_type, self.error_value)


def _q(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def _badly_formed(sentence: str, value: str = "", **context: object) -> ParseError:
    return ParseError(ErrorType.BADLY_FORMED_MESSAGE, value, sentence, **context)  # type: ignore[arg-type]


def parse_message(data: bytes, *, max_bytes: int = MAX_BYTES) -> Envelope:
    """The message in ``data`` and the version it was written in; ``ParseError`` else."""
    if len(data) > max_bytes:
        raise _badly_formed(f"The message is over {max_bytes} bytes.", "size")
    try:
        root = etree.fromstring(data, _safe_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise _badly_formed(f"The message is not well-formed XML: {exc}", "XML") from exc
    if root.getroottree().docinfo.doctype:
        raise _badly_formed("A message may not have a document type declaration.", "DOCTYPE")
    if root.tag != _q("ISO18626Message"):
        raise _badly_formed("The document is not an ISO 18626 message.", str(root.tag))
    version = version_of(root)
    elements = [child for child in root if isinstance(child.tag, str)]
    if len(elements) != 1:
        raise _badly_formed(
            "An ISO 18626 message holds exactly one message element.", version=version
        )
    element = elements[0]
    kind = _local(element)
    if kind not in MESSAGE_KINDS:
        raise ParseError(
            ErrorType.UNRECOGNISED_DATA_ELEMENT,
            kind,
            f"{kind} is not an ISO 18626 message.",
            version=version,
        )
    try:
        return Envelope(version, _Reader(version).message(kind, _Node(element, kind)))
    except ParseError as error:
        error.version, error.kind = version, kind
        error.header = error.header or _loose_header(element)
        raise


def version_of(root: etree._Element) -> Version:
    """The version the message says it is in (qualified ``ill:version`` as the schema has
    it, or a plain ``version`` as some peers write)."""
    value = root.get(_q("version"), root.get("version"))
    if value is None:
        raise _badly_formed("The message has no version attribute.", "version")
    version = VERSIONS.get(value.strip())
    if version is None:
        raise ParseError(
            ErrorType.UNRECOGNISED_DATA_VALUE,
            f"version: {value}",
            f"ISO 18626 version {value!r} is not one shelfnet speaks (1.2, 2021).",
        )
    return version


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _loose_header(element: etree._Element) -> Header | None:
    """The header's agencies and request id, or None: for echoing in an error."""
    try:
        node = _Node(element, "message").child("header")
        if node is None:
            return None
        requesting = node.child("requestingAgencyId")
        supplying = node.child("supplyingAgencyId")
        return Header(
            requesting_agency_id=_agency(requesting) if requesting else AgencyId("", ""),
            requesting_agency_request_id=node.text("requestingAgencyRequestId"),
            timestamp=node.moment("timestamp") or datetime.min,
            supplying_agency_id=_agency(supplying) if supplying else None,
        )
    except ParseError:
        return None


_ALLOWED: dict[str, frozenset[str]] = {
    name: frozenset(children.split())
    for name, children in {
        "request": "header bibliographicInfo publicationInfo serviceInfo supplierInfo "
        "requestedDeliveryInfo requestingAgencyInfo patronInfo billingInfo",
        "supplyingAgencyMessage": "header messageInfo statusInfo retryInfo deliveryInfo "
        "shippingInfo returnInfo",
        "requestingAgencyMessage": "header action note",
        "requestConfirmation": "confirmationHeader errorData",
        "supplyingAgencyMessageConfirmation": "confirmationHeader reasonForMessage errorData",
        "requestingAgencyMessageConfirmation": "confirmationHeader action errorData",
        "header": "supplyingAgencyId requestingAgencyId consortialId multipleItemRequestId "
        "timestamp requestingAgencyRequestId supplyingAgencyRequestId "
        "requestingAgencyAuthentication",
        "agency": "agencyIdType agencyIdValue",
        "requestingAgencyAuthentication": "accountId securityCode",
        "confirmationHeader": "supplyingAgencyId requestingAgencyId timestamp "
        "requestingAgencyRequestId multipleItemRequestId timestampReceived messageStatus",
        "errorData": "errorType errorValue",
        "bibliographicInfo": "supplierUniqueRecordId title author authorId subtitle "
        "seriesTitle edition titleOfComponent authorOfComponent volume issue pagesRequested "
        "estimatedNoPages bibliographicItemId sponsor informationSource bibliographicRecordId",
        "bibliographicItemId": "bibliographicItemIdentifier bibliographicItemIdentifierCode",
        "bibliographicRecordId": "bibliographicRecordIdentifierCode bibliographicRecordIdentifier",
        "publicationInfo": "publisher publisherId publicationType publicationDate "
        "placeOfPublication",
        "serviceInfo": "requestType requestSubType requestingAgencyPreviousRequestId "
        "serviceType serviceLevel preferredFormat itemFormat needBeforeDate "
        "copyrightCompliance anyEdition preferredEdition loanCondition startDate endDate note",
        "supplierInfo": "sortOrder supplierCode supplierDescription bibliographicRecordId "
        "callNumber summaryHoldings availabilityNote",
        "requestedDeliveryInfo": "sortOrder address deliveryMethod courierName",
        "address": "electronicAddress physicalAddress",
        "electronicAddress": "electronicAddressType electronicAddressData",
        "physicalAddress": "line1 line2 locality postalCode region country",
        "requestingAgencyInfo": "name contactName address",
        "patronInfo": "patronId surname givenName patronType sendToPatron address",
        "billingInfo": "paymentMethod maximumCosts billingMethod billingName address",
        "costs": "currencyCode monetaryValue",
        "messageInfo": "reasonForMessage answerYesNo note reasonUnfilled reasonRetry "
        "offeredCosts retryAfter retryBefore",
        "retryInfo": "loanCondition edition itemFormat volume serviceType serviceLevel "
        "deliveryMethod courierName offeredCosts paymentMethod retryBefore retryAfter",
        "statusInfo": "status expectedDeliveryDate dueDate lastChange",
        "deliveryInfo": "dateSent itemId URL sentVia deliveryMethod address sentToPatron "
        "loanCondition deliveredFormat itemFormat serviceType deliveryCosts paymentMethod",
        "returnInfo": "returnAgencyId name physicalAddress",
    }.items()
}
"""The children each element may have, in either version. Read-and-ignored ones are
among them (``shippingInfo``, most of ``retryInfo``)."""


class _Node:
    """An element whose children have been checked against ``_ALLOWED[shape]``."""

    def __init__(self, element: etree._Element, shape: str) -> None:
        self.element = element
        self.children: dict[str, list[etree._Element]] = {}
        allowed = _ALLOWED.get(shape)
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            name = str(qname.localname)
            if qname.namespace != NAMESPACE or (allowed is not None and name not in allowed):
                raise ParseError(
                    ErrorType.UNRECOGNISED_DATA_ELEMENT,
                    name,
                    f"{_local(element)} has no element {name}.",
                )
            self.children.setdefault(name, []).append(child)

    def _all(self, name: str) -> list[etree._Element]:
        return self.children.get(name, [])

    def _leaf(self, element: etree._Element) -> str:
        for child in element:
            if isinstance(child.tag, str):
                name = _local(child)
                raise ParseError(
                    ErrorType.UNRECOGNISED_DATA_ELEMENT,
                    name,
                    f"{_local(element)} holds text, not an element {name}.",
                )
        return element.text or ""

    def has(self, name: str) -> bool:
        return name in self.children

    def child(self, name: str, shape: str | None = None) -> _Node | None:
        found = self._all(name)
        return _Node(found[0], shape or name) if found else None

    def nodes(self, name: str, shape: str | None = None) -> list[_Node]:
        return [_Node(element, shape or name) for element in self._all(name)]

    def required(self, name: str, shape: str | None = None) -> _Node:
        node = self.child(name, shape)
        if node is None:
            raise _missing(self.element, name)
        return node

    def texts(self, name: str) -> list[str]:
        return [self._leaf(element) for element in self._all(name)]

    def text(self, name: str) -> str:
        found = self.texts(name)
        return found[0] if found else ""

    def required_text(self, name: str) -> str:
        if not self.has(name):
            raise _missing(self.element, name)
        return self.text(name)

    def pair(self, name: str) -> SchemeValue | None:
        found = self._all(name)
        if not found:
            return None
        scheme = found[0].get(_q("scheme"), found[0].get("scheme", ""))
        return SchemeValue(self._leaf(found[0]), scheme)

    def pairs(self, name: str) -> tuple[SchemeValue, ...]:
        return tuple(
            SchemeValue(self._leaf(e), e.get(_q("scheme"), e.get("scheme", "")))
            for e in self._all(name)
        )

    def moment(self, name: str) -> datetime | None:
        if not self.has(name):
            return None
        return self._value(name, _parse_datetime)

    def required_moment(self, name: str) -> datetime:
        if not self.has(name):
            raise _missing(self.element, name)
        return self._value(name, _parse_datetime)

    def yes_no(self, name: str) -> bool | None:
        if not self.has(name):
            return None
        return self._value(name, lambda text: {"Y": True, "N": False}[text])

    def boolean(self, name: str) -> bool | None:
        if not self.has(name):
            return None
        values = {"true": True, "1": True, "false": False, "0": False}
        return self._value(name, lambda text: values[text])

    def integer(self, name: str) -> int | None:
        if not self.has(name):
            return None
        return self._value(name, _parse_integer)

    def decimal(self, name: str) -> Decimal:
        if not self.has(name):
            raise _missing(self.element, name)
        return self._value(name, _parse_decimal)

    def code(
        self,
        name: str,
        kind: type[E],
        version: Version,
        error_type: ErrorType = ErrorType.UNRECOGNISED_DATA_VALUE,
    ) -> E | None:
        if not self.has(name):
            return None
        text = self.text(name).strip()
        try:
            code = kind(text)
        except ValueError:
            code = None
        if code is None or (code in ONLY_2021 and version is Version.V1_2):
            raise ParseError(
                error_type,
                f"{name}: {text}",
                f"{text!r} is not a {name} shelfnet knows in ISO 18626 {version.value}.",
            )
        return code

    def required_code(
        self,
        name: str,
        kind: type[E],
        version: Version,
        error_type: ErrorType = ErrorType.UNRECOGNISED_DATA_VALUE,
    ) -> E:
        code = self.code(name, kind, version, error_type)
        if code is None:
            raise _missing(self.element, name)
        return code

    def _value(self, name: str, convert: Callable[[str], E_]) -> E_:
        text = self.text(name).strip()
        try:
            return convert(text)
        except (ValueError, KeyError, InvalidOperation, OverflowError) as exc:
            raise ParseError(
                ErrorType.UNRECOGNISED_DATA_VALUE,
                f"{name}: {text}",
                f"{text!r} is not a valid {name}.",
            ) from exc


E_ = TypeVar("E_")


def _missing(element: etree._Element, name: str) -> ParseError:
    return _badly_formed(f"{_local(element)} needs an element {name}.", name)


def _parse_datetime(text: str) -> datetime:
    if "T" not in text:
        raise ValueError(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _parse_integer(text: str) -> int:
    if not text.lstrip("+-").isdigit() or len(text) > 30:
        raise ValueError(text)
    return int(text)


def _parse_decimal(text: str) -> Decimal:
    if not text or any(c not in "+-.0123456789" for c in text) or len(text) > 40:
        raise ValueError(text)
    return Decimal(text)


def _agency(node: _Node) -> AgencyId:
    kind = node.pair("agencyIdType")
    if kind is None:
        raise _missing(node.element, "agencyIdType")
    return AgencyId(kind.value.strip(), node.required_text("agencyIdValue").strip(), kind.scheme)


def _optional_agency(node: _Node, name: str) -> AgencyId | None:
    child = node.child(name, "agency")
    return _agency(child) if child else None


def _costs(node: _Node, name: str) -> Costs | None:
    child = node.child(name, "costs")
    if child is None:
        return None
    currency = child.pair("currencyCode")
    if currency is None:
        raise _missing(child.element, "currencyCode")
    return Costs(currency.value.strip(), child.decimal("monetaryValue"))


class _Reader:
    def __init__(self, version: Version) -> None:
        self.version = version
        self.v2021 = version is Version.V2021

    def message(self, kind: str, node: _Node) -> Message:
        match kind:
            case "request":
                return self.request(node)
            case "supplyingAgencyMessage":
                return self.supplying(node)
            case "requestingAgencyMessage":
                header = self.header(node.required("header"), kind)
                action = node.required_code(
                    "action", RequestingAction, self.version, ErrorType.UNSUPPORTED_ACTION_TYPE
                )
                return RequestingAgencyMessage(header, action, node.text("note"))
            case "requestConfirmation":
                return RequestConfirmation(self.confirmation_header(node), self.errors(node))
            case "supplyingAgencyMessageConfirmation":
                return SupplyingAgencyMessageConfirmation(
                    self.confirmation_header(node),
                    node.code(
                        "reasonForMessage",
                        ReasonForMessage,
                        self.version,
                        ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
                    ),
                    self.errors(node),
                )
            case _:
                return RequestingAgencyMessageConfirmation(
                    self.confirmation_header(node),
                    node.code(
                        "action", RequestingAction, self.version, ErrorType.UNSUPPORTED_ACTION_TYPE
                    ),
                    self.errors(node),
                )

    # Headers

    def header(self, node: _Node, kind: str) -> Header:
        supplying = _optional_agency(node, "supplyingAgencyId")
        if supplying is None and (not self.v2021 or kind != "request"):
            raise _missing(node.element, "supplyingAgencyId")
        requesting = node.required("requestingAgencyId", "agency")
        auth = node.child("requestingAgencyAuthentication")
        return Header(
            requesting_agency_id=_agency(requesting),
            requesting_agency_request_id=node.required_text("requestingAgencyRequestId"),
            timestamp=node.required_moment("timestamp"),
            supplying_agency_id=supplying,
            multiple_item_request_id=node.text("multipleItemRequestId"),
            supplying_agency_request_id=node.text("supplyingAgencyRequestId"),
            authentication=Authentication(auth.text("accountId"), auth.text("securityCode"))
            if auth
            else None,
            consortial_id=_optional_agency(node, "consortialId"),
        )

    def confirmation_header(self, node: _Node) -> ConfirmationHeader:
        header = node.required("confirmationHeader")
        return ConfirmationHeader(
            timestamp=header.required_moment("timestamp"),
            timestamp_received=header.required_moment("timestampReceived"),
            message_status=header.required_code("messageStatus", MessageStatus, self.version),
            supplying_agency_id=_optional_agency(header, "supplyingAgencyId"),
            requesting_agency_id=_optional_agency(header, "requestingAgencyId"),
            requesting_agency_request_id=header.text("requestingAgencyRequestId"),
            multiple_item_request_id=header.text("multipleItemRequestId"),
        )

    def errors(self, node: _Node) -> tuple[ErrorData, ...]:
        return tuple(
            ErrorData(
                error.required_code("errorType", ErrorType, self.version),
                error.text("errorValue"),
            )
            for error in node.nodes("errorData")
        )

    # The request

    def request(self, node: _Node) -> Request:
        header = self.header(node.required("header"), "request")
        service = node.child("serviceInfo")
        if service is None and self.v2021:
            raise _missing(node.element, "serviceInfo")
        publication = node.child("publicationInfo")
        agency = node.child("requestingAgencyInfo")
        patron = node.child("patronInfo")
        billing = node.child("billingInfo")
        return Request(
            header=header,
            bibliographic_info=self.bibliographic(node.required("bibliographicInfo")),
            publication_info=self.publication(publication) if publication else None,
            service_info=self.service(service) if service else None,
            supplier_info=tuple(self.supplier(n) for n in node.nodes("supplierInfo")),
            requested_delivery_info=tuple(
                self.requested_delivery(n) for n in node.nodes("requestedDeliveryInfo")
            ),
            requesting_agency_info=RequestingAgencyInfo(
                agency.text("name"), agency.text("contactName"), self.addresses(agency)
            )
            if agency
            else None,
            patron_info=self.patron(patron) if patron else None,
            billing_info=self.billing(billing) if billing else None,
        )

    def bibliographic(self, node: _Node) -> BibliographicInfo:
        return BibliographicInfo(
            supplier_unique_record_id=node.text("supplierUniqueRecordId"),
            title=node.text("title"),
            author=node.text("author"),
            author_id=node.text("authorId"),
            subtitle=node.text("subtitle"),
            series_title=node.text("seriesTitle"),
            edition=node.text("edition"),
            title_of_component=node.text("titleOfComponent"),
            author_of_component=node.text("authorOfComponent"),
            volume="; ".join(node.texts("volume")),
            issue=node.text("issue"),
            pages_requested=node.text("pagesRequested"),
            estimated_no_pages=node.text("estimatedNoPages"),
            item_ids=tuple(
                BibliographicItemId(
                    _required_pair(item, "bibliographicItemIdentifierCode"),
                    item.required_text("bibliographicItemIdentifier"),
                )
                for item in node.nodes("bibliographicItemId")
            ),
            sponsor=node.text("sponsor"),
            information_source=node.text("informationSource"),
            record_ids=tuple(_record_id(n) for n in node.nodes("bibliographicRecordId")),
        )

    def publication(self, node: _Node) -> PublicationInfo:
        return PublicationInfo(
            publisher=node.text("publisher"),
            publisher_id=node.text("publisherId"),
            publication_type=node.pair("publicationType"),
            publication_date=node.text("publicationDate"),
            place_of_publication=node.text("placeOfPublication"),
        )

    def service(self, node: _Node) -> ServiceInfo:
        sub_types = tuple(
            _sub_type(text.strip(), self.version) for text in node.texts("requestSubType")
        )
        return ServiceInfo(
            service_type=node.required_code("serviceType", ServiceType, self.version),
            request_type=node.code("requestType", RequestType, self.version),
            request_sub_types=sub_types,
            requesting_agency_previous_request_id=node.text("requestingAgencyPreviousRequestId"),
            service_level=node.pair("serviceLevel"),
            preferred_format=node.pair("itemFormat") or node.pair("preferredFormat"),
            need_before_date=node.moment("needBeforeDate"),
            copyright_compliance=node.pair("copyrightCompliance"),
            any_edition=node.yes_no("anyEdition"),
            preferred_edition=node.code("preferredEdition", PreferredEdition, self.version),
            loan_conditions=node.pairs("loanCondition"),
            start_date=node.moment("startDate"),
            end_date=node.moment("endDate"),
            note=node.text("note"),
        )

    def supplier(self, node: _Node) -> SupplierInfo:
        record = node.child("bibliographicRecordId")
        return SupplierInfo(
            sort_order=node.integer("sortOrder"),
            supplier_code=_optional_agency(node, "supplierCode"),
            supplier_description=node.text("supplierDescription"),
            record_id=_record_id(record) if record else None,
            call_number=node.text("callNumber"),
            summary_holdings=node.text("summaryHoldings"),
            availability_note=node.text("availabilityNote"),
        )

    def requested_delivery(self, node: _Node) -> RequestedDeliveryInfo:
        addresses = self.addresses(node)
        return RequestedDeliveryInfo(
            sort_order=node.integer("sortOrder"),
            address=addresses[0] if addresses else None,
            delivery_method=node.pair("deliveryMethod"),
            courier_name=node.pair("courierName"),
        )

    def patron(self, node: _Node) -> PatronInfo:
        return PatronInfo(
            patron_id=node.text("patronId"),
            surname=node.text("surname"),
            given_name=node.text("givenName"),
            patron_type=node.pair("patronType"),
            send_to_patron=node.yes_no("sendToPatron"),
            addresses=self.addresses(node),
        )

    def billing(self, node: _Node) -> BillingInfo:
        addresses = self.addresses(node)
        return BillingInfo(
            payment_method=node.pair("paymentMethod"),
            maximum_costs=_costs(node, "maximumCosts"),
            billing_method=node.pair("billingMethod"),
            billing_name=node.text("billingName"),
            address=addresses[0] if addresses else None,
        )

    def addresses(self, node: _Node) -> tuple[Address, ...]:
        return tuple(self.address(n) for n in node.nodes("address"))

    def address(self, node: _Node) -> Address:
        electronic = node.child("electronicAddress")
        if electronic is not None:
            return ElectronicAddress(
                _required_pair(electronic, "electronicAddressType"),
                electronic.required_text("electronicAddressData"),
            )
        return _physical(node.required("physicalAddress"))

    # The supplying agency message

    def supplying(self, node: _Node) -> SupplyingAgencyMessage:
        header = self.header(node.required("header"), "supplyingAgencyMessage")
        info = node.required("messageInfo")
        retry = node.child("retryInfo") or info
        status = node.required("statusInfo")
        delivery = node.child("deliveryInfo")
        returned = node.child("returnInfo")
        return SupplyingAgencyMessage(
            header=header,
            message_info=MessageInfo(
                reason_for_message=info.required_code(
                    "reasonForMessage",
                    ReasonForMessage,
                    self.version,
                    ErrorType.UNSUPPORTED_REASON_FOR_MESSAGE_TYPE,
                ),
                answer_yes_no=info.yes_no("answerYesNo"),
                note=info.text("note"),
                reason_unfilled=info.pair("reasonUnfilled"),
                reason_retry=info.pair("reasonRetry"),
                offered_costs=_costs(retry, "offeredCosts"),
                retry_after=retry.moment("retryAfter"),
                retry_before=retry.moment("retryBefore"),
            ),
            status_info=StatusInfo(
                status=status.required_code("status", SupplyStatus, self.version),
                last_change=status.required_moment("lastChange"),
                expected_delivery_date=status.moment("expectedDeliveryDate"),
                due_date=status.moment("dueDate"),
            ),
            delivery_info=self.delivery(delivery) if delivery else None,
            return_info=ReturnInfo(
                return_agency_id=_optional_agency(returned, "returnAgencyId"),
                name=returned.text("name"),
                physical_address=_physical(address)
                if (address := returned.child("physicalAddress"))
                else None,
            )
            if returned
            else None,
        )

    def delivery(self, node: _Node) -> DeliveryInfo:
        return DeliveryInfo(
            date_sent=node.required_moment("dateSent"),
            item_id="; ".join(node.texts("itemId")),
            sent_via=node.pair("deliveryMethod") or node.pair("sentVia"),
            sent_to_patron=node.boolean("sentToPatron"),
            loan_condition=node.pair("loanCondition"),
            delivered_format=node.pair("itemFormat") or node.pair("deliveredFormat"),
            delivery_costs=_costs(node, "deliveryCosts"),
            url=node.text("URL"),
        )


def _sub_type(text: str, version: Version) -> RequestSubType:
    try:
        return RequestSubType(text)
    except ValueError:
        raise ParseError(
            ErrorType.UNRECOGNISED_DATA_VALUE,
            f"requestSubType: {text}",
            f"{text!r} is not a requestSubType of ISO 18626 {version.value}.",
        ) from None


def _required_pair(node: _Node, name: str) -> SchemeValue:
    pair = node.pair(name)
    if pair is None:
        raise _missing(node.element, name)
    return pair


def _record_id(node: _Node) -> BibliographicRecordId:
    return BibliographicRecordId(
        _required_pair(node, "bibliographicRecordIdentifierCode"),
        node.required_text("bibliographicRecordIdentifier"),
    )


def _physical(node: _Node) -> PhysicalAddress:
    region = node.pair("region")
    return PhysicalAddress(
        line1=node.text("line1"),
        line2=node.text("line2"),
        locality=node.text("locality"),
        postal_code=node.text("postalCode"),
        region=region.value if region else "",
        country=node.pair("country"),
    )
